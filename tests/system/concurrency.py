"""Comments sent at the same moment: none lost, none doubled, replies where they belong.

1. 200 distinct comments from 200 readers, released together: exactly 200 rows.
2. 25 readers each send the same comment twice at once (a double click): 25 rows.
3. 50 readers reply to one comment at once: 50 rows under that comment, one level deeper,
   and once approved, the post page shows each of them nested in it.

Run: .venv/bin/python -m tests.system.concurrency  (PostgreSQL and Redis on loopback)
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.system import harness
from tests.system.harness import Client, CommentForm, Server, accepted, count, log
from tests.system.threadpage import nesting


def all_at_once(jobs):
    """Run the callables in threads released by one barrier; their results in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        try:
            return job()
        except OSError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def statuses(responses):
    summary = {}
    for response in responses:
        key = getattr(response, "status", type(response).__name__)
        summary[key] = summary.get(key, 0) + 1
    return dict(sorted(summary.items(), key=str))


def main(server_options=None):
    env = harness.server_env()
    log("concurrency: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env)
    post, parent_id = site["posts"][0], site["parent_id"]
    problems, figures = [], {}

    with Server(env, name="concurrency", **(server_options or {"workers": 4, "threads": 8})) as server:
        form = CommentForm.load(Client(server), post)

        log("200 distinct comments at once")
        responses = all_at_once([
            (lambda n=n: form.submit(server, address=harness.client_address(1000 + n),
                                     name=f"Reader {n}", email=f"distinct-{n}@example.org",
                                     body=f"Distinct comment number {n}."))
            for n in range(200)
        ])
        rows = count("SELECT count(*) FROM comments_comment WHERE author_email LIKE 'distinct-%'")
        ok_answers = sum(accepted(r) for r in responses)
        figures["distinct: answers"] = statuses(responses)
        figures["distinct: rows"] = rows
        if rows != 200 or ok_answers != 200:
            problems.append(f"200 distinct comments: {ok_answers} accepted, {rows} rows")

        log("25 double submissions at once")
        jobs = []
        for n in range(25):
            for _ in range(2):
                jobs.append(lambda n=n: form.submit(
                    server, address=harness.client_address(5000 + n), name=f"Twice {n}",
                    email=f"twice-{n}@example.org", body=f"Sent twice by accident, {n}."))
        responses = all_at_once(jobs)
        per_pair = harness.psql(
            "SELECT string_agg(c::text, ',') FROM (SELECT count(*) AS c FROM comments_comment "
            "WHERE author_email LIKE 'twice-%' GROUP BY author_email) AS pairs"
        )
        rows = count("SELECT count(*) FROM comments_comment WHERE author_email LIKE 'twice-%'")
        figures["same submission twice: answers"] = statuses(responses)
        figures["same submission twice: rows (of 25 pairs)"] = rows
        if rows != 25 or set(per_pair.split(",")) != {"1"}:
            problems.append(f"double submissions: {rows} rows for 25 pairs ({per_pair})")
        if any(getattr(r, "status", 500) >= 500 or isinstance(r, Exception) for r in responses):
            problems.append("a double submission got a server error")

        log("50 replies to one comment at once")
        responses = all_at_once([
            (lambda n=n: form.submit(server, address=harness.client_address(8000 + n),
                                     name=f"Replier {n}", email=f"reply-{n}@example.org",
                                     body=f"Reply number {n}.", parent=parent_id))
            for n in range(50)
        ])
        figures["replies: answers"] = statuses(responses)
        placed = count(
            f"SELECT count(*) FROM comments_comment WHERE author_email LIKE 'reply-%' "
            f"AND parent_id = {parent_id} AND depth = 1 AND post_id = {post['id']}"
        )
        figures["replies under the parent, depth 1"] = placed
        if placed != 50:
            problems.append(f"replies: {placed} of 50 under the parent at depth 1")

        # A moderator approves them all; the page must nest every one in the parent.
        moderator = Client(server)
        moderator.login(**site["moderator"])
        queue = moderator.get("/comments/moderation/")
        reply_ids = [int(i) for i in harness.psql(
            "SELECT string_agg(id::text, ',') FROM comments_comment WHERE author_email LIKE 'reply-%'"
        ).split(",")]
        decided = moderator.post("/comments/moderation/decide/", {
            "csrfmiddlewaretoken": harness.hidden_field(queue.text, "csrfmiddlewaretoken"),
            "action": "approve", "comment": [str(i) for i in reply_ids],
        })
        page = Client(server).get(post["url"])
        shown = nesting(page.text)
        nested = sum(shown.get(i) == parent_id for i in reply_ids)
        figures["replies shown nested in the parent after approval"] = nested
        if decided.status != 302 or nested != 50:
            problems.append(f"approved replies on the page: {nested} of 50 nested in the parent")

        entries = server.log_entries()
        failed = harness.server_errors(entries)
        figures["server errors logged"] = len(failed)
        figures["other errors logged"] = len(harness.other_errors(entries))
        if failed:
            problems.append(f"{len(failed)} server errors logged, first: {failed[0].get('message')}")

    return harness.report("concurrency", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
