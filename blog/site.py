"""The site's settings: its name, tagline, description, menu links and comment rules.

Superusers edit them in the admin (one row, a django-solo singleton); they take effect on
the next request of every process. Django's settings (environment variables) give only
the first-run defaults: the values the row is created with when it is first read.

Every rule reads them through `site_settings()`, the one place that knows how they are
kept fresh. Processes share the database (and perhaps Redis), not memory, so the row is
cached under the site's page-cache version (pagecache/store.py), which a save of the
settings or their menu links bumps after it commits (pagecache/refresh.py): every process
sees the new version on its next request, and every cached page is stale with it. Within
a request the settings are read once.
"""

from urllib.parse import urlsplit

from asgiref.local import Local
from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models, router
from django.db.models import prefetch_related_objects
from solo.models import SingletonModel

import pagecache
from blog.text import refuse_control_characters

# The bounds of the comment rules, for the admin's form and for the first-run defaults.
MAX_REPLY_DEPTH = 10
MAX_COMMENTS_PER_PAGE = 500
MAX_CLOSE_AFTER_DAYS = 36_500
DEPTH_ERROR = f"Replies can nest from 0 (no replies) to {MAX_REPLY_DEPTH} deep."
CLOSE_AFTER_ERROR = (
    f"Enter a number of days from 1 to {MAX_CLOSE_AFTER_DAYS}, or leave it empty so that "
    "comments never close."
)
PER_PAGE_ERROR = (
    f"Enter a number from 1 to {MAX_COMMENTS_PER_PAGE}, or leave it empty for the whole "
    "thread on one page."
)


# First-run defaults, from Django's settings (README: the environment variables).


def default_name():
    return settings.SITE_NAME


def default_max_depth():
    return settings.COMMENTS_MAX_DEPTH


def default_close_after_days():
    return settings.COMMENTS_CLOSE_AFTER_DAYS


def default_comments_per_page():
    # 0 in the environment has always meant "the whole thread on one page".
    return settings.COMMENTS_PER_PAGE or None


MENU_URL_ERROR = (
    "Enter a path on this site starting with / (such as /about/), or a web address "
    "starting with http:// or https://."
)
_absolute_url = URLValidator(schemes=["http", "https"], message=MENU_URL_ERROR)


def validate_menu_url(value):
    """A menu link goes to a path on this site or to an http(s) address, nothing else.

    `javascript:`, `data:` and the like are refused, and so are `//host` and `/\\host`,
    which browsers take for another site.
    """
    if not value or any(character.isspace() for character in value):
        raise ValidationError(MENU_URL_ERROR, code="invalid")
    if value.startswith("/"):
        parts = urlsplit(value)
        if value.startswith(("//", "/\\")) or parts.scheme or parts.netloc or "\\" in value:
            raise ValidationError(MENU_URL_ERROR, code="invalid")
        return
    _absolute_url(value)


class SiteSettings(SingletonModel):
    class Moderation(models.TextChoices):
        HOLD_FIRST = "first", "Hold a commenter's first comment; publish once one is approved"
        HOLD_ALL = "all", "Hold every comment for a moderator"
        OFF = "off", "Off: publish comments at once"

    name = models.CharField(
        "site name",
        max_length=100,
        default=default_name,
        validators=[refuse_control_characters],
        help_text="In the header, every page's title, the feeds, emails and the admin.",
    )
    tagline = models.CharField(
        max_length=200,
        blank=True,
        validators=[refuse_control_characters],
        help_text="A line under the name in the header. Optional.",
    )
    description = models.TextField(
        max_length=300,
        blank=True,
        validators=[refuse_control_characters],
        help_text="What the blog is about, in a sentence or two: the home page's description "
        "for search engines and link previews, and the feeds' description.",
    )
    comment_moderation = models.CharField(
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.HOLD_FIRST,
        help_text="Whatever is chosen, the blocklist still sends comments to spam, the "
        "hold keywords and links still hold them, and staff comments are published.",
    )
    comments_max_depth = models.PositiveSmallIntegerField(
        "reply depth",
        default=default_max_depth,
        validators=[MaxValueValidator(MAX_REPLY_DEPTH, DEPTH_ERROR)],
        help_text=f"How deep replies nest: 0 allows no replies, 1 replies to top-level "
        f"comments only; at most {MAX_REPLY_DEPTH}.",
    )
    comments_close_after_days = models.PositiveIntegerField(
        "close comments after (days)",
        null=True,
        blank=True,
        default=default_close_after_days,
        validators=[
            MinValueValidator(1, CLOSE_AFTER_ERROR),
            MaxValueValidator(MAX_CLOSE_AFTER_DAYS, CLOSE_AFTER_ERROR),
        ],
        help_text="Days after a post's publication when it stops taking comments. "
        "Empty: never.",
    )
    comments_per_page = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=default_comments_per_page,
        validators=[
            MinValueValidator(1, PER_PAGE_ERROR),
            MaxValueValidator(MAX_COMMENTS_PER_PAGE, PER_PAGE_ERROR),
        ],
        help_text=f"Top-level comments (with their replies) on one page of a long thread, "
        f"1 to {MAX_COMMENTS_PER_PAGE}. Empty: the whole thread on one page.",
    )

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self):
        return "Site settings"

    @classmethod
    def load(cls):
        """The row with its menu links, from the primary (a standby may lag behind a save).

        Created with the first-run defaults when missing.
        """
        site, _ = cls.objects.db_manager(router.db_for_write(cls)).get_or_create(
            pk=cls.singleton_instance_id
        )
        prefetch_related_objects([site], "menu_links")
        return site


class MenuLink(models.Model):
    """A link in the header menu besides the pages placed there (pages/models.py)."""

    site = models.ForeignKey(SiteSettings, on_delete=models.CASCADE, related_name="menu_links")
    label = models.CharField(max_length=50, validators=[refuse_control_characters])
    url = models.CharField(
        "address",
        max_length=500,
        validators=[validate_menu_url],
        help_text="A path on this site (/about/) or a web address (https://…).",
    )
    menu_order = models.PositiveSmallIntegerField(
        default=0,
        help_text="Its place in the menu among the pages', smallest first.",
    )

    class Meta:
        ordering = ["menu_order", "label"]

    def __str__(self):
        return self.label


# Reading them.

# The settings read during the current request (asgiref's Local, which Django uses for
# per-request state such as the active time zone): the comment rules deep in a thread's
# assembly or a form's validation have no request to hand, and would otherwise read them
# once each. Emptied when each request starts and ends; never kept outside one.
_request = Local()


def site_settings(request=None):
    """The site's settings as they are now.

    Read once per request. Given the request, the read costs no query when the page cache
    has read the site's version already (every page it serves) and the cache holds the
    settings of that version; without one (a management command, the worker, code that
    runs before a page renders), the row itself is read.
    """
    site = getattr(_request, "site", None)
    if site is not None:
        return site
    if request is not None:
        site = pagecache.fragment(request, "site-settings", [pagecache.SITE], SiteSettings.load)
    else:
        site = SiteSettings.load()
    if getattr(_request, "serving", False):
        _request.site = site
    return site


def changed():
    """The settings were just saved: call it in the code path that saved them.

    What this request read of them is out of date at once. The save itself bumps the
    site's version when the transaction commits (pagecache/refresh.py), so every process
    reads them anew and every cached page is stale (the name, the menu and the comment
    rules are on all of them).
    """
    _request.site = None


def _request_started(**kwargs):
    _request.serving = True
    _request.site = None


def _request_finished(**kwargs):
    _request.serving = False
    _request.site = None


request_started.connect(_request_started, dispatch_uid="blog.site.request_started")
request_finished.connect(_request_finished, dispatch_uid="blog.site.request_finished")


@checks.register()
def check_first_run_defaults(app_configs, **kwargs):
    """The environment's first-run defaults must be values the admin would accept."""
    bounds = [
        ("COMMENTS_MAX_DEPTH", default_max_depth(), 0, MAX_REPLY_DEPTH, False),
        ("COMMENTS_CLOSE_AFTER_DAYS", default_close_after_days(), 1, MAX_CLOSE_AFTER_DAYS, True),
        ("COMMENTS_PER_PAGE", settings.COMMENTS_PER_PAGE, 0, MAX_COMMENTS_PER_PAGE, False),
    ]
    errors = []
    for name, value, low, high, may_be_unset in bounds:
        if value is None and may_be_unset:
            continue
        if value is None or not low <= value <= high:
            errors.append(checks.Error(
                f"{name} is {value!r}: it must be from {low} to {high}.",
                hint="It is only the first-run default of the site settings, which "
                "superusers change in the admin (Blog › Site settings).",
                id="blog.E001",
            ))
    if not settings.SITE_NAME.strip():
        errors.append(checks.Error("SITE_NAME is empty.", id="blog.E002"))
    return errors
