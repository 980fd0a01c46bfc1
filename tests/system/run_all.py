"""`make check-prod`: every system script in turn, then one summary.

--ci runs the two that CI runs (concurrency, two instances: well under a minute);
without it, also `make serve` itself, SQLite writers, backup and restore, nginx in front of two servers, nginx's page cache, a
streaming standby for reads, the 60 s load, the faults and the mail server's outage under
load (about five minutes). Needs PostgreSQL and Redis on loopback, wrk
for the load and nginx for the proxy (`make system-tools` installs both).

Run: .venv/bin/python -m tests.system.run_all [--ci] [name ...]
"""

import argparse
import shutil
import sys
import time
import traceback

from tests.system import (
    backup_restore,
    concurrency,
    faults,
    harness,
    load,
    mail_outage,
    proxy,
    replica,
    serve,
    shared_cache,
    sqlite_writers,
    two_instances,
)

CI = {"concurrency": concurrency.main, "two-instances": two_instances.main}
ALL = {
    **CI,
    "serve": serve.main,
    "sqlite-writers": sqlite_writers.main,
    "backup-restore": backup_restore.main,
    "proxy": proxy.main,
    "shared-cache": shared_cache.main,
    "replica": replica.main,
    "load": load.main,
    "faults": faults.main,
    "mail-outage": mail_outage.main,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="only what CI runs")
    parser.add_argument("names", nargs="*", choices=[[], *ALL], help="scripts to run")
    args = parser.parse_args(argv)
    chosen = args.names or list(CI if args.ci else ALL)

    if not (harness.ensure_postgres() and harness.ensure_redis()):
        print("PostgreSQL or Redis is not running and could not be started.", file=sys.stderr)
        return 2
    results = []
    started = time.monotonic()
    for name in chosen:
        began = time.monotonic()
        try:
            outcome = ALL[name]()
            outcome = outcome if isinstance(outcome, list) else [outcome]
        except Exception as error:
            traceback.print_exc()
            outcome = [harness.report(name, False, {}, [f"crashed: {error!r}"])]
        for result in outcome:
            result["seconds"] = round(time.monotonic() - began)
        results.extend(outcome)
    faults.restore_services()

    print("\n" + "=" * 72 + "\nSummary")
    for result in results:
        print(f"  {'PASS' if result['ok'] else 'FAIL'}  {result['name']}")
        for key, value in result["figures"].items():
            print(f"          {key}: {value}")
        for problem in result["problems"]:
            print(f"          problem: {problem}")
    passed = sum(r["ok"] for r in results)
    print(f"({round(time.monotonic() - started)} s; server logs in {harness.WORK})")
    print(f"{passed} passed, {len(results) - passed} failed")
    if all(r["ok"] for r in results):
        shutil.rmtree(harness.WORK, ignore_errors=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
