"""Where an all-caches-cold post page spends its time: each kept fragment, and the rest.

    .venv/bin/python bench/cold_parts.py      (after bench/run.py has built bench/.work/)

The requests are bench/worker.py's "ours, all caches cold": a new query string each time
and Django's cache emptied before each request (untimed). Every call of pagecache.fragment
and every template render (in either engine, a form's widgets included) is timed,
exclusive of the parts inside it. A fragment's time is split into its template ("its
template") and the rest of its work (its queries; for the thread, its query and the
tree); "the page's templates" are the base and post templates and their includes; "rest
of the page" is what is left: middleware, the view and its queries, storing the page.
"outside any template" sums every part but the templates: what the page would cost if
rendering markup cost nothing. Each part's queries are counted, with the time spent
waiting on the database for them (the rest of a query's cost, building its SQL and its
rows, is Python's); a query a template runs (a lazy list) counts as the template's.
Medians over BENCH_SAMPLES requests (default 40) for each post.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SAMPLES = int(os.environ.get("BENCH_SAMPLES", 40))
TEMPLATES = "the page's templates"


def main():
    if "BENCH_URLS" not in os.environ:
        # Started by hand: again, in our virtualenv with the benchmark's settings and data.
        from run import OUR_PYTHON, WORK, our_env

        if not (WORK / "ours.sqlite3").exists():
            sys.exit("Run bench/run.py first: it builds bench/.work/ours.sqlite3.")
        urls = subprocess.run(
            [str(OUR_PYTHON), str(HERE / "load_ours.py")], env=our_env(), check=True,
            capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        env = our_env(BENCH_URLS=urls)
        os.execve(str(OUR_PYTHON), [str(OUR_PYTHON), __file__], env)
    measure(json.loads(os.environ["BENCH_URLS"]))


def measure(urls):
    import logging

    import django

    django.setup()
    logging.disable(logging.CRITICAL)  # the request log lines

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from django.template.backends import django as django_backend
    from django.template.backends import jinja2 as jinja2_backend

    import pagecache

    spent = defaultdict(float)
    inside = []  # [label, time in fragments inside it] of the fragments being computed
    queries = defaultdict(int)
    in_database = defaultdict(float)

    def timed(label, work):
        inside.append([label, 0.0])
        started = time.perf_counter()
        try:
            return work()
        finally:
            elapsed = time.perf_counter() - started
            children = inside.pop()[1]
            spent[label] += elapsed - children
            if inside:
                inside[-1][1] += elapsed

    def count(execute, sql, params, many, context):
        label = inside[-1][0] if inside else "rest of the page"
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries[label] += 1
            in_database[label] += time.perf_counter() - started

    original_fragment = pagecache.fragment

    def fragment(request, name, keys, render):
        label = name.split(":")[0]
        return timed(label, lambda: original_fragment(request, name, keys, render))

    pagecache.fragment = fragment
    # Every template render, in either engine (the form's widgets included), timed apart
    # from the work around it: a fragment's as "<fragment>: its template", the page's own
    # (base, post, includes) as "the page's templates".
    for backend in (django_backend, jinja2_backend):
        backend.Template.render = template_timer(timed, inside, backend.Template.render)

    client = Client()
    counter = 0
    print(f"All caches cold, median ms of {SAMPLES} requests (exclusive of fragments inside):")
    for size, url in urls.items():
        if size == "10":
            continue
        samples, database = defaultdict(list), defaultdict(list)
        for number in range(SAMPLES + 5):
            counter += 1
            cache.clear()
            spent.clear()
            queries.clear()
            in_database.clear()
            started = time.perf_counter()
            with connection.execute_wrapper(count):
                response = client.get(f"{url}?nocache={counter}")
            total = time.perf_counter() - started
            assert response.status_code == 200
            if number < 5:
                continue  # warming up: templates compiled, connections open
            samples["whole page"].append(total)
            for label, seconds in spent.items():
                samples[label].append(seconds)
            samples["rest of the page"].append(total - sum(spent.values()))
            for label, seconds in in_database.items():
                database[label].append(seconds)
            database["whole page"].append(sum(in_database.values()))
            database["outside any template"].append(
                sum(seconds for label, seconds in in_database.items() if not is_template(label))
            )
            samples["outside any template"].append(
                total - sum(seconds for label, seconds in spent.items() if is_template(label))
            )
        queries["outside any template"] = sum(
            number for label, number in queries.items() if not is_template(label)
        )
        queries["whole page"] = sum(
            number for label, number in queries.items() if label != "outside any template"
        )
        print(f"\n{size} comments\n")
        print("| part | median ms | queries | of which in the database, ms |")
        print("| --- | ---: | ---: | ---: |")
        for label, values in sorted(samples.items(), key=lambda item: -statistics.median(item[1])):
            waited = statistics.median(database[label]) * 1000 if database[label] else 0
            print(f"| {label} | {statistics.median(values) * 1000:.2f} | {queries[label]} | {waited:.2f} |")


def is_template(label):
    return label == TEMPLATES or label.endswith(": its template")


def template_timer(timed, inside, render):
    def timed_render(template, *args, **kwargs):
        label = next(
            (f"{name}: its template" for name, _ in reversed(inside) if not name.endswith("template")
             and name != TEMPLATES),
            TEMPLATES,
        )
        return timed(label, lambda: render(template, *args, **kwargs))

    return timed_render


if __name__ == "__main__":
    main()
