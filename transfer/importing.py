"""Saving a blog read from an export: one transaction, idempotent, with a report.

Each object is found again through its SourceRecord, so a second import of the same file
changes nothing. When a later export changes a post or comment, the change is applied,
unless the object was also changed here since it was imported: then the local version
wins and the report says so. A post that is already here without a record (the seed
article, or a post of our own export being imported back) is recognised by its old URL or
permalink and adopted rather than duplicated.
"""

import hashlib
import json
import re
import sys
import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from blog import markdown
from blog.models import Post, Tag
from comments.models import Comment
from pages import routes
from pages.models import Page
from transfer import html, media
from transfer.models import ImportRun, LegacyURL, SourceRecord
from transfer.sources import SLUG_MAX_LENGTH, remove_control_characters

Kind = SourceRecord.Kind
TAG_NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length
USERNAME_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length
PAGE_SLUG_MAX_LENGTH = Page._meta.get_field("slug").max_length
# Query in chunks below SQLite's limit on bound parameters.
CHUNK = 500


class ImportFailed(Exception):
    """The database refused the import; nothing was saved."""


class _DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


@dataclass
class Report:
    platform: str
    file_name: str
    dry_run: bool = False
    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    skipped: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    warnings: list = field(default_factory=list)
    # Comments whose WordPress id was taken here, so old #comment-<id> links miss them.
    renumbered: int = 0
    undated_drafts: int = 0
    category_paths: list = field(default_factory=list)
    fetch_media: bool = False

    ACTIONS = ["created", "updated", "unchanged", "matched", "kept here"]
    ROWS = [("authors", Kind.AUTHOR), ("posts", Kind.POST), ("pages", Kind.PAGE), ("comments", Kind.COMMENT),
            ("pingbacks and trackbacks", Kind.LINKBACK), ("tags", "tag"), ("old URLs", "url"),
            ("images to fetch", "image")]
    MEDIA_NOTE = ("Images are fetched by the worker (manage.py worker) after the import, and the "
                  "posts then show the copies: Deliveries and Imported images in the admin show "
                  "what is still waiting and what could not be fetched.")

    def as_data(self):
        """The report as JSON values, kept with its ImportRun for the admin to show."""
        return {
            "platform": self.platform, "file_name": self.file_name, "dry_run": self.dry_run,
            "counts": {kind: dict(counter) for kind, counter in self.counts.items()},
            "skipped": dict(self.skipped), "dropped": dict(self.dropped), "warnings": self.warnings,
            "renumbered": self.renumbered, "undated_drafts": self.undated_drafts,
            "category_paths": self.category_paths, "fetch_media": self.fetch_media,
        }

    @classmethod
    def from_data(cls, data):
        report = cls(platform=data["platform"], file_name=data["file_name"], dry_run=data["dry_run"],
                     skipped=Counter(data["skipped"]), dropped=Counter(data["dropped"]),
                     warnings=list(data["warnings"]), renumbered=data["renumbered"],
                     undated_drafts=data["undated_drafts"], category_paths=list(data["category_paths"]),
                     fetch_media=data["fetch_media"])
        for kind, numbers in data["counts"].items():
            report.counts[kind].update(numbers)
        return report

    def count(self, kind, action, number=1):
        self.counts[kind][action] += number

    def warn(self, message):
        self.warnings.append(message)

    @property
    def changed_anything(self):
        return any(
            counter[action] for counter in self.counts.values() for action in ("created", "updated")
        )

    @property
    def undated_drafts_note(self):
        return (f"{self.undated_drafts} published post(s) without a date were kept as drafts "
                "(WordPress would publish them, dated at the import): publish them with a date.")

    # Lists for templates, which would look "items" up as a key of a Counter.
    @property
    def skipped_list(self):
        return sorted(self.skipped.items())

    @property
    def dropped_list(self):
        return sorted(self.dropped.items())

    def table(self):
        """[(row name, {action: number})] for the rows that have numbers."""
        return [(name, {action: self.counts[kind][action] for action in self.ACTIONS})
                for name, kind in self.ROWS if sum(self.counts.get(kind, Counter()).values())]

    def as_text(self):
        platform = dict(SourceRecord.Platform.choices).get(self.platform, self.platform)
        lines = [f"{platform} import of {self.file_name}"
                 + (": dry run, nothing was saved." if self.dry_run else ".")
                 + (f" {self.undated_drafts_note}" if self.undated_drafts else "")]
        width = max([len(name) for name, _ in self.ROWS])
        lines.append(" " * width + "".join(f"{action:>11}" for action in self.ACTIONS))
        for name, numbers in self.table():
            lines.append(f"{name:<{width}}" + "".join(f"{numbers[a]:>11}" for a in self.ACTIONS))
        if self.skipped:
            lines.append("Not imported:")
            lines.extend(f"  {number} {reason}" for reason, number in sorted(self.skipped.items()))
        if self.dropped:
            lines.append("Left out of post bodies (parts only WordPress can build when it shows a page):")
            dropped = ", ".join(f"{what} ×{number}" for what, number in sorted(self.dropped.items()))
            lines.extend(textwrap.wrap(dropped, 88, initial_indent="  ", subsequent_indent="  ",
                                       break_on_hyphens=False))
        if self.renumbered:
            lines.append(f"{self.renumbered} comment(s) could not keep their WordPress id (taken "
                         "here): old links to them with #comment-<id> open the post at the top.")
        if self.category_paths:
            lines.append("Categories with a parent (tags here are flat, so each became a tag of its own):")
            lines.extend(f"  {path}" for path in self.category_paths)
        if self.fetch_media and sum(self.counts.get("image", Counter()).values()):
            lines.extend(textwrap.wrap(self.MEDIA_NOTE, 88))
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  - {warning}" for warning in self.warnings)
        return "\n".join(lines) + "\n"


def import_blogs(blogs, *, platform, file_name, dry_run=False, by=None, progress=False, fetch_media=False,
                 run=None, on_progress=None):
    """Save `blogs` (SourceBlogs) in one transaction and return the Report.

    A dry run does all the work and rolls it back, so its report is exactly what a real
    import would do. Raises ImportFailed, with nothing saved, if the database refuses.
    With `fetch_media`, the old blog's images are queued to be fetched (transfer/media.py).
    The report is kept in an ImportRun: `run` when the admin queued one (also after a dry
    run), else a new one. `on_progress(processed, total)` is called after each item.
    """
    report = Report(platform=platform, file_name=file_name, dry_run=dry_run, fetch_media=fetch_media)
    counter = _Progress(sum(len(b.posts) + len(b.pages) + len(b.comments) for b in blogs), on_progress)
    try:
        with transaction.atomic():
            for blog in blogs:
                importer = _Importer(blog, report, by=by, progress=progress, fetch_media=fetch_media,
                                     counter=counter)
                importer.run()
            if dry_run:
                raise _DryRun
            # In the import's transaction: the run says "done" exactly when its data is there.
            if run is None:
                run = ImportRun(platform=platform, file_name=file_name[:255], imported_by=by)
            _finish(run, report, counter)
    except _DryRun:
        if run is not None:
            _finish(run, report, counter)
    except DatabaseError as error:
        raise ImportFailed(
            f"The database refused part of the import, so nothing was saved: {error}"
        ) from error
    return report


@dataclass
class _Progress:
    total: int
    on_progress: object = None
    processed: int = 0

    def advance(self):
        self.processed += 1
        if self.on_progress is not None:
            self.on_progress(self.processed, self.total)


def _finish(run, report, counter):
    run.status = ImportRun.Status.DONE
    run.report, run.report_data = report.as_text(), report.as_data()
    run.processed, run.total = counter.processed, counter.total
    run.finished_at = timezone.now()
    run.save()


def _fit(key, length=200):
    if len(key) <= length:
        return key
    return key[: length - 41] + "#" + hashlib.sha1(key.encode("utf-8")).hexdigest()


def _day_range(day):
    """The first and last moment of `day` in the site's time zone, as permalinks count days.

    A range, not `__date`, so the database compares values instead of converting each row.
    """
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end - timedelta(microseconds=1)


def _instant(moment):
    return moment.astimezone(dt_timezone.utc).isoformat() if moment else None


def _digest(values):
    encoded = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def post_state(post):
    return _digest({
        "title": post.title, "body": post.body, "summary": post.summary, "status": post.status,
        "published_at": _instant(post.published_at),
        "comments_enabled": post.comments_enabled, "author": post.author_id,
        "tags": sorted(tag.name for tag in post.tags.all()),
    })


def page_state(page):
    return _digest({
        "title": page.title, "slug": page.slug, "body": page.body, "status": page.status,
        "published_at": _instant(page.published_at), "author": page.author_id,
        "parent": page.parent_id, "menu_order": page.menu_order,
    })


def _comment_state(comment):
    return _digest({
        "author_name": comment.author_name, "author_email": comment.author_email,
        "author_url": comment.author_url, "body": comment.body, "status": comment.status,
        "created_at": _instant(comment.created_at), "parent": comment.parent_id,
    })


class _Importer:
    def __init__(self, blog, report, *, by, progress, fetch_media=False, counter=None):
        self.fetch_media = fetch_media
        self.counter = counter or _Progress(0)
        self.blog = blog
        self.report = report
        self.by = by
        self.progress = progress
        self.posts = {}       # source key -> Post
        self.pages = {}       # source key -> Page
        self.comments = {}    # source key -> Comment
        self.adopted = set()  # ids of posts that were here before and were matched
        self.tags = {}
        self.usernames_taken = {}
        self.authors_seen = set()
        self.explicit_ids = False

    def fit_keys(self):
        """Ids as long as the source likes, within the record's columns (a hash keeps them apart)."""
        blog = self.blog
        blog.site = _fit(blog.site)
        blog.authors = {_fit(key): author for key, author in blog.authors.items()}
        for post in blog.posts:
            post.key, post.author_key = _fit(post.key), _fit(post.author_key)
        for page in blog.pages:
            page.key, page.author_key = _fit(page.key), _fit(page.author_key)
            page.parent_key = _fit(page.parent_key) if page.parent_key else None
        for comment in blog.comments:
            comment.key, comment.post_key = _fit(comment.key), _fit(comment.post_key)
            comment.parent_key = _fit(comment.parent_key) if comment.parent_key else None

    def drop_repeated_comments(self):
        """Keep the first of comments that share an id: a second would overwrite it, and
        every import would flip them."""
        seen, kept = set(), []
        for comment in self.blog.comments:
            if comment.key in seen:
                self.report.skipped["comments whose id is an earlier comment's (the first was kept)"] += 1
            else:
                seen.add(comment.key)
                kept.append(comment)
        self.counter.total -= len(self.blog.comments) - len(kept)
        self.blog.comments = kept

    def run(self):
        remove_control_characters(self.blog)
        self.fit_keys()
        self.drop_repeated_comments()
        report = self.report
        report.skipped.update(self.blog.skipped)
        report.dropped.update(self.blog.dropped)
        report.undated_drafts += self.blog.undated_drafts
        report.category_paths += self.blog.category_paths
        for warning in self.blog.warnings:
            report.warn(warning)
        self.posts.update(self.blog.known_posts)
        self.media = media.Collector(self.blog, report, fetch=self.fetch_media)
        self.records = {
            (record.kind, record.source_id): record
            for record in SourceRecord.objects.filter(platform=self.blog.platform, site=self.blog.site)
            .select_related("user", "post", "comment")
        }
        bar = tqdm(total=len(self.blog.posts) + len(self.blog.pages) + len(self.blog.comments), unit=" items",
                   disable=None if self.progress else True, file=sys.stderr, desc="Importing")
        with bar:
            for source in self.blog.posts:
                self.user_for(source.author_key)
                self.import_post(source)
                bar.update()
                self.counter.advance()
            for source in self._pages_parents_first(self.blog.pages):
                self.user_for(source.author_key)
                self.import_page(source)
                bar.update()
                self.counter.advance()
            numbers = [c.number for c in self.blog.comments if c.number and not c.is_linkback]
            self.old_ids_in_file = bool(numbers)
            self.taken_numbers = set()
            for start in range(0, len(numbers), CHUNK):
                self.taken_numbers.update(
                    Comment.objects.filter(pk__in=numbers[start:start + CHUNK]).values_list("pk", flat=True)
                )
            # Comments whose old id is taken get ids above every id in play, so that no
            # automatic id takes the old id of a comment imported after it.
            self.next_free_number = max(
                [*numbers, Comment.objects.aggregate(highest=Max("pk"))["highest"] or 0], default=0
            ) + 1
            for source in self._parents_first(self.blog.comments):
                self.import_comment(source)
                bar.update()
                self.counter.advance()
        for name in self.blog.extra_tags:
            self.tag_for(name)
        self.media.finish()
        unused = [key for key in self.blog.authors if key not in self.authors_seen]
        if unused:
            self.report.skipped["authors without a post in the export (not created)"] += len(unused)
            names = ", ".join(self.blog.authors[key].username for key in unused[:20])
            self.report.warn(f"Authors without a post in the export, not created: {names}"
                             + (", …" if len(unused) > 20 else "") + ".")
        if self.explicit_ids and connection.vendor == "postgresql":
            # Rows were inserted with explicit ids: move the sequence past them.
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), [Comment]):
                    cursor.execute(statement)

    # -- authors and tags ----------------------------------------------------------------

    def user_for(self, key):
        record = self.records.get((Kind.AUTHOR, key))
        if record is not None:
            if key not in self.authors_seen:
                self.authors_seen.add(key)
                self.report.count(Kind.AUTHOR, "unchanged")
            return record.user
        source = self.blog.authors.get(key)
        User = get_user_model()
        # The login as it was, in the characters Django allows, so an existing account with
        # that login gets its posts.
        wanted = source.username if source else key
        username = re.sub(r"[^\w.@+-]+", "-", wanted).strip("-")[:USERNAME_MAX_LENGTH] or "imported-author"
        user = User.objects.filter(username=username).first()
        # Two source authors with the same name must not become one user here.
        base, suffix = username, 2
        while user is not None and self.usernames_taken.get(username, key) != key:
            username = f"{base[:USERNAME_MAX_LENGTH - 4]}-{suffix}"
            user = User.objects.filter(username=username).first()
            suffix += 1
        if user is None:
            user = User(
                username=username, is_active=False,
                first_name=(source.first_name if source else "")[:150],
                last_name=(source.last_name if source else "")[:150],
                email=source.email if source else "",
            )
            user.set_unusable_password()
            user.save()
            self.report.count(Kind.AUTHOR, "created")
        else:
            self.report.count(Kind.AUTHOR, "matched")
        self.usernames_taken[username] = key
        self.authors_seen.add(key)
        data = {"display_name": source.display_name} if source and source.display_name else {}
        self.records[(Kind.AUTHOR, key)] = SourceRecord.objects.create(
            platform=self.blog.platform, site=self.blog.site, kind=Kind.AUTHOR, source_id=key,
            user=user, data=data,
        )
        return user

    def tag_for(self, name):
        name = name[:TAG_NAME_MAX_LENGTH].strip()
        slug = slugify(name)[:100] or "tag"
        if slug in self.tags:
            return self.tags[slug]
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            unique, number = slug, 2
            while Tag.objects.filter(slug=unique).exists():
                unique = f"{slug[:95]}-{number}"
                number += 1
            tag = Tag.objects.create(name=name, slug=unique)
            self.report.count("tag", "created")
        self.tags[slug] = tag
        return tag

    # -- posts ---------------------------------------------------------------------------

    def source_post_state(self, source):
        return _digest({
            "title": source.title, "body": source.body, "summary": source.summary,
            "status": source.status,
            "published_at": _instant(source.published_at),
            "comments_enabled": source.comments_enabled, "author": source.author_key,
            "tags": sorted(source.tags), "old_paths": source.old_paths,
        })

    def reconcile(self, kind, source, source_hash, *, state, adopt, create, update, kept):
        """The row here for one exported post, page or comment, by the rule every kind follows.

        The first import matches a row already here (`adopt`) or creates one, and remembers
        the export's version and ours. Later imports leave it when the export did not change,
        keep ours when both changed (with the warning `kept` words), and otherwise update it.
        `state` is what "changed here" compares.
        """
        record = self.records.get((kind, source.key))
        if record is None:
            obj = adopt()
            if obj is not None:
                self.report.count(kind, "matched")
            else:
                obj = create()
                self.report.count(kind, "created")
            self.records[(kind, source.key)] = SourceRecord.objects.create(
                platform=self.blog.platform, site=self.blog.site, kind=kind,
                source_id=source.key, data=source.data,
                source_hash=source_hash, local_hash=state(obj), **{kind.value: obj},
            )
            return obj
        obj = getattr(record, kind.value)
        if record.source_hash == source_hash:
            self.report.count(kind, "unchanged")
        elif state(obj) != record.local_hash:
            self.report.count(kind, "kept here")
            self.report.warn(kept(obj))
        else:
            obj = update(obj)
            record.data, record.source_hash, record.local_hash = source.data, source_hash, state(obj)
            record.save(update_fields=["data", "source_hash", "local_hash", "updated_at"])
            self.report.count(kind, "updated")
        return obj

    def import_post(self, source):
        def adopt():
            post = self.adoptable_post(source)
            if post is not None:
                self.adopted.add(post.pk)
            return post

        post = self.reconcile(
            Kind.POST, source, self.source_post_state(source), state=post_state, adopt=adopt,
            create=lambda: self.create_post(source), update=lambda post: self.update_post(post, source),
            kept=lambda post: f"“{post.title}” changed in the export and here since it was imported: "
                              "the version here was kept.",
        )
        self.posts[source.key] = post
        self.register_paths(post, source.old_paths)
        self.media.collect(post.body_html + post.summary_html)

    def adoptable_post(self, source):
        """A post already here that `source` is (by an old URL or by its permalink)."""

        def same_title(post):
            # An old URL can be reused by another post; a title or a day that differs means
            # it was. WordPress, too, takes a post for one it has by its title and date.
            if " ".join(post.title.split()).casefold() != " ".join(source.title.split()).casefold():
                return False
            if post.published_at and source.published_at:
                return timezone.localdate(post.published_at) == timezone.localdate(source.published_at)
            return True

        if source.local_id is not None:
            post = Post.objects.filter(pk=source.local_id).first()
            if post is not None and same_title(post):
                return post

        for found in LegacyURL.objects.filter(path__in=source.old_paths).select_related("post"):
            if same_title(found.post):
                return found.post
        for path in source.old_paths:
            try:
                match = resolve(path.split("?")[0])
            except Resolver404:
                continue
            if match.view_name == "blog:post-detail":
                try:
                    day = date(int(match.kwargs["year"]), int(match.kwargs["month"]), int(match.kwargs["day"]))
                except ValueError:
                    continue
                post = Post.objects.filter(slug=match.kwargs["slug"], published_at__range=_day_range(day)).first()
                if post is not None and same_title(post):
                    return post
        return None

    def free_slug(self, slug, published_at, exclude=None):
        """`slug`, or `slug-2`...: two posts of one day must not share a permalink."""
        if published_at is None:
            return slug
        taken = set(
            Post.objects.filter(published_at__range=_day_range(timezone.localtime(published_at).date()),
                                slug__startswith=slug)
            .exclude(pk=exclude).values_list("slug", flat=True)
        )
        candidate, number = slug, 2
        while candidate in taken:
            candidate = f"{slug[:SLUG_MAX_LENGTH - 5]}-{number}"
            number += 1
        return candidate

    def create_post(self, source):
        post = Post(
            title=source.title,
            slug=self.free_slug(source.slug, source.published_at),
            author=self.user_for(source.author_key),
            body=self.media.body(source.body),
            summary=self.media.body(source.summary),
            status=source.status,
            published_at=source.published_at,
            comments_enabled=source.comments_enabled,
        )
        post.save()
        post.tags.set([self.tag_for(name) for name in source.tags])
        self.check_rendering(post, source)
        return post

    def update_post(self, post, source):
        old_permalink = post.get_absolute_url() if post.is_published else None
        post.title = source.title
        post.body = self.media.body(source.body)
        post.summary = self.media.body(source.summary)
        post.status = source.status
        post.comments_enabled = source.comments_enabled
        post.author = self.user_for(source.author_key)
        if post.published_at != source.published_at:
            post.published_at = source.published_at
            post.slug = self.free_slug(post.slug, post.published_at, exclude=post.pk)
        post.save()
        post.tags.set([self.tag_for(name) for name in source.tags])
        self.check_rendering(post, source)
        if old_permalink and post.get_absolute_url() != old_permalink:
            # Its date moved: the permalink readers knew keeps working.
            self.register_paths(post, [old_permalink])
        return post

    def check_rendering(self, post, source):
        """(`post` may be a page.)"""
        if source.body_is_html and not html.same_html(post.body_html, post.body):
            self.report.warn(f"“{post.title}” may not look as it did: check it in the preview.")
        if len(post.body) > markdown.POST_MAX_LENGTH:
            self.report.warn(f"“{post.title}” is longer than the editor accepts "
                             f"({markdown.POST_MAX_LENGTH:,} characters): kept whole, but "
                             "shorten it before editing it in the admin.")

    def register_paths(self, target, paths):
        """Old addresses of `target` (a post or a page) that now redirect to it."""
        if not paths:
            return
        # Addresses are stored unquoted (/greek/επίπεδο-2/), as requests ask for them.
        permalink = unquote(target.get_absolute_url())
        paths = [path for path in paths if path != permalink]
        if not paths:
            return
        field = "page" if isinstance(target, Page) else "post"
        existing = {url.path: url for url in LegacyURL.objects.filter(path__in=paths).select_related("post", "page")}
        for path in paths:
            found = existing.get(path)
            if found is None:
                LegacyURL.objects.create(path=path, **{field: target})
                self.report.count("url", "created")
            elif found.target == target:
                self.report.count("url", "unchanged")
            else:
                self.report.warn(f"The old URL {path} already leads to something else here "
                                 f"(“{found.target.title}”): left as it is.")

    # -- pages ---------------------------------------------------------------------------

    def _pages_parents_first(self, pages):
        """Pages in an order where each comes after its parent, whatever the export's order.

        A parent that is not in the export, or a loop of parents, leaves the page at the top."""
        by_key = {page.key: page for page in pages}
        ordered, placed = [], set()
        for page in pages:
            chain, current, seen = [], page, set()
            while current is not None and current.key not in placed and current.key not in seen:
                seen.add(current.key)
                chain.append(current)
                parent_key = current.parent_key
                if parent_key and parent_key not in by_key:
                    self.report.warn(f"The page “{current.title}” is under a page that is not in the "
                                     "export: imported as a top-level page.")
                    current.parent_key = None
                    parent_key = None
                current = by_key.get(parent_key) if parent_key else None
            if current is not None and current.key in seen:
                self.report.warn(f"The pages “{chain[-1].title}” and “{current.title}” are each under the "
                                 f"other in the export: “{chain[-1].title}” is imported as a top-level page.")
                chain[-1].parent_key = None
            for item in reversed(chain):
                placed.add(item.key)
                ordered.append(item)
        return ordered

    def source_page_state(self, source):
        return _digest({
            "title": source.title, "slug": source.slug, "body": source.body, "status": source.status,
            "published_at": _instant(source.published_at), "author": source.author_key,
            "parent": source.parent_key, "menu_order": source.menu_order, "old_paths": source.old_paths,
        })

    def import_page(self, source):
        parent = self.pages.get(source.parent_key) if source.parent_key else None
        page = self.reconcile(
            Kind.PAGE, source, self.source_page_state(source), state=page_state,
            adopt=lambda: self.adoptable_page(source, parent),
            create=lambda: self.create_page(source, parent),
            update=lambda page: self.update_page(page, source, parent),
            kept=lambda page: f"The page “{page.title}” changed in the export and here since it was "
                              "imported: the version here was kept.",
        )
        self.pages[source.key] = page
        self.register_paths(page, source.old_paths)
        self.media.collect(page.body_html)

    def adoptable_page(self, source, parent):
        """A page already here at the address the source's page would have, with its title."""
        path = f"{parent.path}/{source.slug}" if parent else source.slug
        page = Page.objects.filter(path=path).first()
        if page is None or SourceRecord.objects.filter(page=page).exists():
            return None
        if " ".join(page.title.split()).casefold() != " ".join(source.title.split()).casefold():
            return None
        return page

    def free_page_slug(self, source, parent, exclude=None):
        """The source's slug, or `slug-2`...: an address no route and no other page answers.

        A page is never refused for its address: the report says where it went instead."""
        prefix = f"{parent.path}/" if parent else ""
        candidate, number, refused = source.slug, 2, None
        while True:
            path = prefix + candidate
            reason = routes.conflict(path)
            if reason is None and not Page.objects.filter(path=path).exclude(pk=exclude).exists():
                break
            refused = refused or reason or f"another page here has the address /{path}/"
            candidate = f"{source.slug[:PAGE_SLUG_MAX_LENGTH - 5]}-{number}"
            number += 1
        if refused and exclude is None:
            self.report.warn(f"The page “{source.title}” cannot have the address /{prefix}{source.slug}/ "
                             f"here ({refused}): it is at /{path}/.")
        return candidate

    def create_page(self, source, parent):
        page = Page(
            title=source.title,
            parent=parent,
            author=self.user_for(source.author_key),
            body=self.media.body(source.body),
            status=Page.Status(source.status),
            published_at=source.published_at,
            menu_order=source.menu_order,
        )
        page.slug = self.free_page_slug(source, parent)
        page.save()
        self.check_rendering(page, source)
        return page

    def update_page(self, page, source, parent):
        if parent is not None and page.pk in parent.ancestor_ids(include_self=True):
            self.report.warn(f"The page “{source.title}” would be under one of its own sub-pages: "
                             "it keeps its place here.")
            parent = page.parent
        page.title = source.title
        page.body = self.media.body(source.body)
        page.status = Page.Status(source.status)
        page.published_at = source.published_at
        page.menu_order = source.menu_order
        page.author = self.user_for(source.author_key)
        page.parent = parent
        page.slug = self.free_page_slug(source, parent, exclude=page.pk)
        # A published page that moves leaves a redirect from its old address (Page.save).
        page.save()
        self.check_rendering(page, source)
        return page

    # -- comments ------------------------------------------------------------------------

    def _parents_first(self, comments):
        by_key = {comment.key: comment for comment in comments}
        ordered, placed = [], set()
        for comment in sorted(comments, key=lambda c: c.created_at):
            chain, current, seen = [], comment, set()
            while current is not None and current.key not in placed and current.key not in seen:
                seen.add(current.key)
                chain.append(current)
                current = by_key.get(current.parent_key) if current.parent_key else None
            for item in reversed(chain):
                placed.add(item.key)
                ordered.append(item)
        return ordered

    def source_comment_state(self, source):
        return _digest({
            "author_name": source.author_name, "author_email": source.author_email,
            "author_url": source.author_url, "body": source.body, "status": source.status,
            "created_at": _instant(source.created_at), "parent": source.parent_key,
            "kind": source.kind, "data": source.data if source.is_linkback else None,
        })

    def import_comment(self, source):
        post = self.posts.get(source.post_key)
        if post is None:
            self.report.skipped["comments on posts that are not in the export"] += 1
            return
        if source.is_linkback:
            self.import_linkback(source, post)
            return
        comment = self.reconcile(
            Kind.COMMENT, source, self.source_comment_state(source), state=_comment_state,
            adopt=lambda: self.adoptable_comment(source, post),
            create=lambda: self.create_comment(source, post),
            update=lambda comment: self.update_comment(comment, source),
            kept=lambda comment: f"A comment by {comment.author_name} on “{post.title}” changed in "
                                 "the export and here since it was imported: the version here was kept.",
        )
        self.comments[source.key] = comment

    def parent_for(self, source):
        if not source.parent_key:
            return None
        parent = self.comments.get(source.parent_key)
        if parent is None:
            self.report.warn(f"A comment by {source.author_name} answers a comment that is not "
                             "in the export: it is shown as a comment on the post.")
        return parent

    def create_comment(self, source, post):
        comment = Comment(
            post=post,
            parent=self.parent_for(source),
            author_name=source.author_name,
            author_email=source.author_email,
            author_url=source.author_url,
            body=source.body,
            created_at=source.created_at,
            held_reason=source.held_reason,
        )
        if source.number and source.number not in self.taken_numbers:
            # The old id, so that old links ending in #comment-<id> find it on the page.
            comment.pk = source.number
            self.taken_numbers.add(source.number)
            self.explicit_ids = True
        elif source.number or self.old_ids_in_file:
            # An old id already taken, or no id at all beside comments that keep theirs: an
            # id above every one in play, since an automatic id could be the old id of a
            # comment imported after this one.
            comment.pk = self.next_free_number
            self.next_free_number += 1
            self.explicit_ids = True
            if source.number:
                self.report.renumbered += 1
        comment.save(force_insert=True)
        self.move(comment, source.status)
        if len(comment.body) > Comment._meta.get_field("body").max_length:
            self.report.warn(f"A comment by {comment.author_name} on “{post.title}” is longer "
                             "than new comments may be: kept whole.")
        return comment

    def update_comment(self, comment, source):
        comment.author_name = source.author_name
        comment.author_email = source.author_email
        comment.author_url = source.author_url
        comment.body = source.body
        comment.created_at = source.created_at
        comment.save(update_fields=["author_name", "author_email", "author_url", "body",
                                    "body_html", "created_at", "depth"])
        self.move(comment, source.status)
        return comment

    def move(self, comment, status):
        """Bring a comment to the source's state through the moderation rules (and log)."""
        if comment.status == status:
            return
        if status == Comment.Status.PENDING:
            self.report.warn(f"A comment by {comment.author_name} is pending in the export but "
                             f"{comment.get_status_display().lower()} here: left {comment.status}.")
            return
        actions = {Comment.Status.APPROVED: comment.approve, Comment.Status.REJECTED: comment.reject,
                   Comment.Status.SPAM: comment.mark_spam}
        actions[status](by=self.by)

    def adoptable_comment(self, source, post):
        """On a post that was already here, the same comment if it is here too."""
        if post.pk not in self.adopted:
            return None
        text = html.plain_text(markdown.render_comment(source.body))
        for comment in post.comments.filter(author_name=source.author_name):
            if comment.created_at == source.created_at or html.plain_text(comment.body_html) == text:
                if not SourceRecord.objects.filter(comment=comment).exists():
                    return comment
        return None

    def import_linkback(self, source, post):
        record = self.records.get((Kind.LINKBACK, source.key))
        data = {**source.data, "created_at": source.created_at.isoformat(),
                "author_email": source.author_email}
        source_hash = self.source_comment_state(source)
        if record is None:
            self.records[(Kind.LINKBACK, source.key)] = SourceRecord.objects.create(
                platform=self.blog.platform, site=self.blog.site, kind=Kind.LINKBACK,
                source_id=source.key, post=post, data=data, source_hash=source_hash,
            )
            self.report.count(Kind.LINKBACK, "created")
        elif record.source_hash == source_hash:
            self.report.count(Kind.LINKBACK, "unchanged")
        else:
            record.post, record.data, record.source_hash = post, data, source_hash
            record.save(update_fields=["post", "data", "source_hash", "updated_at"])
            self.report.count(Kind.LINKBACK, "updated")
