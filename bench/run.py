"""The post page benchmark: ours (uncached and cached) beside the peer and the floor, in one run.

    make bench          (or: .venv/bin/python bench/run.py)

1. Builds what it needs under bench/.work/ (gitignored): the peer's virtualenv (pinned
   django-comments-xtd from PyPI), and two SQLite databases with the same three posts of
   10, 100 and 1,000 threaded comments (bench/threadshape.py).
2. In-process: one worker process per project (bench/worker.py) renders each post page
   through Django's test client, the targets taking turns round after round; median and
   p90 time, queries and bytes.
3. Over HTTP: gunicorn with 2 sync workers for ours, the peer and the floor (a trivial
   Django view returning our page's bytes, bench/floor.py), each loaded in turn by
   `wrk -t2 -c8`; requests a second and p50/p99 latency. With nginx installed, also the
   production front: nginx (2 workers) serving our cached page's bytes as a static file
   (the physical limit), and our pages through nginx's page cache as
   deploy/nginx/blog.conf sets it up (its proxy_cache lines, read from the file).
4. Memory: the resident size of our two gunicorn workers across 10,000+ requests.

Environment: BENCH_ROUNDS (in-process rounds, default 6), BENCH_SECONDS (wrk seconds per
run, default 5), BENCH_HTTP_ROUNDS (default 2), BENCH_MEMORY_REQUESTS (default 10000).
Results also go to bench/.work/results.json.
"""

import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
OUR_PYTHON = ROOT / ".venv" / "bin" / "python"
PEER_VENV = WORK / "peer-venv"
PEER_PYTHON = PEER_VENV / "bin" / "python"
PEER_REQUIREMENTS = HERE / "peer" / "requirements.txt"

sys.path.insert(0, str(HERE))
from threadshape import SIZES  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 6))
PER_ROUND = 5
SECONDS = int(os.environ.get("BENCH_SECONDS", 5))
HTTP_ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", 2))
MEMORY_REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", 10_000))
WORKERS = 2

BUST_LUA = """
-- Each request asks for a URL never asked before, so a page cache always misses.
local counter = 0
local tag = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format("GET", wrk.path .. sep .. "nocache=" .. tag .. "-" .. counter)
end
"""

MIX_LUA = """
-- Our three post pages, cached and not, in turn: the steady state of a busy blog.
local paths = {%s}
local counter = 0
local tag = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  if counter %% 2 == 0 then
    path = path .. "?nocache=" .. tag .. "-" .. counter
  end
  return wrk.format("GET", path)
end
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


# Setting up.


def ensure_peer():
    """The peer's virtualenv, rebuilt when its pinned requirements change."""
    stamp = PEER_VENV / ".requirements"
    wanted = PEER_REQUIREMENTS.read_text()
    if PEER_PYTHON.exists() and stamp.exists() and stamp.read_text() == wanted:
        return
    log("== building the peer's virtualenv (django-comments-xtd from PyPI)")
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [str(PEER_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", str(PEER_REQUIREMENTS)],
        check=True,
    )
    stamp.write_text(wanted)


def our_env(**extra):
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}
    }
    env.update({
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{ROOT}:{HERE}",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DJANGO_HTTPS": "0",
        "SQLITE_PATH": str(WORK / "ours.sqlite3"),
    })
    env.update(extra)
    return env


def peer_env():
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PYTHONPATH": f"{HERE / 'peer'}:{HERE}",
        "PEER_SQLITE_PATH": str(WORK / "peer.sqlite3"),
    })
    return env


def load_data():
    log("== loading the same threads into both databases")
    ours = subprocess.run(
        [str(OUR_PYTHON), str(HERE / "load_ours.py")], env=our_env(), check=True,
        capture_output=True, text=True,
    )
    peer = subprocess.run(
        [str(PEER_PYTHON), str(HERE / "peer" / "load.py")], env=peer_env(), check=True,
        capture_output=True, text=True,
    )
    return json.loads(ours.stdout.strip().splitlines()[-1]), json.loads(peer.stdout.strip().splitlines()[-1])


def one_page_database():
    """A copy of our database whose site settings put a whole thread on one page.

    The number of comments on a page is a site setting kept in the database, so the
    one-page target reads its own copy rather than an environment variable.
    """
    path = WORK / "ours-one-page.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    source, target = sqlite3.connect(WORK / "ours.sqlite3"), sqlite3.connect(path)
    with target:
        source.backup(target)
    source.close()
    target.close()
    subprocess.run(
        [str(OUR_PYTHON), str(ROOT / "manage.py"), "site_settings", "comments_per_page="],
        env=our_env(SQLITE_PATH=str(path)), check=True, capture_output=True,
    )
    return path


# In-process.


class Worker:
    def __init__(self, python, env):
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(python), str(HERE / "worker.py")], env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.stderr,
        )

    def ask(self, **command):
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.stderr.seek(0)
            raise RuntimeError("worker died:\n" + self.stderr.read().decode()[-3000:])
        return json.loads(line)

    def content(self, url):
        """The bytes of one answer (the worker writes them raw, then we read to the end)."""
        self.process.stdin.write((json.dumps({"url": url, "content": True}) + "\n").encode())
        self.process.stdin.close()
        data = self.process.stdout.read()
        self.process.wait()
        return data

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


def in_process(our_urls, peer_urls):
    log("== in-process: the targets take turns, round after round")
    workers = {
        "ours": Worker(OUR_PYTHON, our_env()),
        # The same page with every comment on it, to compare like with like.
        "ours-one-page": Worker(OUR_PYTHON, our_env(SQLITE_PATH=str(one_page_database()))),
        "peer": Worker(PEER_PYTHON, peer_env()),
    }
    # (name, worker, urls, bust: a new address each request, cold: Django's cache emptied too)
    targets = [
        ("ours, uncached", "ours", our_urls, True),
        ("ours, all caches cold", "ours", our_urls, "cold"),
        ("ours, cached", "ours", our_urls, False),
        ("ours, uncached, all comments on one page", "ours-one-page", our_urls, True),
        ("peer (django-comments-xtd)", "peer", peer_urls, False),
    ]
    results = {(name, size): {"times": []} for name, *_ in targets for size in SIZES}
    try:
        for name, worker, urls, bust in targets:
            for size in SIZES:
                answer = workers[worker].ask(
                    url=urls[str(size)], count=3, bust=bool(bust), cold=bust == "cold"
                )
                if answer["status"] != 200:
                    raise RuntimeError(f"{name} {size}: status {answer['status']}")
        for number in range(ROUNDS):
            log(f"   round {number + 1}/{ROUNDS}")
            for size in SIZES:
                for name, worker, urls, bust in targets:
                    answer = workers[worker].ask(
                        url=urls[str(size)], count=PER_ROUND, bust=bool(bust),
                        cold=bust == "cold", measure_queries=number == ROUNDS - 1,
                    )
                    result = results[(name, size)]
                    result["times"].extend(answer["times"])
                    if answer["queries"] is not None:
                        result.update(
                            queries=answer["queries"], bytes=answer["bytes"],
                            comments=answer["comments"],
                        )
    finally:
        for worker in workers.values():
            worker.close()
    for result in results.values():
        times = sorted(result.pop("times"))
        result["median_ms"] = statistics.median(times) * 1000
        result["p90_ms"] = times[int(0.9 * (len(times) - 1))] * 1000
        result["samples"] = len(times)
    return [name for name, *_ in targets], results


# Over HTTP.


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name, python, app, env, chdir=None):
        self.name = name
        self.port = free_port()
        self.log = open(WORK / f"{name}-gunicorn.log", "wb")
        command = [
            str(python), "-m", "gunicorn", app, "--workers", str(WORKERS),
            "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
            "--log-level", "warning", "--timeout", "120",
        ]
        if chdir:
            command += ["--chdir", str(chdir)]
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log, cwd=ROOT)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, path):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} did not start; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url(path), timeout=30) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer in time; see {self.log.name}")

    def worker_pids(self):
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wrk(url, seconds, script=None):
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "--timeout", "20s"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _latency(output, "50%"),
        "p99_ms": _latency(output, "99%"),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": "Non-2xx" in output or "Socket errors" in output,
    }


def _latency(output, percentile):
    value, unit = re.search(rf"^\s*{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


NGINX_CONF = """
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    include /etc/nginx/mime.types;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    {http_directives}
    upstream blog_app {{ server 127.0.0.1:{ours}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{static_port};
        root {work}/nginx-static;
        default_type text/html;
    }}
    server {{
        listen 127.0.0.1:{cached_port};
        location / {{
            proxy_pass http://blog_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            {location_directives}
        }}
    }}
}}
"""


class Nginx:
    """nginx in front of `ours`: a static-file server of our page's bytes, and the page cache."""

    def __init__(self, ours_port):
        conf = (ROOT / "deploy" / "nginx" / "blog.conf").read_text()
        cache_dir = WORK / "nginx-cache"
        shutil.rmtree(cache_dir, ignore_errors=True)
        http_directives = [
            re.search(r"^proxy_cache_path[^;]*;", conf, re.M).group().replace("/var/cache/nginx/blog", str(cache_dir)),
            re.search(r"^map \$http_cookie \$blog_private \{.*?^\}", conf, re.M | re.S).group(),
        ]
        location = re.search(r"location / \{(.*?)\n    \}", conf.split("listen 443", 1)[1], re.S).group(1)
        location_directives = [
            line.strip() for line in location.splitlines()
            if line.strip().startswith(("proxy_cache", "proxy_no_cache", "add_header X-Cache-Status"))
        ]
        temp = WORK / "nginx-temp"
        temp.mkdir(exist_ok=True)
        self.static_port, self.cached_port = free_port(), free_port()
        config = WORK / "nginx.conf"
        config.write_text(NGINX_CONF.format(
            work=WORK, temp=temp, ours=ours_port, static_port=self.static_port,
            cached_port=self.cached_port, http_directives="\n    ".join(http_directives),
            location_directives="\n            ".join(location_directives),
        ))
        self.log = open(WORK / "nginx.log", "wb")
        self.process = subprocess.Popen(
            ["nginx", "-p", str(WORK), "-c", str(config), "-g", "daemon off;"],
            stdout=self.log, stderr=self.log,
        )

    def server(self, which):
        port = self.static_port if which == "static" else self.cached_port
        nginx = self

        class Front:
            def url(self, path):
                return f"http://127.0.0.1:{port}{path}"

            def wait_ready(self, path):
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if nginx.process.poll() is not None:
                        raise RuntimeError(f"nginx did not start; see {nginx.log.name}")
                    try:
                        with urllib.request.urlopen(self.url(path), timeout=30) as response:
                            if response.status == 200:
                                return
                    except OSError:
                        time.sleep(0.3)
                raise RuntimeError("nginx did not answer in time")

            def stop(self):
                nginx.stop()

        return Front()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if not self.log.closed:
            self.log.close()


def over_http(our_urls, peer_urls):
    log("== over HTTP: gunicorn, 2 sync workers each; wrk -t2 -c8")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (make bench does it).")
    # The floor answers exactly the bytes of our cached pages.
    for size in SIZES:
        worker = Worker(OUR_PYTHON, our_env())
        (WORK / f"floor-{size}.html").write_bytes(worker.content(our_urls[str(size)]))

    bust_script = WORK / "bust.lua"
    bust_script.write_text(BUST_LUA)
    servers = {
        "ours": Server("ours", OUR_PYTHON, "config.wsgi:application", our_env()),
        "peer": Server("peer", PEER_PYTHON, "wsgi:application", peer_env(), chdir=HERE / "peer"),
        "floor": Server("floor", OUR_PYTHON, "floor:application", our_env(), chdir=HERE),
    }
    targets = [
        ("ours, uncached", "ours", lambda size: our_urls[str(size)], str(bust_script)),
        ("ours, cached", "ours", lambda size: our_urls[str(size)], None),
        ("floor (same bytes, trivial view)", "floor", lambda size: f"/{size}/", None),
        ("peer (django-comments-xtd)", "peer", lambda size: peer_urls[str(size)], None),
    ]
    if shutil.which("nginx"):
        static = WORK / "nginx-static"
        static.mkdir(exist_ok=True)
        for size in SIZES:
            shutil.copy(WORK / f"floor-{size}.html", static / f"{size}.html")
        nginx = Nginx(servers["ours"].port)
        servers["nginx-static"] = nginx.server("static")
        servers["nginx-cached"] = nginx.server("cached")
        targets = [
            ("nginx, static file (the limit)", "nginx-static", lambda size: f"/{size}.html", None),
            ("ours through nginx's page cache", "nginx-cached", lambda size: our_urls[str(size)], None),
        ] + targets
    else:
        log("   nginx is not installed (make system-tools): no nginx rows")
    results = {(name, size): [] for name, *_ in targets for size in SIZES}
    memory = None
    try:
        servers["ours"].wait_ready(our_urls["10"])
        servers["peer"].wait_ready(peer_urls["10"])
        servers["floor"].wait_ready("/10/")
        if "nginx-cached" in servers:
            servers["nginx-static"].wait_ready("/10.html")
            servers["nginx-cached"].wait_ready(our_urls["10"])
        for name, server, path, _ in targets:
            for size in SIZES:
                wrk(servers[server].url(path(size)), 1)  # warm up
        for number in range(HTTP_ROUNDS):
            log(f"   round {number + 1}/{HTTP_ROUNDS}")
            for size in SIZES:
                for name, server, path, script in targets:
                    results[(name, size)].append(wrk(servers[server].url(path(size)), SECONDS, script))
        memory = measure_memory(servers["ours"], our_urls)
    finally:
        for server in servers.values():
            server.stop()
    merged = {}
    for key, runs in results.items():
        merged[key] = {
            "rps": statistics.mean(run["rps"] for run in runs),
            "p50_ms": statistics.median(run["p50_ms"] for run in runs),
            "p99_ms": statistics.median(run["p99_ms"] for run in runs),
            "errors": any(run["errors"] for run in runs),
        }
    return [name for name, *_ in targets], merged, memory


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_memory(server, our_urls):
    log(f"== memory: our workers across {MEMORY_REQUESTS:,} requests")
    paths = ", ".join(json.dumps(our_urls[str(size)]) for size in SIZES)
    script = WORK / "mix.lua"
    script.write_text(MIX_LUA % paths)
    url = server.url("/")

    def run_until(count):
        done = 0
        while done < count:
            done += wrk(url, 2, str(script))["requests"]
        return done

    run_until(2_000)  # warm-up: the page cache fills to its 300 entries, lazy imports load
    pids = server.worker_pids()
    samples = [(0, {pid: rss_kib(pid) for pid in pids})]
    done = 0
    while done < MEMORY_REQUESTS:
        done += run_until(min(2_000, MEMORY_REQUESTS - done))
        samples.append((done, {pid: rss_kib(pid) for pid in pids}))
    return {"requests": done, "samples": samples}


# Report.


def report(in_names, in_results, http_names, http_results, memory):
    lines = ["### In-process (Django test client, one process per project)", ""]
    lines.append("| target | comments | shown | median ms | p90 ms | queries | bytes |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in SIZES:
        for name in in_names:
            result = in_results[(name, size)]
            lines.append(
                f"| {name} | {size:,} | {result['comments']:,} | {result['median_ms']:.1f} | "
                f"{result['p90_ms']:.1f} | {result['queries']} | {result['bytes']:,} |"
            )
    lines += ["", "Uncached speed-up over the peer (peer median / ours median):", ""]
    peer = "peer (django-comments-xtd)"
    for size in SIZES:
        ours = in_results[("ours, uncached", size)]["median_ms"]
        cold = in_results[("ours, all caches cold", size)]["median_ms"]
        whole = in_results[("ours, uncached, all comments on one page", size)]["median_ms"]
        theirs = in_results[(peer, size)]["median_ms"]
        lines.append(
            f"- {size:,} comments: {theirs / ours:.1f}× (our page as served); "
            f"{theirs / cold:.1f}× (all caches cold); "
            f"{theirs / whole:.1f}× (every comment on one page, as the peer shows them)"
        )
    if http_results:
        lines += ["", f"### Over HTTP (gunicorn, {WORKERS} sync workers; wrk -t2 -c8, {SECONDS} s × {HTTP_ROUNDS})", ""]
        lines.append("| target | comments | requests/s | p50 ms | p99 ms |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        for size in SIZES:
            for name in http_names:
                result = http_results[(name, size)]
                flag = " (errors)" if result["errors"] else ""
                lines.append(
                    f"| {name} | {size:,} | {result['rps']:,.0f}{flag} | {result['p50_ms']:.2f} | "
                    f"{result['p99_ms']:.2f} |"
                )
        lines += ["", "Cached requests/s as a share of the floor's:", ""]
        for size in SIZES:
            cached = http_results[("ours, cached", size)]["rps"]
            floor = http_results[("floor (same bytes, trivial view)", size)]["rps"]
            lines.append(f"- {size:,} comments: {cached / floor:.0%}")
        if ("nginx, static file (the limit)", SIZES[0]) in http_results:
            lines += ["", "Through nginx's page cache, as a share of nginx serving the same bytes as a file:", ""]
            for size in SIZES:
                cached = http_results[("ours through nginx's page cache", size)]["rps"]
                limit = http_results[("nginx, static file (the limit)", size)]["rps"]
                lines.append(f"- {size:,} comments: {cached / limit:.0%}")
    if memory:
        lines += ["", f"### Memory: our gunicorn workers' RSS (MiB) across {memory['requests']:,} requests", ""]
        pids = list(memory["samples"][0][1])
        lines.append("| requests after warm-up | " + " | ".join(f"worker {n}" for n in range(1, len(pids) + 1)) + " |")
        lines.append("| ---: |" + " ---: |" * len(pids))
        for done, rss in memory["samples"]:
            lines.append(f"| {done:,} | " + " | ".join(f"{rss[pid] / 1024:.1f}" for pid in pids) + " |")
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    python = subprocess.run([str(OUR_PYTHON), "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores, {cpu}; {python}; SQLite {__import__('sqlite3').sqlite_version}"


def main():
    WORK.mkdir(exist_ok=True)
    ensure_peer()
    our_urls, peer_urls = load_data()
    in_names, in_results = in_process(our_urls, peer_urls)
    http_names, http_results, memory = [], {}, None
    if "--in-process-only" not in sys.argv:
        http_names, http_results, memory = over_http(our_urls, peer_urls)
    text = f"Machine: {machine()}\n\n" + report(in_names, in_results, http_names, http_results, memory)
    print(text)
    (WORK / "results.json").write_text(json.dumps({
        "in_process": {f"{name} | {size}": value for (name, size), value in in_results.items()},
        "http": {f"{name} | {size}": value for (name, size), value in http_results.items()},
        "memory": memory,
    }, indent=2, default=str))


if __name__ == "__main__":
    main()
