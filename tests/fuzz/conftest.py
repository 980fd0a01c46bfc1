"""The fuzz suite's site (a small blog with every kind of row), its users and its runner.

`make test` runs the CI profile: a fixed set of inputs per target. `make fuzz` runs the
long profile and prints, at the end, how many inputs each target tried and how the site
answered them (tests/fuzz/harness.py).
"""

import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from blog.models import Post, Tag
from blog.site import site_settings
from comments.models import BlocklistEntry, Comment, ModerationKeyword
from tests.fuzz import harness
from transfer.models import LegacyURL

TARGETS = pytest.StashKey[dict]()


def pytest_collection_modifyitems(config, items):
    fuzz_items = [item for item in items if "fuzz" in getattr(item, "fixturenames", ())]
    config.stash[TARGETS] = {"count": len(fuzz_items), "started": 0, "since": None}


def pytest_terminal_summary(terminalreporter):
    if not harness.STATS:
        return
    write = terminalreporter.write_line
    terminalreporter.section(f"fuzz targets (profile {harness.PROFILE})")
    total_inputs = total_seconds = 0
    for name, stats in sorted(harness.STATS.items()):
        common = stats.outcomes.most_common(8)
        outcomes = ", ".join(f"{label}: {count}" for label, count in common)
        if len(stats.outcomes) > len(common):
            outcomes += f", {sum(stats.outcomes.values()) - sum(n for _, n in common)} others"
        state = "FAILED" if stats.failed else "ok"
        write(
            f"{name:<34} {stats.inputs:>8,} inputs {stats.seconds:>8.1f} s  slowest "
            f"{stats.slowest:6.2f} s  {state}  [{outcomes}]"
        )
        total_inputs += stats.inputs
        total_seconds += stats.seconds
    failed = sum(stats.failed for stats in harness.STATS.values())
    write(f"{len(harness.STATS)} targets, {total_inputs:,} inputs in {total_seconds:.0f} s, {failed} failed")


@pytest.fixture
def fuzz(request):
    """fuzz(name, strategy, check, ci_examples=N): run one target under the profile.

    The long profile gives each target an equal share of what is left of FUZZ_SECONDS.
    """
    plan = request.config.stash.get(TARGETS, {"count": 1, "started": 0, "since": None})
    if plan["since"] is None:
        plan["since"] = time.monotonic()
    remaining_targets = max(1, plan["count"] - plan["started"])
    plan["started"] += 1
    left = harness.LONG_RUN_SECONDS - (time.monotonic() - plan["since"])
    share = max(30.0, left / remaining_targets)

    def run(name, strategy, check, *, ci_examples):
        harness.run_target(name, strategy, check, ci_examples=ci_examples, seconds=share)

    return run


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site(make_user, make_post, django_user_model):
    """A small blog with a row of every kind the fuzzed inputs could touch."""
    author = make_user("author", groups=["Authors"], is_staff=True, first_name="Ada", last_name="Author")
    other = make_user("other-author", groups=["Authors"], is_staff=True)
    moderator = make_user("moderator", groups=["Moderators"], is_staff=True, email="mod@example.org")
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "correct horse battery")
    now = timezone.now()
    post = make_post(title="The walls of Constantinople", slug="walls", author=author,
                     body="The **Theodosian** walls.\n\n[Map](https://example.org/map)",
                     summary="Walls.", tags=["history", "Byzance café"], age=timedelta(days=3))
    other_post = make_post(title="Rome, again", slug="rome", author=other, tags=["history"])
    draft = make_post(title="Unfinished", slug="unfinished", author=author, status=Post.Status.DRAFT)
    scheduled = make_post(title="Tomorrow", slug="tomorrow", author=author,
                          published_at=now + timedelta(days=1))
    closed = make_post(title="Closed thread", slug="closed", author=other, comments_enabled=False)
    Tag.objects.create(name="empty tag")

    def comment(post, name, status=Comment.Status.APPROVED, parent=None, **fields):
        return Comment.objects.create(
            post=post, parent=parent, author_name=name, author_email=f"{name.lower()}@example.org",
            body=f"{name} says hello.", status=status, created_at=now - timedelta(hours=5),
            ip_address="192.0.2.10", **fields,
        )

    first = comment(post, "Alice")
    reply = comment(post, "Bob", parent=first)
    deepest = reply
    for depth in range(site_settings().comments_max_depth - 1):
        deepest = comment(post, f"Deep{depth}", parent=deepest)
    pending = comment(post, "Penelope", status=Comment.Status.PENDING, author_url="https://penelope.example")
    spam = comment(other_post, "Spammer", status=Comment.Status.SPAM)
    rejected = comment(other_post, "Rejected", status=Comment.Status.REJECTED)
    comment(closed, "Carol")
    ModerationKeyword.objects.create(word="casino")
    BlocklistEntry.objects.create(kind=BlocklistEntry.Kind.EMAIL, value="blocked@example.org")
    LegacyURL.objects.create(path="/2013/04/old-walls.html", post=post)

    users = {"author": author, "other-author": other, "moderator": moderator, "superuser": superuser}
    sessions = {}
    for role, user in users.items():
        browser = Client()
        browser.force_login(user)
        sessions[role] = browser.cookies[django_settings.SESSION_COOKIE_NAME].value
    return Site(
        posts={"published": post, "other": other_post, "draft": draft, "scheduled": scheduled,
               "closed": closed},
        comments={"approved": first, "reply": reply, "deepest": deepest, "pending": pending,
                  "spam": spam, "rejected": rejected},
        users=users,
        sessions=sessions,
    )


class Site:
    def __init__(self, *, posts, comments, users, sessions):
        self.posts = posts
        self.comments = comments
        self.users = users
        self.sessions = sessions

    def client(self, role="anonymous"):
        """A fresh browser for `role`, signed in with the session made for it."""
        browser = Client()
        if role != "anonymous":
            browser.cookies[django_settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return browser
