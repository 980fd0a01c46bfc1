"""Tail latency and worker restarts: the cached post page under load, served by gunicorn
started from config/gunicorn.conf.py, with the old restart rate beside today's.

    part of make bench     (alone: .venv/bin/python bench/restarts.py)

A run against WordPress saw our cached pages' p99 spike to half a second because
GUNICORN_MAX_REQUESTS=1000 replaced each worker every second or two, and each new worker
loaded Django again. This runs the same load (`wrk -t2 -c8`, the 100-comment post page
kept in the page cache, no nginx in front so every request reaches a worker) against
three settings of config/gunicorn.conf.py, taking turns round after round:

- every 1,000 requests: GUNICORN_MAX_REQUESTS=1000, jitter 50 (the old default);
- every 1,000, preloaded: the same with GUNICORN_PRELOAD=1 (a new worker is a fork of a
  master that has Django loaded);
- today's defaults: GUNICORN_MAX_REQUESTS unset (100,000, jitter 10,000).

Each prints requests/s, p50, p99 and the worst latency, and the workers gunicorn replaced
(counted from its log). The page cache is Redis when it answers at BENCH_REDIS_URL
(default redis://127.0.0.1:6379/14, flushed first), as in production; otherwise each
worker's own memory, as under `make run`.

Environment: BENCH_SECONDS (wrk seconds per run, default 20), BENCH_ROUNDS (default 2).
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import OUR_PYTHON, ROOT, WORK, free_port, log, our_env  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", 20))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 2))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
COMMENTS = 100

SETTINGS = {
    "every 1,000 requests": {"GUNICORN_MAX_REQUESTS": "1000", "GUNICORN_MAX_REQUESTS_JITTER": "50"},
    "every 1,000, preloaded": {
        "GUNICORN_MAX_REQUESTS": "1000", "GUNICORN_MAX_REQUESTS_JITTER": "50", "GUNICORN_PRELOAD": "1",
    },
    "today's defaults": {},
}


def shared_cache():
    """REDIS_URL for the workers when that Redis answers (flushed first), else None."""
    try:
        import redis
    except ImportError:
        return None
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        return None
    return REDIS_URL


class Gunicorn:
    """gunicorn with the project's own settings file, two sync workers, logging at info so
    each replaced worker shows as a "Booting worker" line."""

    def __init__(self, name, settings, cache_url):
        self.port = free_port()
        self.log_path = WORK / f"restarts-{re.sub(r'[^a-z0-9]+', '-', name)}.log"
        self.log = open(self.log_path, "wb")
        env = our_env(
            WEB_CONCURRENCY="2", GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_LOG_LEVEL="info",
            **({"REDIS_URL": cache_url} if cache_url else {}), **settings,
        )
        for knob in ("GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER", "GUNICORN_PRELOAD"):
            if knob not in settings:
                env.pop(knob, None)
        self.process = subprocess.Popen(
            [str(OUR_PYTHON), "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"],
            env=env, stdout=self.log, stderr=self.log, cwd=ROOT,
        )

    def wait_ready(self, path):
        """Until the page answers 200 twice (the second from the page cache)."""
        deadline = time.monotonic() + 60
        answered = 0
        while answered < 2:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not serve {path}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as response:
                    answered += response.status == 200
            except OSError:
                time.sleep(0.3)

    def boots(self):
        return self.log_path.read_text(errors="replace").count("Booting worker with pid")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def wrk(url):
    output = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "--latency", "--timeout", "20s", url],
        check=True, capture_output=True, text=True,
    ).stdout

    def ms(text):
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1)),
        "p99": ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1)),
        "max": ms(re.search(r"^\s*Latency\s+\S+\s+\S+\s+(\S+)", output, re.M).group(1)),
        "errors": "Non-2xx" in output or "Socket errors" in output,
    }


def run_one(name, settings, cache_url, path):
    server = Gunicorn(name, settings, cache_url)
    try:
        server.wait_ready(path)
        booted = server.boots()
        result = wrk(f"http://127.0.0.1:{server.port}{path}")
        result["restarts"] = server.boots() - booted
        return result
    finally:
        server.stop()


def main():
    WORK.mkdir(exist_ok=True)
    loaded = subprocess.run(
        [str(OUR_PYTHON), str(HERE / "load_ours.py")], env=our_env(), check=True,
        capture_output=True, text=True,
    )
    path = json.loads(loaded.stdout.strip().splitlines()[-1])[str(COMMENTS)]
    cache_url = shared_cache()
    log(f"== {COMMENTS}-comment post page, cached in {'Redis' if cache_url else 'each worker'}; "
        f"wrk -t2 -c8 {SECONDS} s x {ROUNDS} per setting")
    results = {name: [] for name in SETTINGS}
    for round_ in range(ROUNDS):
        for name, settings in SETTINGS.items():
            log(f"   round {round_ + 1}: {name}")
            results[name].append(run_one(name, settings, cache_url, path))
    lines = [
        f"gunicorn -c config/gunicorn.conf.py, 2 sync workers; page cache in "
        f"{'Redis' if cache_url else 'worker memory'}; wrk -t2 -c8, {SECONDS} s per run",
        "",
        "| workers replaced | run | requests/s | p50 ms | p99 ms | worst ms | restarts |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, runs in results.items():
        for number, result in enumerate(runs, 1):
            flag = " (errors)" if result["errors"] else ""
            lines.append(
                f"| {name} | {number} | {result['rps']:,.0f}{flag} | {result['p50']:.2f} | "
                f"{result['p99']:.2f} | {result['max']:.1f} | {result['restarts']} |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
