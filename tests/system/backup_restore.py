"""The backup recipe of docs/OPERATIONS.md, run: deploy/backup.sh (pg_dump), pg_restore
into a fresh database, compare every table's row count, serve a page from the copy.

Run: .venv/bin/python -m tests.system.backup_restore
"""

import subprocess

from tests.system import harness
from tests.system.harness import Client, CommentForm, Server, log

RESTORED = f"{harness.DB_NAME}_restored"


def table_counts(db):
    tables = harness.psql(
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'",
        db=db,
    ).split(",")
    return {table: harness.count(f'SELECT count(*) FROM "{table}"', db=db) for table in tables}


def main():
    env = harness.server_env()
    log("backup: fresh database with posts, users and comments")
    harness.fresh_database(env)
    site = harness.create_site(env, posts=5)
    with Server(env, name="backup-source", workers=1, threads=4) as server:
        form = CommentForm.load(Client(server), site["posts"][0])
        for n in range(20):
            form.submit(server, address=harness.client_address(700_000 + n), name=f"Reader {n}",
                        email=f"backup-{n}@example.org", body=f"Kept in the backup, {n}.")

    backups = harness.WORK / "backups"
    log(f"deploy/backup.sh into {backups}")
    subprocess.run([str(harness.ROOT / "deploy" / "backup.sh")], check=True, timeout=300,
                   env={**env, "BACKUP_DIR": str(backups), "BACKUP_KEEP_DAYS": "14"})
    [dump] = backups.glob("blog-*.dump")
    harness.psql(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)', db="postgres")
    harness.psql(f'CREATE DATABASE "{RESTORED}"', db="postgres")
    log(f"pg_restore into {RESTORED}")
    subprocess.run(["pg_restore", "-h", "127.0.0.1", "-U", "postgres", "--no-owner",
                    "--exit-on-error", "--dbname", RESTORED, str(dump)], check=True, timeout=300)

    source, restored = table_counts(harness.DB_NAME), table_counts(RESTORED)
    differing = {t: (source.get(t), restored.get(t)) for t in set(source) | set(restored)
                 if source.get(t) != restored.get(t)}
    restored_env = {**env, "DATABASE_URL": harness.database_url(RESTORED)}
    with Server(restored_env, name="backup-restored", workers=1, threads=2) as server:
        ready = Client(server).get("/readyz").status
        page = Client(server).get(site["posts"][1]["url"]).status
    harness.psql(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)', db="postgres")

    figures = {
        "dump size KiB": round(dump.stat().st_size / 1024, 1),
        "tables compared": len(source),
        "rows in source / restored": f"{sum(source.values())} / {sum(restored.values())}",
        "comments in source / restored": f"{source.get('comments_comment')} / {restored.get('comments_comment')}",
        "restored copy: /readyz, a post page": f"{ready}, {page}",
    }
    problems = []
    if differing:
        problems.append(f"row counts differ: {differing}")
    if ready != 200 or page != 200:
        problems.append("the restored copy does not serve")
    return harness.report("backup and restore", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
