"""A small HTTP server on 127.0.0.1 for tests of what the site fetches from elsewhere."""

import io
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def png_bytes(size=(4, 3), color="red"):
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, "PNG")
    return output.getvalue()


class Route:
    """What the server answers at one path."""

    def __init__(self, status=200, body=b"", content_type="image/png", headers=None, delay=0,
                 send_length=True, trickle=0):
        self.status, self.body, self.content_type = status, body, content_type
        self.headers, self.delay, self.send_length, self.trickle = headers or {}, delay, send_length, trickle


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # Tests of timeouts hang up on a slow answer on purpose; the answer then has no one
        # to go to. Anything else is still printed.
        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    """`routes` maps a path to a Route; `hits` lists the paths asked for, in order;
    `posted` lists (path, headers, body) of each POST, answered by its route (or 202)."""

    def __init__(self):
        self.routes = {}
        self.hits = []
        self.posted = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                server.hits.append(self.path)
                route = server.routes.get(self.path, Route(404, b"not here", "text/plain"))
                time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                for name, value in route.headers.items():
                    # A list sends the header once per value (several Link headers).
                    for one in value if isinstance(value, list) else [value]:
                        self.send_header(name, one)
                if route.send_length:
                    self.send_header("Content-Length", str(len(route.body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if route.trickle:
                        for byte in route.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
                        self.wfile.write(route.body)
                except OSError:
                    pass  # the client gave up first, as it should
                if not route.send_length:
                    self.close_connection = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.hits.append(self.path)
                server.posted.append((self.path, self.headers, body))
                route = server.routes.get(self.path, Route(202, b"", "text/plain"))
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args):
                pass

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        # shutdown() waits for the loop's next poll: the default half second, at the end of
        # every test that uses a server.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path):
        return self.base + path
