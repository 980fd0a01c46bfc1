-- wrk script for tests/system/load.py: a mix of readers and commenters.
-- The pages and the comment forms come from the file named by LOAD_DATA (written by
-- load.py). Every comment comes from an emulated reader of its own: its own email and
-- its own X-Forwarded-For address (2001:db8::/32, one /64 each), as a proxy would report.

local data = dofile(os.getenv("LOAD_DATA"))
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  counter = 0
  comments_sent = 0
  accepted = 0
  statuses = {}
  math.randomseed(tid * 7919)
end

local function address(n)
  return string.format("2001:db8:%x:%x::1", math.floor(n / 65536) % 65536, n % 65536)
end

function request()
  counter = counter + 1
  local roll = math.random(100)
  if roll <= data.comment_percent then
    comments_sent = comments_sent + 1
    local n = tid * 1000000 + counter
    local form = data.forms[(counter % #data.forms) + 1]
    local body = form.fields .. "&name=Load+reader+" .. n .. "&email=load-" .. n ..
      "%40example.org&body=A+comment+sent+under+load%2C+number+" .. n .. "."
    return wrk.format("POST", form.action, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = form.cookie,
      ["Origin"] = data.origin,
      ["X-Forwarded-For"] = address(n),
    }, body)
  end
  local pages = data.pages
  return wrk.format("GET", pages[math.random(#pages)])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and string.find(location, "#comment-", 1, true) then
    accepted = accepted + 1
  end
end

function done(summary, latency, requests)
  local all_statuses, sent, ok = {}, 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + thread:get("comments_sent")
    ok = ok + thread:get("accepted")
    for status, n in pairs(thread:get("statuses")) do
      all_statuses[status] = (all_statuses[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(all_statuses) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "comments_sent": %d, "comments_accepted": %d, ' ..
    '"statuses": {%s}, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
    '"latency_ms": {"p50": %.1f, "p90": %.1f, "p99": %.1f, "max": %.1f}}\n',
    summary.requests, summary.duration, sent, ok, table.concat(parts, ", "),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
