"""Reading a WordPress export (WXR 1.0 to 1.2) into a SourceBlog."""

import html as html_module
import re
from datetime import datetime
from datetime import timezone as dt_timezone
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from blog.models import Post
from comments.models import Comment
from pages.models import Page
from transfer import html
from transfer.models import SourceRecord
from transfer.sources import (
    SLUG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    SourceAuthor,
    SourceBlog,
    SourceComment,
    SourcePage,
    SourcePost,
    author_name,
    clip,
    in_range,
    legacy_path,
    note_faults,
    parse_iso_datetime,
    valid_email,
    valid_url,
)
from transfer.xmlfile import BadFile, child, children, is_zip, parse_xml, text

# Post meta written by our own export, so a round trip keeps the Markdown as it was typed.
MARKDOWN_META = "_blog_markdown_source"
SUMMARY_META = "_blog_markdown_summary"
LEGACY_PATH_META = "_blog_legacy_path"
MOMENT_META = "_blog_exact_time"
# A page's identity, parent and menu place here: WordPress numbers posts and pages in one
# series, we do not, so the export's wp:post_id of a page is made up and these are the truth.
PAGE_KEY_META = "_blog_page"
PAGE_PARENT_META = "_blog_page_parent"
MENU_ORDER_META = "_blog_menu_order"
PAGE_COMMENTS_SKIPPED = "comments on pages (pages here have no comments)"

COMMENT_STATES = {
    "1": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.REJECTED,
    "post-trashed": Comment.Status.REJECTED,
}
PAGE_SLUG_MAX_LENGTH = Page._meta.get_field("slug").max_length
# The date of what has none, when the export has no date either.
EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
SKIPPED_TYPES = {
    "attachment": "media attachments (their files stay at their old addresses, which the "
    "posts link to, unless --fetch-media brings them here)",
    "nav_menu_item": "menu items",
}


def read_wordpress(data, *, name, recover=False):
    """The blog in a WXR file's bytes; BadFile when it is not one, or not safe to read.

    With `recover`, a file that is not well-formed XML is read as far as it can be."""
    if is_zip(data):
        raise BadFile(f"{name} is a zip archive; a WordPress export is one .xml file "
                      "(unzip it first, or use import_blogger for a Blogger Takeout zip).")
    faults = []
    root = parse_xml(data, name=name, recover=recover, faults=faults)
    if root.tag == "atom:feed":
        raise BadFile(
            f"{name} is an Atom feed (a Blogger export?), not a WordPress export. "
            "Use import_blogger for Blogger files."
        )
    channel = child(root, "channel") if root.tag == "rss" else None
    version = text(channel, "wp:wxr_version").strip() if channel is not None else ""
    if channel is None or not version:
        raise BadFile(
            f"{name} is not a WordPress export (WXR): it has no <rss><channel> with a "
            "<wp:wxr_version>. In WordPress, export with Tools → Export → All content."
        )
    if not re.fullmatch(r"1\.\d+", version):
        raise BadFile(f"{name} is a WXR version {version} export; versions 1.0 to 1.2 can be read.")
    blog = _WordPressReader(channel, name).read()
    note_faults(blog, faults)
    return blog


def _gmt(value):
    """WordPress's `YYYY-MM-DD HH:MM:SS` in UTC, or None for its zero date."""
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt_timezone.utc)
    except ValueError:
        return None


def _local(value):
    """WordPress's local `post_date` when there is no GMT one: read in our time zone."""
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    try:
        naive = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _meta(element, tag):
    values = {}
    for meta in children(element, tag):
        key = text(meta, "wp:meta_key")
        values.setdefault(key, []).append(text(meta, "wp:meta_value"))
    return values


class _WordPressReader:
    def __init__(self, channel, name):
        self.channel = channel
        self.name = name
        site = (text(channel, "wp:base_blog_url") or text(channel, "link")).strip().rstrip("/")
        # "/blog" for a WordPress installed in a subdirectory: its home is no post's address.
        self.root = urlsplit(site).path.rstrip("/")
        self.blog = SourceBlog(
            platform=SourceRecord.Platform.WORDPRESS,
            site=site or "wordpress",
            title=text(channel, "title").strip(),
        )
        self.notes = html.Notes()
        self.post_ids = set()
        host = urlsplit(site).hostname
        if host:
            self.blog.media_hosts.add(host)
        try:
            self.export_date = parsedate_to_datetime(text(channel, "pubDate").strip()).astimezone(dt_timezone.utc)
        except (TypeError, ValueError, IndexError, OverflowError):
            self.export_date = EPOCH

    def read(self):
        items = children(self.channel, "item")
        self.read_authors(items)
        attachments = {
            text(item, "wp:post_id"): html.Attachment(
                url=text(item, "wp:attachment_url").strip(),
                title=html.plain_text(text(item, "title")),
                parent=text(item, "wp:post_parent").strip(),
                order=int(text(item, "wp:menu_order").strip() or 0) if text(item, "wp:menu_order").strip().isdigit() else 0,
            )
            for item in items
            if text(item, "wp:post_type") == "attachment" and text(item, "wp:attachment_url").strip()
        }
        for attachment in attachments.values():
            host = urlsplit(attachment.url).hostname
            if host:
                self.blog.media_hosts.add(host)
        self.blog.attachment_urls = [attachment.url for attachment in attachments.values()]
        for item in items:
            self.read_item(item, attachments)
        self.read_terms()
        self.blog.dropped.update(self.notes.dropped)
        return self.blog

    def read_terms(self):
        """The export's categories and tags, used by a post or not: each becomes a tag, and
        the category tree (tags here are flat) is kept in the report."""
        categories = {}  # slug -> (name, parent slug)
        for element in children(self.channel, "wp:category"):
            categories[text(element, "wp:category_nicename").strip()] = (
                html.plain_text(text(element, "wp:cat_name")), text(element, "wp:category_parent").strip())
        names = []
        for element in children(self.channel, "wp:tag"):
            names.append(html.plain_text(text(element, "wp:tag_name")))
        for element in children(self.channel, "wp:term"):
            taxonomy = text(element, "wp:term_taxonomy").strip()
            name = html.plain_text(text(element, "wp:term_name"))
            slug = text(element, "wp:term_slug").strip()
            if taxonomy == "category":
                categories.setdefault(slug, (name, text(element, "wp:term_parent").strip()))
            elif taxonomy == "post_tag":
                names.append(name)
            else:
                self.blog.skipped[f"other WordPress terms ({taxonomy or 'no taxonomy'})"] += 1
        for slug, (name, parent) in categories.items():
            if slug == "uncategorized":
                continue
            names.append(name)
            if parent:
                chain, seen = [name], {slug}
                while parent and parent in categories and parent not in seen:
                    seen.add(parent)
                    chain.insert(0, categories[parent][0])
                    parent = categories[parent][1]
                self.blog.category_paths.append(" › ".join(chain))
        self.blog.extra_tags = [name for name in dict.fromkeys(names) if name]

    def read_authors(self, items):
        for element in children(self.channel, "wp:author"):
            login = text(element, "wp:author_login").strip()
            if login:
                self.blog.authors[login] = SourceAuthor(
                    key=login,
                    username=login,
                    display_name=text(element, "wp:author_display_name").strip(),
                    first_name=text(element, "wp:author_first_name").strip(),
                    last_name=text(element, "wp:author_last_name").strip(),
                    email=valid_email(text(element, "wp:author_email")),
                )
        # WXR 1.0 lists no authors: the posts' creators are all there is.
        for item in items:
            login = text(item, "dc:creator").strip()
            if login and login not in self.blog.authors:
                self.blog.authors[login] = SourceAuthor(key=login, username=login)

    def read_item(self, item, attachments):
        if not any(element.tag.startswith("wp:") for element in item):
            # Its wp: prefix names another namespace (or it has no WordPress fields at all):
            # WordPress's importer reads nothing of it, and neither do we.
            foreign = sorted({element.tag[1:].partition("}")[0] for element in item
                              if element.tag.startswith("{") and element.tag.endswith(("}post_id", "}post_type"))})
            title = html.plain_text(text(item, "title")) or "(no title)"
            self.blog.skipped["items without WordPress fields"] += 1
            self.warn(f"The item “{title}” has no WordPress fields"
                      + (f" (its wp: prefix names {', '.join(foreign)})" if foreign else "")
                      + ": skipped, as WordPress does.")
            return
        post_type = text(item, "wp:post_type", "post").strip() or "post"
        status = text(item, "wp:status").strip()
        comments = children(item, "wp:comment")
        if post_type not in ("post", "page"):
            self.skip(SKIPPED_TYPES.get(post_type, f"other WordPress items ({post_type})"), comments)
            return
        if status in ("trash", "auto-draft", "inherit"):
            self.skip(f"{post_type}s in WordPress's trash or unsaved drafts", comments)
            return
        post_id = text(item, "wp:post_id").strip()
        if post_id and post_id in self.post_ids:
            # WordPress's importer, too, keeps the first of two items with one id.
            self.skip(f"{post_type}s whose id is an earlier item's (the first was kept)", comments)
            self.warn(f"“{html.plain_text(text(item, 'title'))}” has the id {post_id} of an earlier "
                      "item in the export: skipped, with its comments.")
            return
        self.post_ids.add(post_id)
        post = self.read_post(item, status, attachments)
        if post_type == "page":
            self.blog.pages.append(self.as_page(item, post))
            if comments:
                self.blog.skipped[PAGE_COMMENTS_SKIPPED] += len(comments)
            return
        self.blog.posts.append(post)
        for element in comments:
            self.blog.comments.append(self.read_comment(element, post))

    def as_page(self, item, post):
        """A page item, read as a post is, with its place among the pages."""
        meta = _meta(item, "wp:postmeta")
        post_id = post.data["post_id"]
        if PAGE_KEY_META in meta:
            key = meta[PAGE_KEY_META][0]
            parent = (meta.get(PAGE_PARENT_META) or [""])[0]
            raw_order = (meta.get(MENU_ORDER_META) or [""])[0]
            menu_order = int(raw_order) if raw_order.isdigit() else None
        else:
            key = post.key
            parent = text(item, "wp:post_parent").strip()
            parent = "" if parent in ("", "0") else parent
            raw_order = text(item, "wp:menu_order").strip()
            # WordPress's own page menu lists the top-level pages by their order; sub-pages
            # would be peers in our one-level menu, so they stay out of it.
            menu_order = None if parent else min(int(raw_order) if raw_order.isdigit() else 0, 32767)
            if raw_order:
                post.data["menu_order"] = raw_order
            if post_id:
                # WordPress answers /?page_id=N for a page as it answers /?p=N.
                page_query = legacy_path(f"{self.root}/?page_id={post_id}", root=self.root or "/")
                if page_query and page_query not in post.old_paths:
                    post.old_paths.append(page_query)
        if parent:
            post.data["parent"] = parent
        slug = ""
        for candidate in (unquote(text(item, "wp:post_name") or ""), post.title):
            slug = slugify(candidate, allow_unicode=True)[:PAGE_SLUG_MAX_LENGTH].strip("-")
            if slug:
                break
        return SourcePage(
            key=key, title=post.title, slug=slug or f"page-{post_id or 'untitled'}", body=post.body,
            status=post.status, published_at=post.published_at, author_key=post.author_key,
            parent_key=parent or None, menu_order=menu_order, old_paths=post.old_paths,
            body_is_html=post.body_is_html, data=post.data,
        )

    def skip(self, reason, comments):
        self.blog.skipped[reason] += 1
        if comments:
            self.blog.skipped["comments on skipped items"] += len(comments)

    def read_post(self, item, status, attachments):
        post_id = text(item, "wp:post_id").strip()
        raw_title = text(item, "title")
        title = html.plain_text(raw_title)
        data = {"post_id": post_id, "link": text(item, "link").strip(), "guid": text(item, "guid").strip(),
                "status": status, "post_date": text(item, "wp:post_date").strip(),
                "post_date_gmt": text(item, "wp:post_date_gmt").strip()}
        if raw_title.strip() != title:
            data["title"] = raw_title
        if not title:
            title = "(no title)"
            self.warn(f"WordPress post {post_id} has no title: it is called “(no title)”.")
        title, was_cut = clip(title, TITLE_MAX_LENGTH)
        if was_cut:
            data["title"] = raw_title

        published_at = _gmt(text(item, "wp:post_date_gmt"))
        if published_at is None and status in ("publish", "future"):
            published_at = _local(text(item, "wp:post_date"))
        published_at = in_range(published_at, what=f"“{title}”", raw=data["post_date_gmt"] or data["post_date"],
                                warnings=self.blog.warnings)
        post_status = Post.Status.PUBLISHED if status in ("publish", "future") else Post.Status.DRAFT
        if status == "private":
            self.warn(f"“{title}” was private in WordPress: imported as a draft.")
        if text(item, "wp:post_password").strip():
            post_status = Post.Status.DRAFT
            data["password_protected"] = True
            self.warn(f"“{title}” was password-protected in WordPress: imported as a draft, "
                      "for you to publish or keep.")
        if post_status == Post.Status.PUBLISHED and published_at is None:
            post_status = Post.Status.DRAFT
            self.blog.undated_drafts += 1
            self.warn(f"“{title}” has no date in the export: imported as a draft.")

        tags, categories = [], []
        for element in children(item, "category"):
            domain = element.get("domain", "category")
            name = html.plain_text(element.text or "")
            if not name:
                continue
            if domain == "category":
                categories.append(name)
                if element.get("nicename", slugify(name)) == "uncategorized":
                    continue
            elif domain not in ("post_tag", "tag"):
                data.setdefault("terms", []).append([domain, name])
                continue
            if name not in tags:
                tags.append(name)
        if categories:
            data["categories"] = categories
        if text(item, "wp:is_sticky").strip() == "1":
            data["sticky"] = True

        meta = _meta(item, "wp:postmeta")
        content = text(item, "content:encoded")
        excerpt = text(item, "excerpt:encoded")
        if MARKDOWN_META in meta:
            body, body_is_html = meta[MARKDOWN_META][0], False
            summary = (meta.get(SUMMARY_META) or [""])[0]
        else:
            data["content"] = content
            if excerpt.strip():
                data["excerpt"] = excerpt
            teaser, whole = html.split_more(content)
            convert = {"post_key": post_id, "attachments": attachments, "notes": self.notes}
            body, body_is_html = html.post_body_from_html(html.wordpress_html(whole, **convert)), True
            summary_source = excerpt if excerpt.strip() else teaser
            summary = ""
            if summary_source and summary_source.strip():
                summary = html.post_body_from_html(html.wordpress_html(summary_source, **convert))

        # WordPress answers /?p=<id> for every post. An export of ours (it carries the
        # Markdown) never served /?p= links: only its permalinks and old URLs count.
        own_export = MARKDOWN_META in meta
        candidates = [data["link"], *meta.get(LEGACY_PATH_META, [])]
        if not own_export and post_id:
            candidates.insert(1, f"{self.root}/?p={post_id}")
        if own_export:
            raw_exact = (meta.get(MOMENT_META) or [""])[0]
            exact = in_range(parse_iso_datetime(raw_exact), what=f"“{title}”", raw=raw_exact,
                             warnings=self.blog.warnings)
            published_at = exact or published_at
        old_paths = []
        for candidate in candidates:
            if own_export and candidate == data["link"] and "?" in candidate:
                continue
            path = legacy_path(candidate, root=self.root or "/") if candidate else None
            if path and path not in old_paths:
                old_paths.append(path)

        local_id = None
        if own_export and post_id.isdigit() and self.blog.site == settings.SITE_URL.rstrip("/"):
            local_id = int(post_id)
        return SourcePost(
            key=post_id or data["link"],
            local_id=local_id,
            title=title,
            slug=self.slug(text(item, "wp:post_name"), title, post_id),
            body=body,
            body_is_html=body_is_html,
            summary=summary,
            status=post_status,
            published_at=published_at,
            author_key=text(item, "dc:creator").strip(),
            tags=tags,
            comments_enabled=text(item, "wp:comment_status", "open").strip() != "closed",
            old_paths=old_paths,
            data=data,
        )

    @staticmethod
    def slug(post_name, title, post_id):
        for candidate in (unquote(post_name or ""), title):
            slug = slugify(candidate)[:SLUG_MAX_LENGTH].strip("-")
            if slug:
                return slug
        return f"post-{post_id or 'untitled'}"

    def read_comment(self, element, post):
        comment_id = text(element, "wp:comment_id").strip()
        kind = text(element, "wp:comment_type").strip() or "comment"
        approved = text(element, "wp:comment_approved").strip()
        data = {"comment_id": comment_id, "type": kind, "approved": approved}
        status = COMMENT_STATES.get(approved)
        if status is None:
            status = Comment.Status.PENDING
            self.warn(f"Comment {comment_id} has the unknown state “{approved}”: imported as pending.")
        raw_email = text(element, "wp:comment_author_email").strip()
        raw_url = text(element, "wp:comment_author_url").strip()
        email, url = valid_email(raw_email), valid_url(raw_url)
        if raw_email and not email:
            data["author_email"] = raw_email
        if raw_url and not url:
            data["author_url"] = raw_url
        raw_date = text(element, "wp:comment_date_gmt") or text(element, "wp:comment_date")
        read_at = _gmt(text(element, "wp:comment_date_gmt")) or _local(text(element, "wp:comment_date"))
        created_at = in_range(read_at, what=f"Comment {comment_id}", raw=raw_date, warnings=self.blog.warnings)
        if created_at is not read_at:
            data["date"] = raw_date
        if created_at is None:
            # A date of its own for every import, so that importing again changes nothing.
            created_at = post.published_at or self.export_date
            self.warn(f"Comment {comment_id} has no date: dated as its "
                      f"{'post' if post.published_at else 'export'}, {created_at.astimezone(dt_timezone.utc):%Y-%m-%d %H:%M} UTC.")
        content = text(element, "wp:comment_content")
        meta = _meta(element, "wp:commentmeta")
        if MARKDOWN_META in meta:
            body = meta[MARKDOWN_META][0]
            raw_exact = (meta.get(MOMENT_META) or [""])[0]
            created_at = in_range(parse_iso_datetime(raw_exact), what=f"Comment {comment_id}", raw=raw_exact,
                                  warnings=self.blog.warnings) or created_at
        else:
            data["content"] = content
            body = html.comment_markdown_from_html(content)
        parent = text(element, "wp:comment_parent").strip()
        name = author_name(html_module.unescape(text(element, "wp:comment_author")), data)
        if kind != "comment":
            # A pingback's "author" is the linking page's title and its URL the page: kept
            # whole for the export, whatever their length.
            data.update(author_name=html_module.unescape(text(element, "wp:comment_author")),
                        author_url=raw_url, content=content)
        return SourceComment(
            key=comment_id,
            post_key=post.key,
            parent_key=parent if parent not in ("", "0") else None,
            author_name=name,
            author_email=email,
            author_url=url,
            created_at=created_at,
            body=body,
            status=status,
            kind="comment" if kind == "comment" else "linkback",
            number=int(comment_id) if comment_id.isdigit() and 0 < int(comment_id) < 2**63 else None,
            held_reason="Pending in the WordPress export" if status == Comment.Status.PENDING else "",
            data=data,
        )

    def warn(self, message):
        self.blog.warnings.append(message)
