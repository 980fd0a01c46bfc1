"""Load: 64 connections for 60 seconds mixing readers and commenters; no 5xx, no lost comment.

wrk (Debian's package; `make system-tools`) drives one gunicorn server configured as
production is (config/gunicorn.conf.py, sync workers) against PostgreSQL and Redis. The
mix: post pages, the home page, year and month archives, tag pages, searches, and comment
POSTs from distinct emulated readers (tests/system/load.lua). Afterwards every comment
the site answered with its success redirect must be a row.

Run: .venv/bin/python -m tests.system.load   (LOAD_SECONDS, LOAD_CONNECTIONS to change)
"""

import json
import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path

from tests.system import harness
from tests.system.harness import Client, CommentForm, Server, log

HERE = Path(__file__).resolve().parent
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "64"))
COMMENT_PERCENT = int(os.environ.get("LOAD_COMMENT_PERCENT", "10"))


def lua_string(value):
    return json.dumps(value)  # a JSON string is a valid Lua string literal for our values


def write_load_data(server, site, path):
    posts = site["posts"]
    first = posts[0]
    pages = [post["url"] for post in posts]
    pages += ["/"] * 6 + ["/?page=2"]
    pages += sorted({f"/{p['year']}/" for p in posts}) + sorted({f"/{p['year']}/{p['month']:02d}/" for p in posts})
    pages += [f"/tags/topic-{n}/" for n in range(3)]
    pages += ["/search/?q=harbour", "/search/?q=weather+ships", "/search/?q=dispatch", "/search/?q=nothing+here"]
    forms = []
    for post in posts[:5]:
        form = CommentForm.load(Client(server), post)
        fields = urllib.parse.urlencode({
            "timestamp": form.timestamp, "url": "", "parent": "", "honeypot": "",
        })
        cookie = "; ".join(f"{k}={v}" for k, v in form.cookies.items())
        action = lua_string(f"/comments/post/{post['id']}/")
        forms.append(f"{{action = {action}, "
                     f"fields = {lua_string(fields)}, cookie = {lua_string(cookie)}}}")
    path.write_text(
        "return {\n"
        f"  origin = {lua_string(server.base)},\n"
        f"  comment_percent = {COMMENT_PERCENT},\n"
        f"  pages = {{{', '.join(lua_string(p) for p in pages)}}},\n"
        f"  forms = {{{', '.join(forms)}}},\n"
        "}\n"
    )
    log(f"load mix: {len(pages)} pages, {len(forms)} comment forms, {COMMENT_PERCENT}% comment POSTs")


def run_wrk(server, data_path, seconds, connections, threads=2):
    """Run wrk; returns the parsed WRK_RESULT line and wrk's own output."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run `make system-tools`")
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(HERE / "load.lua"), server.base],
        env={**os.environ, "LOAD_DATA": str(data_path)},
        capture_output=True, text=True, timeout=seconds + 60,
    )
    line = next((l for l in result.stdout.splitlines() if l.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    return json.loads(line.removeprefix("WRK_RESULT ")), result.stdout


def comment_rows():
    return harness.count("SELECT count(*) FROM comments_comment WHERE author_email LIKE 'load-%'")


def main(seconds=SECONDS, connections=CONNECTIONS):
    env = harness.server_env()
    log("load: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env, posts=20)
    problems, figures = [], {}

    with Server(env, name="load", workers=int(os.environ.get("LOAD_WORKERS", "5")),
                threads=int(os.environ.get("LOAD_THREADS", "1"))) as server:
        data_path = harness.WORK / "load_data.lua"
        write_load_data(server, site, data_path)
        log(f"wrk: {connections} connections for {seconds} s against {server.base}")
        result, output = run_wrk(server, data_path, seconds, connections)
        entries = server.log_entries()

    rows = comment_rows()
    statuses = result["statuses"]
    server_5xx = sum(n for status, n in statuses.items() if int(status) >= 500)
    figures.update({
        "requests": result["requests"],
        "requests/s": round(result["requests"] / (result["duration_us"] / 1e6), 1),
        "statuses": statuses,
        "latency ms p50 / p90 / p99 / max": "{p50} / {p90} / {p99} / {max}".format(**result["latency_ms"]),
        "comments sent / accepted / rows": f"{result['comments_sent']} / {result['comments_accepted']} / {rows}",
        "socket errors": result["errors"],
        "server errors logged": len(harness.server_errors(entries)),
    })
    if server_5xx:
        problems.append(f"{server_5xx} responses with 5xx")
    if rows < result["comments_accepted"]:
        problems.append(f"lost comments: {result['comments_accepted']} accepted, {rows} rows")
    unexpected = {s: n for s, n in statuses.items() if s not in ("200", "302")}
    if unexpected:
        problems.append(f"unexpected statuses {unexpected}")
    errors = result["errors"]
    if errors["timeout"] or errors["connect"]:
        problems.append(f"socket errors {errors}")
    return harness.report("load", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
