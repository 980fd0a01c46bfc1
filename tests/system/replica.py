"""Read scaling with PostgreSQL's streaming replication, run: a primary and a hot standby
of their own (made with initdb and pg_basebackup in a temporary folder, on free loopback
ports, separate from the machine's PostgreSQL), one gunicorn server with
DATABASE_REPLICA_URLS naming the standby.

Checks: the standby streams from the primary; anonymous readers' pages are read from the
standby; a reader who just commented sees their pending comment at once (their session
sends them to the primary); a comment approved by a moderator reaches anonymous readers
within the replication delay (measured); no server error.

Run: .venv/bin/python -m tests.system.replica
"""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.system import harness
from tests.system.harness import Client, CommentForm, Server, accepted, log

BIN = Path(f"/usr/lib/postgresql/{harness.PG_VERSION}/bin")


def as_postgres(*command, check=True):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)],
                          capture_output=True, text=True, timeout=120, check=check)


def sql(port, query, db="postgres"):
    result = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db,
                             "-tAqc", query], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout.strip()


class Cluster:
    def __init__(self, folder, port):
        self.folder, self.port = folder, port

    def start(self):
        (self.folder / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.folder}'\nhot_standby = on\n"
            "wal_level = replica\nmax_wal_senders = 4\nfsync = off\nshared_buffers = 32MB\n",
        )
        as_postgres(BIN / "pg_ctl", "-D", self.folder, "-l", self.folder / "server.log", "-w", "start")

    def stop(self):
        as_postgres(BIN / "pg_ctl", "-D", self.folder, "-m", "fast", "-w", "stop", check=False)


def main():
    base = Path(tempfile.mkdtemp(prefix="blog-replica-"))
    shutil.chown(base, "postgres", "postgres")
    primary = Cluster(base / "primary", harness.free_port())
    standby = Cluster(base / "standby", harness.free_port())
    problems, figures = [], {}

    def check(name, ok, detail=""):
        figures[name] = ("yes" if ok else "NO") + (f" ({detail})" if detail else "")
        if not ok:
            problems.append(name)

    try:
        log(f"replica: primary on :{primary.port}, standby on :{standby.port}")
        as_postgres(BIN / "initdb", "-D", primary.folder, "--auth=trust", "-U", "postgres")
        primary.start()
        sql(primary.port, "CREATE DATABASE blog")
        as_postgres(BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres",
                    "-D", standby.folder, "-R", "-X", "stream")
        standby.start()
        check("the standby streams from the primary",
              harness.wait_for(lambda: sql(primary.port, "SELECT state FROM pg_stat_replication") == "streaming", 15))

        primary_url = f"postgres://postgres@127.0.0.1:{primary.port}/blog"
        standby_url = f"postgres://postgres@127.0.0.1:{standby.port}/blog"
        env = harness.server_env(DATABASE_URL=primary_url, DATABASE_REPLICA_URLS=standby_url)
        harness.manage("migrate", "--noinput", env={**env, "DATABASE_REPLICA_URLS": ""})
        harness.manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
        harness.flush_redis()
        site = harness.create_site({**env, "DATABASE_REPLICA_URLS": ""}, posts=3)
        post = site["posts"][0]

        def reads(port):
            return int(sql(port, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'blog'"))

        with Server(env, name="replica", workers=2, threads=2) as server:
            reader = Client(server, address=harness.client_address(1))
            form = CommentForm.load(reader, post)
            harness.flush_redis()  # no cached pages: the next ones are read from a database
            time.sleep(1)  # statistics are reported at most once a second
            before = reads(standby.port), reads(primary.port)
            for path in [p["url"] for p in site["posts"]] + ["/", "/search/?q=harbour"] * 3:
                Client(server).get(path)
            time.sleep(1.5)
            standby_reads = reads(standby.port) - before[0]
            primary_reads = reads(primary.port) - before[1]
            check("anonymous pages read from the standby", standby_reads > primary_reads,
                  f"{standby_reads} transactions on the standby, {primary_reads} on the primary")

            body = "Read your own writes."
            sent = form.submit(server, address=reader.address, name="Reader", email="reader@example.org",
                               body=body, client=reader)
            check("comment accepted (written to the primary)", accepted(sent))
            own = reader.get(post["url"])
            check("the commenter sees their pending comment at once", body in own.text)

            moderator = Client(server)
            moderator.login(**site["moderator"])
            queue = moderator.get("/comments/moderation/")
            approved_at = time.monotonic()
            moderator.post("/comments/moderation/decide/", {
                "csrfmiddlewaretoken": harness.hidden_field(queue.text, "csrfmiddlewaretoken"),
                "decide": f"approve:{sent.location.rsplit('#comment-', 1)[1]}",
            })
            seen = harness.wait_for(lambda: body in Client(server).get(post["url"]).text, 5)
            check("the approved comment reaches anonymous readers", seen,
                  f"after {round((time.monotonic() - approved_at) * 1000)} ms")
            # A change the standby has not replayed yet: readers get the page the standby
            # can render, and once it catches up, the new one, never a stale page kept
            # under the new version (the page's versions come from the standby too).
            title = "Retitled while the standby waits"
            sql(standby.port, "SELECT pg_wal_replay_pause()")
            try:
                harness.manage("shell", "-c", (
                    "from blog.models import Post\n"
                    f"post = Post.objects.get(pk={post['id']})\n"
                    f"post.title = {title!r}\n"
                    "post.save()"), env={**env, "DATABASE_REPLICA_URLS": ""})
                during = [Client(server).get(post["url"]).text for _ in range(3)]
                check("while the standby lags, readers get the page it can render",
                      not any(title in text for text in during))
            finally:
                sql(standby.port, "SELECT pg_wal_replay_resume()")
            target = sql(primary.port, "SELECT pg_current_wal_lsn()")
            caught_up = harness.wait_for(lambda: sql(
                standby.port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t", 10)
            after = [Client(server).get(post["url"]).text for _ in range(4)]
            check("no stale page once the standby catches up",
                  caught_up and all(title in text for text in after))

            lag = sql(primary.port, "SELECT coalesce(max(extract(epoch FROM replay_lag)) * 1000, 0)"
                                    " FROM pg_stat_replication")
            figures["replication replay lag ms"] = round(float(lag or 0), 1)
            failed = harness.server_errors(server.log_entries())
            figures["server errors logged"] = len(failed)
            if failed:
                problems.append(f"server errors: {failed[0].get('message')}")
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(base, ignore_errors=True)
    return harness.report("read scaling with a streaming standby", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
