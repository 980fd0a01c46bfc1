"""deploy/nginx/blog.conf, run: nginx in front of two gunicorn servers, as docs/DEPLOY.md
sets it up, on loopback ports with a self-signed certificate.

Checks: the systemd units pass `systemd-analyze verify`; plain http redirects to https (but /healthz answers for probes); pages come
through with nginx's request id in the app's logs; static files come from nginx; a
comment POST works through the proxy and stores the address nginx saw, not the one a
client wrote into X-Forwarded-For; with one app server stopped, every page still loads.

Run: .venv/bin/python -m tests.system.proxy   (needs nginx: apt-get install nginx-light)
"""

import http.client
import re
import shutil
import ssl
import subprocess
import time

from tests.system import harness
from tests.system.harness import ROOT, Server, log

HOST = "blog.example.com"


def render_config(work, http_port, https_port, upstreams):
    conf = (ROOT / "deploy" / "nginx" / "blog.conf").read_text()
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstreams)
    conf = re.sub(r"    server 127\.0\.0\.1:8000[^\n]*\n", servers, conf)
    conf = re.sub(r"\n\s*listen \[::\][^\n]*", "", conf)
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    conf = conf.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    conf = re.sub(r"/etc/letsencrypt/live/[^/]+/fullchain\.pem", str(work / "cert.pem"), conf)
    conf = re.sub(r"/etc/letsencrypt/live/[^/]+/privkey\.pem", str(work / "key.pem"), conf)
    conf = conf.replace("/srv/blog/staticfiles/", f"{ROOT}/staticfiles/")
    conf = conf.replace("/srv/blog/media/", f"{work}/media/")
    conf = conf.replace("/var/cache/nginx/blog", f"{work}/cache")
    (work / "blog.conf").write_text(conf)
    temp = work / "nginx-temp"
    temp.mkdir(exist_ok=True)
    (work / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    log_format ids '$remote_addr "$request" $status $request_id';
    access_log {work}/nginx-access.log ids;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {work}/blog.conf;
}}
""")
    return work / "nginx.conf"


def https(port, method, path, body=None, headers=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own self-signed certificate, on loopback
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    result = (response.status, {k.lower(): v for k, v in response.getheaders()}, text,
              response.msg.get_all("Set-Cookie") or [])
    connection.close()
    return result


def main():
    if shutil.which("nginx") is None:
        return harness.report("nginx in front of two servers", False, {},
                              ["nginx is not installed (apt-get install nginx-light)"])
    work = harness.WORK / "nginx"
    (work / "media").mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={HOST}", "-keyout", str(work / "key.pem"),
                    "-out", str(work / "cert.pem")], check=True, capture_output=True)
    env = harness.server_env(DJANGO_HTTPS="1", DJANGO_ALLOWED_HOSTS=HOST, SITE_URL=f"https://{HOST}",
                             DJANGO_HSTS_SECONDS="60")
    log("proxy: fresh database")
    harness.fresh_database(env)
    site = harness.create_site(env, posts=2)
    post = site["posts"][0]
    problems, figures = [], {}

    def check(name, ok, detail=""):
        figures[name] = ("yes" if ok else "NO") + (f" ({detail})" if detail else "")
        if not ok:
            problems.append(name)

    if shutil.which("systemd-analyze"):
        units = work / "units"
        units.mkdir(exist_ok=True)
        for unit in (ROOT / "deploy" / "systemd").iterdir():
            (units / unit.name).write_text(unit.read_text().replace("/srv/blog", str(ROOT)))
        verified = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                   *sorted(str(u) for u in units.iterdir())],
                                  capture_output=True, text=True)
        check("systemd-analyze verify accepts deploy/systemd/*", verified.returncode == 0,
              verified.stderr.strip()[-300:])

    http_port, https_port = harness.free_port(), harness.free_port()
    with Server(env, name="proxied-a") as a, Server(env, name="proxied-b") as b:
        config = render_config(work, http_port, https_port, [a.port, b.port])
        tested = subprocess.run(["nginx", "-t", "-p", str(work), "-c", str(config)],
                                capture_output=True, text=True)
        check("nginx -t accepts deploy/nginx/blog.conf", tested.returncode == 0,
              "" if tested.returncode == 0 else tested.stderr.strip()[-300:])
        nginx = subprocess.Popen(["nginx", "-p", str(work), "-c", str(config), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            harness.wait_for(lambda: subprocess.run(
                ["curl", "-sk", "-o", "/dev/null", f"https://127.0.0.1:{https_port}/healthz"]).returncode == 0, 10)
            plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            plain.request("GET", "/", headers={"Host": HOST})
            redirect = plain.getresponse()
            check("plain http redirects to https", redirect.status == 301
                  and redirect.getheader("Location", "").startswith("https://"))
            plain.close()
            plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            plain.request("GET", "/healthz", headers={"Host": "10.0.0.5"})
            check("/healthz answers on plain http, any Host", plain.getresponse().status == 200)
            plain.close()

            status, headers, text, cookies = https(https_port, "GET", post["url"])
            request_id = headers.get("x-request-id", "")
            # nginx writes its log line once the request is finished, which with the page
            # cache (the body stored as the reader gets it) may be just after the answer.
            harness.wait_for(lambda: request_id in (work / "nginx-access.log").read_text(), 5)
            access_log = (work / "nginx-access.log").read_text()
            app_ids = {e.get("request_id") for e in a.log_entries() + b.log_entries()}
            check("post page through the proxy", status == 200, f"HSTS: {headers.get('strict-transport-security')}")
            check("nginx's request id reaches the app's log", request_id in access_log and request_id in app_ids,
                  f"{request_id or 'no id'}, {headers.get('x-cache-status')}")

            status, headers, _, _ = https(https_port, "GET", "/static/css/site.css")
            check("static files served by nginx", status == 200 and "immutable" in headers.get("cache-control", ""))

            check("the post page sets no cookie and holds no token",
                  not cookies and "csrfmiddlewaretoken" not in text)
            timestamp = harness.hidden_field(text, "timestamp")
            cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
            body = (f"timestamp={timestamp.replace(':', '%3A')}"
                    "&name=Proxied&email=proxied%40example.org&url=&body=Sent+through+nginx.&parent=&honeypot=")
            status, headers, _, _ = https(https_port, "POST", f"/comments/post/{post['id']}/", body, {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                "Origin": f"https://{HOST}", "Referer": f"https://{HOST}{post['url']}",
                "X-Forwarded-For": "203.0.113.66",  # what a client may claim: ignored
            })
            stored = harness.psql("SELECT ip_address FROM comments_comment WHERE author_email = 'proxied@example.org'")
            check("comment POST through the proxy", status == 302, f"answer {status}")
            check("stored address is the one nginx saw, not the client's claim", stored == "127.0.0.1", stored)

            a.stop()
            answers = [https(https_port, "GET", p)[0] for p in ["/", post["url"], "/"] * 7]
            check("one app server down: every page still loads", set(answers) == {200},
                  f"{answers.count(200)} of {len(answers)} answered 200")
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    return harness.report("nginx in front of two servers", not problems, figures, problems)


if __name__ == "__main__":
    raise SystemExit(0 if main()["ok"] else 1)
