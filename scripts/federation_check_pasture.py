"""fediverse-pasture's apps and sender, on 127.0.0.1 only, over plain http.

Runs under .venv-federation's Python (its own dependencies), started by
scripts/federation_check.py. The package's own commands listen on every interface (and
0.2.25's `get_app` factory fails on a missing argument), so the apps are built here with
its public functions.

    federation_check_pasture.py verify PORT WORKDIR        # the verify_actor app
    federation_check_pasture.py one-actor PORT WORKDIR     # the one_actor app (its /actor)
    federation_check_pasture.py reply PORT WORKDIR ACTOR IN_REPLY_TO TEXT
        # one_actor's actor sends ACTOR's inbox a signed Create of a public Note that
        # replies to IN_REPLY_TO; prints {"status": ..., "note": ...} as JSON
"""

import asyncio
import json
import os
import sys


def serve(app, port):
    app.run(host="127.0.0.1", port=port, use_reloader=False)


def reply(port, actor, in_reply_to, text):
    from fediverse_pasture.one_actor import bovine_actor_and_session
    from fediverse_pasture.runner import ActivitySender

    async def send():
        async with bovine_actor_and_session(f"http://127.0.0.1:{port}") as (bovine_actor, actor_object, _):
            sender = ActivitySender.for_actor(bovine_actor, actor_object)
            sender.init_create_note(lambda note: {**note, "content": f"<p>{text}</p>", "inReplyTo": in_reply_to})
            response = await sender.send(actor)
            return {"status": getattr(response, "status", None), "note": sender.note}

    print(json.dumps(asyncio.run(send())))


def main():
    mode, port, workdir, *rest = sys.argv[1:]
    os.chdir(workdir)  # the tool keeps its generated actors' keys in ./data.toml
    if mode == "verify":
        from fediverse_pasture.verify_actor import build_app

        serve(build_app(False, f"127.0.0.1:{port}", False, 20), int(port))
    elif mode == "one-actor":
        from fediverse_pasture.data_provider import DataProvider
        from fediverse_pasture.server.one_actor_app import app_for_data_provider

        serve(app_for_data_provider(DataProvider.generate_and_load(False)), int(port))
    elif mode == "reply":
        reply(port, *rest)
    else:
        raise SystemExit(f"Unknown mode {mode!r}.")


if __name__ == "__main__":
    main()
