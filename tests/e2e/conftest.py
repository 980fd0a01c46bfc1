"""Browser fixtures: one Chromium for the session, a fresh context per page, evidence on failure.

Playwright drives Debian's Chromium (/usr/bin/chromium); it never downloads a browser of its
own. Every page a test opens is watched: console errors, uncaught exceptions,
Content-Security-Policy violations and requests that leave the site are collected and fail the
test at teardown unless the test declared them expected. When a test fails, each of its open
pages leaves a screenshot and its HTML under test-artifacts/<test>/ (CI lists that folder).
"""

import io
import itertools
import os
import re
import signal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Auto-waiting assertions give up after this long; a healthy page needs far less.
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery"

_report_key = pytest.StashKey[dict]()
expect.set_options(timeout=TIMEOUT_MS)
_addresses = itertools.cycle(range(1, 255))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_report_key, {})[report.when] = report
    return report


def _test_failed(request):
    reports = request.node.stash.get(_report_key, {})
    return any(report.failed for report in reports.values())


# No browser test takes more than a few seconds; one that hangs (an evaluate() never
# returns, for example) fails after this long instead of stalling CI.
TEST_TIME_LIMIT_S = 120


class BrowserTestTimeout(Exception):
    pass


@pytest.fixture(autouse=True)
def _time_limit():
    def give_up(signum, frame):
        raise BrowserTestTimeout(f"The test ran for more than {TEST_TIME_LIMIT_S} s.")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(TEST_TIME_LIMIT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing. The browser tests drive Debian's Chromium: run "
            "`make browser-deps` (apt-get install chromium) or set CHROMIUM to its path."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread while it runs, and Django
    # refuses ORM calls when it sees a running loop. The tests call the ORM synchronously
    # between browser steps, which is safe; tell Django so for as long as the browser lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageWatch:
    """What went wrong in a page that a reader would not see: the console, CSP, the network."""

    # Chromium logs every response of 400 or more as a console error; tests that expect one
    # (a form with errors answers 400) say so with expect_console().
    def __init__(self, page, site_origin):
        self.page = page
        self.site_origin = site_origin
        self.console_errors = []
        self.page_errors = []
        self.csp_violations = []
        self.outside_requests = []
        self.expected = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("request", self._on_request)

    def _on_console(self, message):
        if message.type != "error":
            return
        source = message.location.get("url", "")
        # A browser may ask any site for /favicon.ico on its own, whatever icon the page
        # declares (ours: /static/favicon.*); that one 404 is not a fault of the page.
        if urlsplit(source).path == "/favicon.ico":
            return
        self.console_errors.append(f"{self.page.url}: {message.text} [{source}]")

    def _on_request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in {"data", "blob", "about"}:
            return
        if f"{parts.scheme}://{parts.netloc}" != self.site_origin:
            self.outside_requests.append(request.url)

    def _on_csp_violation(self, source, violation):
        self.csp_violations.append(f"{self.page.url}: {violation}")

    def expect_console(self, pattern):
        """Allow console errors matching `pattern` (a regex) for the rest of the test."""
        self.expected.append(re.compile(pattern))

    def problems(self):
        unexpected_console = [
            line for line in self.console_errors
            if not any(pattern.search(line) for pattern in self.expected)
        ]
        return {
            key: value
            for key, value in {
                "console errors": unexpected_console,
                "uncaught exceptions": self.page_errors,
                "CSP violations": self.csp_violations,
                "requests outside the site": self.outside_requests,
            }.items()
            if value
        }


# Reports each securitypolicyviolation event to Python. Init scripts run before the page's
# own scripts and are not subject to the page's CSP.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || ""}:${event.lineNumber || ""}) ${event.sample || ""}`
  );
});
"""


@pytest.fixture
def new_page(request, browser, live_server, settings, tmp_path):
    """Open a page in a fresh browser context (its own cookies): new_page(**context options).

    Each context is a different person on a different network: the tests stand in for a
    trusted proxy and send an X-Forwarded-For address of their own per context, so flood
    control and rate limits treat two readers as two clients, as they would in production.
    Uploaded media go to a temporary folder. The live server runs in this process, so it
    sees these settings.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRUSTED_PROXY_COUNT = 1
    cache.clear()  # rate-limit counters and cached pages from earlier tests
    contexts = []
    watches = []

    def open_page(*, viewport=DESKTOP, **options):
        address = f"198.51.100.{next(_addresses)}"
        headers = {"X-Forwarded-For": address, **options.pop("extra_http_headers", {})}
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, extra_http_headers=headers, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(page, live_server.url.rstrip("/"))
        context.expose_binding("__reportCspViolation", watch._on_csp_violation)
        context.add_init_script(CSP_LISTENER)
        page.watch = watch
        watches.append(watch)
        return page

    yield open_page

    try:
        if _test_failed(request):
            _save_evidence(request.node, [watch.page for watch in watches])
        else:
            problems = {}
            for number, watch in enumerate(watches, start=1):
                for key, value in watch.problems().items():
                    problems[f"page {number}: {key}"] = value
            if problems:
                _save_evidence(request.node, [watch.page for watch in watches])
                pytest.fail(f"The browser reported problems: {problems}", pytrace=False)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def _save_evidence(node, pages):
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", node.nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages, start=1):
        if page.is_closed():
            continue
        try:
            page.screenshot(path=str(folder / f"page{number}.png"), full_page=True)
            (folder / f"page{number}.html").write_text(page.content(), encoding="utf-8")
            watch = page.watch
            log = [f"url: {page.url}"]
            for key, value in vars(watch).items():
                if isinstance(value, list) and value and key != "expected":
                    log += [f"{key}:"] + [f"  {line}" for line in value]
            (folder / f"page{number}.log").write_text("\n".join(log) + "\n", encoding="utf-8")
        except Exception as error:  # evidence is best effort; the test's own failure matters
            (folder / f"page{number}.error").write_text(repr(error), encoding="utf-8")


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm ci` (or `make browser-deps`).")
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    """axe(page) -> the serious and critical violations on the page, as readable lines.

    axe-core is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the tests see the page exactly as readers get it. It needs a page with
    JavaScript enabled (its promises never settle otherwise).
    """

    def run(page, *, context=None):
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        results = page.evaluate(
            """async (context) => {
                const results = await axe.run(context || document, {resultTypes: ["violations"]});
                return results.violations;
            }""",
            context,
        )
        return [
            f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
            + "; ".join(
                f"{' '.join(node['target'])}: {node['failureSummary']}"
                for node in violation["nodes"][:5]
            )
            for violation in results
            if violation["impact"] in {"serious", "critical"}
        ]

    return run


@pytest.fixture
def seed_article(transactional_db):
    """The April 2013 article with its three-comment thread, as `make run` loads it."""
    from blog.models import Post

    call_command("load_seed", stdout=io.StringIO())
    return Post.objects.get(slug="japanese-prisoners-of-war-and-how-they-were-treated")


@pytest.fixture
def publish(make_staff):
    """publish(title, body, **fields): a published post, dated a day ago unless told."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.text import slugify

    from blog.models import Post

    writers = []

    def make(title, body, **fields):
        if not writers:
            writers.append(make_staff("writer", "Authors", first_name="Wren", last_name="Writer"))
        fields.setdefault("published_at", timezone.now() - timedelta(days=1))
        return Post.objects.create(
            title=title, slug=slugify(title), body=body, author=writers[0],
            status=Post.Status.PUBLISHED, **fields,
        )

    return make


@pytest.fixture
def make_staff(django_user_model):
    """A staff user in the named groups ("Authors", "Moderators"), with PASSWORD."""
    from django.contrib.auth.models import Group

    def make(username, *groups, **fields):
        user = django_user_model.objects.create_user(
            username, password=PASSWORD, is_staff=True, **fields
        )
        user.groups.set([Group.objects.get(name=name) for name in groups])
        return user

    return make


@pytest.fixture
def log_in():
    """Log a user in through the admin login form, as a person would."""

    def go(page, username, password=PASSWORD, *, next_url=None):
        page.goto("/admin/login/" + (f"?next={next_url}" if next_url else ""))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page, f"{username} could not log in").not_to_have_url(re.compile("/admin/login/"))

    return go
