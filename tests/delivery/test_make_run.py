"""`make run` starts the task worker beside the dev server, and Ctrl-C stops both."""

import os
import signal
import subprocess
import urllib.request
from pathlib import Path

from tests.delivery.conftest import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def processes_in_group(group):
    """Command lines of the live (not zombie) processes in a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == group and state != "Z":
            found.append(cmdline)
    return found


def answers(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def test_make_run_starts_the_worker_beside_the_server_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_"))}
    env["SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    make = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), timeout=180,
                 what="the dev server")
        running = processes_in_group(make.pid)
        assert any("manage.py worker" in command for command in running)
        assert any("manage.py runserver" in command for command in running)

        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        make.wait(timeout=60)

        wait_for(lambda: not processes_in_group(make.pid), timeout=30, what="every process to stop")
        assert not answers(f"http://127.0.0.1:{port}/healthz")
    finally:
        if processes_in_group(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
