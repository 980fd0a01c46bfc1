"""fediverse-pasture's verify_actor app, served on 127.0.0.1 only, over plain http.

Runs under .venv-federation's Python (its own dependencies). The package's own command
listens on every interface and its `get_app` factory fails on a missing argument
(0.2.25), so the app is built here with its public `build_app`.

    .venv-federation/bin/python scripts/federation_check_pasture.py PORT WORKDIR
"""

import os
import sys

from fediverse_pasture.verify_actor import build_app


def main():
    port, workdir = int(sys.argv[1]), sys.argv[2]
    os.chdir(workdir)  # it keeps its generated actors' keys in ./data.toml
    app = build_app(False, f"127.0.0.1:{port}", False, 20)
    app.run(host="127.0.0.1", port=port, use_reloader=False)


if __name__ == "__main__":
    main()
