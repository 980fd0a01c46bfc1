"""Two application servers, one PostgreSQL, one Redis: nothing lives in a single process.

Servers A and B run the same code against the same database and cache, like two machines
behind the proxy. A reader comments through A and sees their pending comment through B
(their session is in the shared database); a moderator logs in on A and works on B; a
comment approved through A is on B's page at the very next request, and one removed
through B is gone from A's (whatever either has cached).

Run: .venv/bin/python -m tests.system.two_instances
"""

from tests.system import harness
from tests.system.harness import Client, CommentForm, Server, accepted, log


def main():
    env = harness.server_env()
    log("two instances: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env)
    post = site["posts"][0]
    problems, figures = [], {}

    def check(name, ok):
        figures[name] = "yes" if ok else "NO"
        if not ok:
            problems.append(name)

    with Server(env, name="a") as a, Server(env, name="b") as b:
        figures["servers"] = f"A on :{a.port}, B on :{b.port}"
        check("both ready", all(Client(s).get("/readyz").status == 200 for s in (a, b)))

        body = "Seen through both servers, I hope."
        reader = Client(a, address=harness.client_address(1))
        form = CommentForm.load(reader, post)
        sent = form.submit(a, address=reader.address, name="Reader", email="reader@example.org",
                           body=body, client=reader)
        check("comment accepted through A", accepted(sent))
        comment_id = int(sent.location.rsplit("#comment-", 1)[1])

        # Readers' pages on both servers, before the decision: the second visit to B is
        # served from the shared page cache, which the decision must then invalidate.
        for server in (a, b, b):
            cached = Client(server).get(post["url"])
            Client(server).get("/")
        check("B serves the post page from the shared cache before the decision",
              cached.headers.get("x-page-cache") == "hit")

        reader.server = b
        own = reader.get(post["url"])
        check("reader's session from A works on B (sees own pending comment)",
              body in own.text and "awaiting moderation" in own.text)
        check("others do not see the pending comment on B", body not in Client(b).get(post["url"]).text)

        moderator = Client(a)
        moderator.login(**site["moderator"])
        moderator.server = b
        queue = moderator.get("/comments/moderation/")
        check("moderator logged in on A sees the queue on B", queue.status == 200 and body in queue.text)

        moderator.server = a
        decided = moderator.post("/comments/moderation/decide/", {
            "csrfmiddlewaretoken": harness.hidden_field(queue.text, "csrfmiddlewaretoken"),
            "decide": f"approve:{comment_id}",
        })
        check("approved through A", decided.status == 302)
        check("approved comment on B's page at the next request", body in Client(b).get(post["url"]).text)
        check("... and then cached again with it",
              body in (again := Client(b).get(post["url"])).text and again.headers.get("x-page-cache") == "hit")

        moderator.server = b
        queue = moderator.get("/comments/moderation/?status=approved")
        moderator.post("/comments/moderation/decide/", {
            "csrfmiddlewaretoken": harness.hidden_field(queue.text, "csrfmiddlewaretoken"),
            "decide": f"reject:{comment_id}", "status": "approved",
        })
        check("rejected through B, gone from A's page at the next request",
              body not in Client(a).get(post["url"]).text)

        figures["keys the two servers share in Redis"] = harness.redis_keys()
        failed = harness.server_errors(a.log_entries() + b.log_entries())
        figures["server errors logged"] = len(failed)
        if failed:
            problems.append(f"server errors: {failed[0].get('message')}")

    return harness.report("two instances", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
