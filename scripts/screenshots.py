"""Photograph the running site for the README: docs/screenshots/*.png.

Starts the real site (`manage.py runserver`, debug on) on a free port against a throwaway
SQLite database holding what `make run` loads (the April 2013 article and its thread), a
moderator and two comments waiting in the queue; then Debian's Chromium, driven by
Playwright, photographs the home page, the article with its thread (light, dark and 375 px
wide) and the moderation queue. Nothing outside the project is touched or fetched.

    make screenshots                # or: .venv/bin/python scripts/screenshots.py [--out DIR]
"""

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTICLE_SLUG = "japanese-prisoners-of-war-and-how-they-were-treated"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="blog-screenshots-") as work:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1",
            "SQLITE_PATH": str(Path(work) / "db.sqlite3"),
            "MEDIA_ROOT": str(Path(work) / "media"),
            "LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        os.environ.update(env)
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        password = secrets.token_urlsafe(16)
        article_url, queue_url, article_id = prepare_site(password)

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            photograph(base, article_url, queue_url, article_id, password, out)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for path in sorted(out.glob("*.png")):
        print(f"{path}  {path.stat().st_size // 1024} KB")


def prepare_site(password):
    """Migrate, load the seed, add a moderator, an editor, two held comments, a draft, a
    scheduled post and a second revision of the article. Returns URLs."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.urls import NoReverseMatch, reverse

    from datetime import timedelta

    from django.utils import timezone

    from blog import revisions
    from blog.models import Post
    from comments.models import Comment

    call_command("migrate", verbosity=0)
    call_command("load_seed", verbosity=0)
    moderator = get_user_model().objects.create_user(
        "moderator", password=password, is_staff=True, first_name="Mo", last_name="Derator"
    )
    moderator.groups.add(Group.objects.get(name="Moderators"))

    post = Post.objects.get(slug=ARTICLE_SLUG)
    editor = get_user_model().objects.create_superuser(
        "editor", password=password, first_name="Eda", last_name="Editor"
    )
    with revisions.saving(editor, "First saved here."):
        post.save()
    with revisions.saving(editor, "Changed Summary."):
        post.summary = "How Japanese prisoners of war were held in New Zealand, and what happened at Featherston."
        post.save()
    with revisions.saving(editor, "Added."):
        Post.objects.create(title="Notes for a follow-up", slug="notes-for-a-follow-up", body="Draft.",
                            status=Post.Status.DRAFT, author=editor)
        Post.objects.create(title="The camp today", slug="the-camp-today", body="Soon.",
                            status=Post.Status.PUBLISHED, author=editor,
                            published_at=timezone.now() + timedelta(days=3))
    held = [
        ("Keiko", "keiko@example.com", "My grandfather was interned at Featherston. "
         "Thank you for writing about the camps so carefully.", "first comment from this address"),
        ("Sam", "sam@example.com", "There is more at [one archive](https://example.com/a) "
         "and [another](https://example.com/b).", "2 links"),
    ]
    for name, email, body, reason in held:
        Comment.objects.create(
            post=post, author_name=name, author_email=email, body=body,
            status=Comment.Status.PENDING, held_reason=reason, ip_address="192.0.2.10",
        )
    try:
        queue_url = reverse("comments:queue")
    except NoReverseMatch:
        queue_url = None
    return post.get_absolute_url(), queue_url, post.pk


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"The site did not start at {base} within {timeout} s.")
            time.sleep(0.2)


def photograph(base, article_url, queue_url, article_id, password, out):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def page_for(**options):
            context = browser.new_context(base_url=base, **options)
            return context.new_page()

        def visit(page, url):
            response = page.goto(url)
            if not response.ok:
                raise SystemExit(f"{url} answered {response.status}: no screenshot of an error.")

        page = page_for(viewport={"width": 1280, "height": 900})
        visit(page, "/")
        page.screenshot(path=out / "home.png")

        for scheme in ("light", "dark"):
            page = page_for(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
            visit(page, article_url)
            page.screenshot(path=out / f"article-{scheme}.png", full_page=True)

        page = page_for(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                        is_mobile=True, has_touch=True)
        visit(page, article_url + "#comments")
        page.screenshot(path=out / "article-phone.png")

        if queue_url is None:
            print("No moderation queue URL (comments:queue) yet; skipped its screenshot.")
        else:
            page = page_for(viewport={"width": 1280, "height": 900})
            visit(page, "/admin/login/")
            page.get_by_label("Username").fill("moderator")
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/admin/")
            visit(page, queue_url)
            page.screenshot(path=out / "moderation-queue.png", full_page=True)

        page = page_for(viewport={"width": 1280, "height": 900})
        visit(page, "/admin/login/")
        page.get_by_label("Username").fill("editor")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/")
        visit(page, "/admin/blog/post/")
        page.screenshot(path=out / "post-list.png")
        visit(page, f"/admin/blog/post/{article_id}/revisions/")
        page.screenshot(path=out / "revisions.png", full_page=True)
        visit(page, "/admin/blog/sitesettings/")
        page.screenshot(path=out / "site-settings.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
