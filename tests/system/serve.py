"""`make serve`, run: it refuses an unsafe configuration, and with a safe one it collects
static files, migrates and starts gunicorn, whose pages, static files and probes answer.

Run: .venv/bin/python -m tests.system.serve
"""

import os
import signal
import subprocess
import time

from tests.system import harness
from tests.system.harness import ROOT, Client, log


def make_serve(env, port):
    return subprocess.Popen(["make", "--no-print-directory", "serve", f"PORT={port}"], cwd=ROOT,
                            env={**env, "PORT": str(port), "WEB_CONCURRENCY": "2"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def main():
    env = harness.server_env()
    log("serve: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env)
    problems, figures = [], {}

    def check(name, ok, detail=""):
        figures[name] = ("yes" if ok else "NO") + (f" ({detail})" if detail else "")
        if not ok:
            problems.append(name)

    refused = make_serve({**env, "DJANGO_DEBUG": "1"}, harness.free_port())
    output, _ = refused.communicate(timeout=120)
    check("refuses to start with debug on", refused.returncode != 0 and "ops.E001" in output)

    port = harness.free_port()
    server = make_serve(env, port)
    fake = harness.Server(env, port=port)  # only for its address
    try:
        up = harness.wait_for(lambda: _answers(fake), 60)
        check("starts and answers /healthz", up)
        client = Client(fake)
        check("/readyz", client.get("/readyz").status == 200)
        check("a post page", client.get(site["posts"][0]["url"]).status == 200)
        static = client.get("/static/css/site.css")
        check("static files from whitenoise", static.status == 200,
              static.headers.get("cache-control", ""))
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make, and gunicorn under it: our own group
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
    return harness.report("make serve", not problems, figures, problems)


def _answers(server):
    try:
        return Client(server).get("/healthz", timeout=2).status == 200
    except OSError:
        time.sleep(0.2)
        return False


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
