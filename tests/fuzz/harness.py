"""How every fuzz target runs: the profile, one input at a time, and what must hold after it.

Each input runs in a transaction that is rolled back afterwards, with an empty cache (page
cache and rate-limit counters), so inputs never depend on one another and a failure
shrinks to the input alone. After each input:

- no log record at ERROR or above, and nothing any log handler would write contains a
  traceback or spans more than one line (security warnings included);
- where the input was refused, no stored row changed;
- where something was stored, every feed and the sitemap still parse as XML.

Profiles (FUZZ_PROFILE): "ci" (the default, inside `make test`) runs a fixed number of
derandomized inputs per target, the same ones on every run; "long" (`make fuzz`) shares
FUZZ_SECONDS among the targets and keeps drawing fresh random inputs until each target's
share is spent, replaying earlier failures first from .hypothesis/.
"""

import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from xml.etree import ElementTree

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

PROFILE = os.environ.get("FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    raise ValueError(f"FUZZ_PROFILE is 'ci' or 'long', not {PROFILE!r}.")
LONG_RUN_SECONDS = int(os.environ.get("FUZZ_SECONDS", "1500"))

_QUIET = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]
CI_SETTINGS = hypothesis_settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
    print_blob=True,
    # Shrinking a failure can take minutes on a loaded machine; CI reports the input found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
LONG_SETTINGS = hypothesis_settings(deadline=None, suppress_health_check=_QUIET, print_blob=True)

# The database models whose rows are "what is stored": content, people, imports.
# What readers see and what moderators keep. Not the log of import runs: a dry run keeps
# its run and report by design, while importing nothing.
STORED_MODELS = [
    "blog.Post", "blog.Tag", "pages.Page", "comments.Comment", "comments.ModerationLog",
    "comments.ModerationKeyword", "comments.BlocklistEntry", "auth.User", "auth.Group",
    "transfer.SourceRecord", "transfer.LegacyURL",
    "federation.Follower", "federation.RemoteActor", "federation.Reaction", "federation.Block",
]


@dataclass
class TargetStats:
    inputs: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    outcomes: Counter = field(default_factory=Counter)
    failed: bool = False


STATS = {}


class Broken(AssertionError):
    """An invariant of the site did not hold after one input."""


# Logs ---------------------------------------------------------------------------------


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _writers(record):
    """The handlers that would write `record`, as the logging module chooses them."""
    logger = logging.getLogger(record.name)
    found = []
    while logger is not None:
        # pytest's own capturing handlers write nowhere the site's operators read.
        found += [
            handler for handler in logger.handlers
            if not isinstance(handler, _Collector) and not type(handler).__module__.startswith("_pytest")
        ]
        if not logger.propagate:
            break
        logger = logger.parent
    if not found and logging.lastResort is not None:
        found = [logging.lastResort]
    return [handler for handler in found if record.levelno >= handler.level]


def log_problems(records):
    """What is wrong with the log lines these records make: errors, tracebacks, broken lines."""
    problems = []
    for record in records:
        if record.levelno >= logging.ERROR and not record.name.startswith("django.security"):
            problems.append(f"{record.levelname} from {record.name}: {record.getMessage()}")
            continue
        for handler in _writers(record):
            if not handler.filter(record):
                continue
            line = handler.format(record)
            if "Traceback (most recent call last)" in line or "\n" in line.strip():
                problems.append(f"{record.name} writes a traceback or several lines:\n{line}")
    return problems


class captured_logs:
    """Collects every record logged, from every logger, including non-propagating ones."""

    def __enter__(self):
        self.collector = _Collector()
        self.loggers = [logging.getLogger()] + [
            logger
            for logger in list(logging.Logger.manager.loggerDict.values())
            if isinstance(logger, logging.Logger) and not logger.propagate
        ]
        for logger in self.loggers:
            logger.addHandler(self.collector)
        return self.collector.records

    def __exit__(self, *exc):
        for logger in self.loggers:
            logger.removeHandler(self.collector)
        return False


# Stored rows and feeds ----------------------------------------------------------------


def stored_rows():
    """Every stored row of the content models, and the posts' tags, in a comparable form."""
    rows = {}
    for label in STORED_MODELS:
        model = apps.get_model(label)
        rows[label] = list(model.objects.order_by("pk").values())
    Post = apps.get_model("blog.Post")
    rows["post tags"] = list(Post.tags.through.objects.order_by("pk").values())
    User = apps.get_model("auth.User")
    rows["user groups"] = list(User.groups.through.objects.order_by("pk").values())
    return rows


def changed_rows(before, after):
    """Rows that existed before and differ or are gone now, by model."""
    changes = {}
    for label, old_rows in before.items():
        now = {row["id"]: row for row in after[label]}
        differ = [(row, now.get(row["id"])) for row in old_rows if now.get(row["id"]) != row]
        if differ:
            changes[label] = differ
    return changes


def added_rows(before, after):
    return {
        label: len(after[label]) - len(rows) for label, rows in before.items() if len(after[label]) != len(rows)
    }


def feed_urls():
    Post = apps.get_model("blog.Post")
    Tag = apps.get_model("blog.Tag")
    urls = [
        reverse("blog:feed-rss"), reverse("blog:feed-atom"), reverse("sitemap"),
        reverse("comments:feed-rss"), reverse("comments:feed-atom"),
    ]
    for post_id in Post.objects.published().values_list("pk", flat=True):
        urls += [reverse("comments:post-feed-rss", args=[post_id]),
                 reverse("comments:post-feed-atom", args=[post_id])]
    for slug in Tag.objects.values_list("slug", flat=True):
        if slug:
            urls += [reverse("blog:tag-feed-rss", args=[slug]), reverse("blog:tag-feed-atom", args=[slug])]
    return urls


def assert_feeds_are_xml():
    """Every feed and the sitemap answer 200 (404 for an empty tag's) with well-formed XML."""
    reader = Client()
    for url in feed_urls():
        response = reader.get(url)
        if response.status_code == 404 and "/tags/" in url:
            continue
        if response.status_code != 200:
            raise Broken(f"{url} answered {response.status_code}")
        try:
            ElementTree.fromstring(response.content)
        except ElementTree.ParseError as error:
            raise Broken(f"{url} is not well-formed XML: {error}") from None


# Running a target ---------------------------------------------------------------------


@dataclass
class Outcome:
    """What a target's check says about one input: a label to count, and whether the
    site refused it (then nothing stored may change)."""

    label: str
    refused: bool


def refused_if(status, label=None):
    """An Outcome from an HTTP status: 4xx answers are refusals."""
    return Outcome(label or str(status), 400 <= status < 500)


def _one_input(stats, check, value):
    stats.inputs += 1
    started = time.perf_counter()
    cache.clear()
    with transaction.atomic():
        try:
            before = stored_rows()
            with captured_logs() as records:
                outcome = check(value)
                after = stored_rows()
                if added_rows(before, after) or changed_rows(before, after):
                    if outcome.refused:
                        raise Broken(
                            f"refused ({outcome.label}) but stored rows changed: "
                            f"{changed_rows(before, after) or added_rows(before, after)}"
                        )
                    # Something was stored: readers' feeds must survive it.
                    cache.clear()
                    assert_feeds_are_xml()
            problems = log_problems(records)
            if problems:
                raise Broken("bad log lines:\n" + "\n".join(problems))
        finally:
            transaction.set_rollback(True)
    elapsed = time.perf_counter() - started
    stats.seconds += elapsed
    stats.slowest = max(stats.slowest, elapsed)
    stats.outcomes[outcome.label] += 1


def run_target(name, strategy, check, *, ci_examples, seconds=None):
    """Throw values drawn from `strategy` at `check(value) -> Outcome` under the profile.

    `seconds` is this target's share of the long run (ignored by the CI profile).
    """
    stats = STATS.setdefault(name, TargetStats())

    def runner(profile):
        @profile
        @given(strategy)
        def fuzz_one(value):
            _one_input(stats, check, value)

        return fuzz_one

    try:
        if PROFILE == "ci":
            runner(hypothesis_settings(CI_SETTINGS, max_examples=ci_examples))()
            return
        stop = time.monotonic() + (seconds or 60)
        batch = 50
        while time.monotonic() < stop:
            started, before = time.monotonic(), stats.inputs
            runner(hypothesis_settings(LONG_SETTINGS, max_examples=batch))()
            # Batches of about half a minute: fresh seeds often, little overrun at the end.
            per_input = (time.monotonic() - started) / max(1, stats.inputs - before)
            remaining = stop - time.monotonic()
            batch = int(max(10, min(2000, min(30, remaining) / max(per_input, 1e-3))))
    except BaseException:
        stats.failed = True
        raise
