"""An in-process timing worker: one Django project per process, driven over stdin/stdout.

Started by bench/run.py with the project's own Python (ours: .venv; the peer: its
virtualenv) and DJANGO_SETTINGS_MODULE set. Each line in is a JSON command
{"url": ..., "count": n, "bust": bool, "cold": bool}; each line out is {"times":
[...seconds], "queries": n, "bytes": n, "status": n}. "bust" adds a query string never seen
before, so a page cache misses (and stores, as it would on a real miss); "cold" also empties
Django's cache before each request (untimed), so kept fragments and settings are read
afresh too.
"""

import json
import re
import sys
import time

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

client = Client()
COMMENT_ID = re.compile(rb'id="c(?:omment-)?[0-9]+"')
bust_counter = 0


def count_queries(url):
    counted = []

    def counter(execute, sql, params, many, context):
        counted.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        response = client.get(url)
    return response, len(counted)


def run(command):
    global bust_counter
    times = []
    response, queries = None, None
    for _ in range(command["count"]):
        url = command["url"]
        if command.get("bust"):
            bust_counter += 1
            url += ("&" if "?" in url else "?") + f"nocache={bust_counter}"
        if command.get("cold"):
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
    if command.get("measure_queries"):
        url = command["url"]
        if command.get("bust"):
            bust_counter += 1
            url += ("&" if "?" in url else "?") + f"nocache={bust_counter}"
        if command.get("cold"):
            cache.clear()
        response, queries = count_queries(url)
    return {
        "times": times,
        "queries": queries,
        "bytes": len(response.content),
        "status": response.status_code,
        # Comments shown: ours are <li id="comment-N">, the peer's <div id="cN">.
        "comments": len(COMMENT_ID.findall(response.content)),
    }


def main():
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("content"):
            response = client.get(command["url"])
            sys.stdout.buffer.write(response.content)
            sys.stdout.buffer.flush()
            continue
        print(json.dumps(run(command)), flush=True)


if __name__ == "__main__":
    main()
