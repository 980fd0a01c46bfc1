"""Reading Blogger exports into SourceBlogs.

Two formats are in use. The classic backup ("Back up content", an Atom feed) marks each
entry with a kind category (`...kind#post`, `#comment`, `#template`, `#settings`, `#page`),
ties a comment to its post with `thr:in-reply-to` and to the comment it answers with
`link rel="related"`, and flags drafts with `app:draft`. Google Takeout's `feed.atom` says
`blogger:type` (POST, COMMENT, PAGE) and `blogger:status` (LIVE, DRAFT, DELETED), with
`blogger:parent` and `blogger:inReplyTo` for threads and `blogger:filename` for the old
path. Takeout delivers a zip, possibly with several blogs: each `feed.atom` in it is read.
"""

import html as html_module
import re
from datetime import datetime
from urllib.parse import urlsplit
from datetime import timezone as dt_timezone

from django.utils.text import slugify

from blog.models import Post
from comments.models import Comment
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
from transfer.wordpress import PAGE_COMMENTS_SKIPPED, PAGE_SLUG_MAX_LENGTH
from transfer.xmlfile import BadFile, child, children, is_zip, parse_xml, text, xml_files_in_zip

KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
LABEL_SCHEME = "http://www.blogger.com/atom/ns#"
# Blogger's placeholder address for authors who hid theirs.
NO_EMAIL = "noreply@blogger.com"
# Where Blogger keeps the images its posts show (1.bp.blogspot.com, ...), besides the blog.
IMAGE_HOSTS = {"bp.blogspot.com", "blogger.googleusercontent.com"}
# The date of what has none, when the export has no date either.
EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)

_JUMP_BREAK = re.compile(r"<a\s+name=[\"']more[\"']\s*>\s*</a>|<!--more-->", re.IGNORECASE)


def read_blogger(data, *, name, recover=False):
    """The blogs in a Blogger export's bytes (an Atom file, or a Takeout zip of them)."""
    if is_zip(data):
        files = xml_files_in_zip(
            data, name=name, wanted=lambda member: member.lower().endswith((".atom", ".xml"))
        )
        feeds = [item for item in files if item[0].lower().endswith("feed.atom")] or files
        if not feeds:
            raise BadFile(
                f"{name} is a zip archive without a Blogger feed in it (Takeout puts one "
                "at Takeout/Blogger/Blogs/<blog name>/feed.atom)."
            )
        return [_read_feed(content, name=f"{name} ({member})", recover=recover) for member, content in feeds]
    return [_read_feed(data, name=name, recover=recover)]


def _read_feed(data, *, name, recover=False):
    faults = []
    root = parse_xml(data, name=name, recover=recover, faults=faults)
    if root.tag == "rss":
        raise BadFile(
            f"{name} is an RSS file (a WordPress export?), not a Blogger export. "
            "Use import_wordpress for WordPress files."
        )
    if root.tag != "atom:feed":
        raise BadFile(f"{name} is not a Blogger export: it should be an Atom <feed>, "
                      f"not <{root.tag}>.")
    entries = children(root, "atom:entry")
    if any(child(entry, "blogger:type") is not None for entry in entries):
        reader = _TakeoutReader(root, entries, name)
    elif any(_kind(entry) for entry in entries):
        reader = _ClassicReader(root, entries, name)
    else:
        raise BadFile(
            f"{name} is an Atom feed but not a Blogger export: none of its "
            f"{len(entries)} entries is marked as a Blogger post or comment."
        )
    blog = reader.read()
    note_faults(blog, faults)
    return blog


def _kind(entry):
    for category in children(entry, "atom:category"):
        if category.get("scheme") == KIND_SCHEME:
            return category.get("term", "").rsplit("#", 1)[-1]
    return ""


def _item_id(value):
    """The number of a Blogger post or comment in any of the ways exports write it:
    `tag:blogger.com,1999:blog-1.post-9` (`.page-9` for a page), a feed URL ending in `/9`, `9`, and converters'
    `post-9.comment-2` (a comment numbered within its post: its id is then `9.2`)."""
    value = (value or "").strip()
    within_post = re.search(r"post-(\d+)\.comment-(\d+)/?$", value)
    if within_post:
        return f"{within_post.group(1)}.{within_post.group(2)}"
    match = re.search(r"(?:post-|comment-|page-|/)(\d+)/?$", value) or re.fullmatch(r"(\d+)", value)
    return match.group(1) if match else None


def _parent_id(value, post_key, key):
    """The comment a comment answers; a bare number next to converters' `9.2` ids is `9.<n>`."""
    parent = _item_id(value)
    if parent and "." in key and "." not in parent:
        return f"{post_key}.{parent}"
    return parent


def _link(entry, rel, type_=None):
    for link in children(entry, "atom:link"):
        if link.get("rel") == rel and (type_ is None or link.get("type") == type_):
            return link.get("href", "")
    return ""


def _html(entry, tag):
    element = child(entry, tag)
    if element is None:
        return ""
    if element.get("type") in ("html", None) or element.get("type", "").endswith("html"):
        if len(element):  # inline XHTML: keep its text
            return html_module.escape("".join(element.itertext()))
        return element.text or ""
    return html_module.escape(element.text or "")


class _Reader:
    def __init__(self, root, entries, name):
        self.entries = entries
        self.name = name
        blog_id = None
        for candidate in [text(root, "atom:id")] + [text(entry, "atom:id") for entry in entries]:
            match = re.search(r"blog-(\d+)", candidate)
            if match:
                blog_id = match.group(1)
                break
        self.blog = SourceBlog(
            platform=SourceRecord.Platform.BLOGGER,
            site=f"blog-{blog_id}" if blog_id else "blogger",
            title=html.plain_text(text(root, "atom:title")),
        )
        self.skipped_posts = set()
        self.page_keys = set()
        self.blog.media_hosts |= IMAGE_HOSTS
        host = urlsplit(_link(root, "alternate")).hostname
        if host:
            self.blog.media_hosts.add(host)
        self.feed_date = in_range(parse_iso_datetime(text(root, "atom:updated")), what="The export",
                                  raw=text(root, "atom:updated"), warnings=self.blog.warnings) or EPOCH

    def read(self):
        comments = []
        for entry in self.entries:
            self.read_entry(entry, comments)
        post_dates = {post.key: post.published_at for post in self.blog.posts}
        for comment in comments:
            if comment.post_key in self.page_keys:
                self.blog.skipped[PAGE_COMMENTS_SKIPPED] += 1
                continue
            if comment.post_key in self.skipped_posts:
                self.blog.skipped["comments on skipped items"] += 1
                continue
            if comment.created_at is None:
                # A date of its own for every import, so that importing again changes nothing.
                comment.created_at = post_dates.get(comment.post_key) or self.feed_date
                self.blog.warnings.append(f"Blogger comment {comment.key} has no valid date: dated "
                                          f"{comment.created_at.astimezone(dt_timezone.utc):%Y-%m-%d %H:%M} UTC, as its post or the export.")
            self.blog.comments.append(comment)
        return self.blog

    def author(self, entry):
        element = child(entry, "atom:author")
        name = html.plain_text(text(element, "atom:name")) if element is not None else ""
        uri = text(element, "atom:uri").strip() if element is not None else ""
        email = text(element, "atom:email").strip() if element is not None else ""
        return name or "Anonymous", uri, "" if email == NO_EMAIL else valid_email(email)

    def post(self, entry, key, *, status, path):
        raw_title = text(entry, "atom:title")
        title = html.plain_text(raw_title)
        data = {"id": text(entry, "atom:id").strip(), "published": text(entry, "atom:published").strip(),
                "updated": text(entry, "atom:updated").strip(), "content": _html(entry, "atom:content")}
        if path:
            data["path"] = path
        if not title:
            title = "(no title)"
            self.blog.warnings.append(f"Blogger post {key} has no title: it is called “(no title)”.")
        title, was_cut = clip(title, TITLE_MAX_LENGTH)
        if was_cut or raw_title.strip() != title:
            data["title"] = raw_title
        raw_date = text(entry, "atom:published") or text(entry, "blogger:created")
        published_at = in_range(parse_iso_datetime(raw_date), what=f"“{title}”", raw=raw_date,
                                warnings=self.blog.warnings)
        if status == Post.Status.PUBLISHED and published_at is None:
            status = Post.Status.DRAFT
            self.blog.undated_drafts += 1
            self.blog.warnings.append(f"“{title}” has no date in the export: imported as a draft.")
        if status == Post.Status.DRAFT:
            published_at = None  # a Blogger draft's date is when it was started
        content = data["content"]
        jump = _JUMP_BREAK.search(content)
        summary = html.post_body_from_html(html.autop(content[: jump.start()], br=False)) if jump else ""
        name, uri, email = self.author(entry)
        author_key = uri or f"name:{name}"
        if author_key not in self.blog.authors:
            first, _, last = name.partition(" ")
            self.blog.authors[author_key] = SourceAuthor(
                key=author_key, username=slugify(name) or "blogger-author", display_name=name,
                first_name=first, last_name=last, email=email,
            )
        tags = []
        for category in children(entry, "atom:category"):
            if category.get("scheme") in (None, "", LABEL_SCHEME) or category.get("scheme", "").startswith("tag:blogger.com"):
                label = html.plain_text(category.get("term", ""))
                if label and label not in tags:
                    tags.append(label)
        slug = ""
        for candidate in (title if title != "(no title)" else "", (path or "").rsplit("/", 1)[-1].removesuffix(".html")):
            slug = slugify(candidate)[:SLUG_MAX_LENGTH].strip("-")
            if slug:
                break
        old_path = legacy_path(path) if path else None
        return SourcePost(
            key=key,
            title=title,
            slug=slug or f"post-{key}",
            body=html.post_body_from_html(html.autop(content, br=False)),
            summary=summary,
            status=status,
            published_at=published_at,
            author_key=author_key,
            tags=tags,
            old_paths=[old_path] if old_path else [],
            data=data,
        )

    def page(self, entry, key, *, status, path):
        """A Blogger page (`/p/about.html`): read as a post, at the site's root here."""
        self.page_keys.add(key)
        post = self.post(entry, key, status=status, path=path)
        slug = ""
        for candidate in ((path or "").rsplit("/", 1)[-1].removesuffix(".html"), post.title):
            slug = slugify(candidate, allow_unicode=True)[:PAGE_SLUG_MAX_LENGTH].strip("-")
            if slug:
                break
        # Blogger's menu (the Pages gadget) is in the template, not the export: live pages
        # go into the header menu in the export's order.
        menu_order = len(self.blog.pages) if post.status == Post.Status.PUBLISHED else None
        self.blog.pages.append(SourcePage(
            key=key, title=post.title, slug=slug or f"page-{key}", body=post.body, status=post.status,
            published_at=post.published_at, author_key=post.author_key, menu_order=menu_order,
            old_paths=post.old_paths, data=post.data,
        ))

    def comment(self, entry, key, *, post_key, parent_key, status):
        content = _html(entry, "atom:content")
        data = {"id": text(entry, "atom:id").strip(), "published": text(entry, "atom:published").strip(),
                "content": content}
        link = _link(entry, "alternate")
        if link:
            data["link"] = link
        name, uri, email = self.author(entry)
        raw_date = text(entry, "atom:published") or text(entry, "blogger:created")
        created_at = in_range(parse_iso_datetime(raw_date), what=f"Blogger comment {key}", raw=raw_date,
                              warnings=self.blog.warnings)
        url = valid_url(uri)
        if uri and not url:
            data["author_uri"] = uri
        return SourceComment(
            key=key,
            post_key=post_key,
            parent_key=parent_key,
            author_name=author_name(name, data),
            author_email=email,
            author_url=url,
            created_at=created_at,
            body=html.comment_markdown_from_html(content),
            status=status,
            held_reason="Pending in the Blogger export" if status == Comment.Status.PENDING else "",
            data=data,
        )


class _ClassicReader(_Reader):
    """The "Back up content" Atom file."""

    def read_entry(self, entry, comments):
        kind = _kind(entry)
        key = _item_id(text(entry, "atom:id"))
        if kind == "post" and key:
            control = child(entry, "app:control")
            draft = control is not None and text(control, "app:draft").strip().lower() == "yes"
            path = _link(entry, "alternate", "text/html")
            self.blog.posts.append(self.post(
                entry, key,
                status=Post.Status.DRAFT if draft else Post.Status.PUBLISHED,
                path=legacy_path(path) if path else "",
            ))
        elif kind == "comment" and key:
            reply_to = child(entry, "thr:in-reply-to")
            post_key = _item_id(reply_to.get("ref", "")) if reply_to is not None else None
            if not post_key:
                raise BadFile(f"{self.name}: comment {key} does not say which post it is on "
                              "(no <thr:in-reply-to>).")
            parent_key = _parent_id(_link(entry, "related"), post_key, key) or None
            removed = any(
                prop.get("name") == "blogger.contentRemoved" and prop.get("value") == "true"
                for prop in children(entry, "gd:extendedProperty")
            )
            comments.append(self.comment(
                entry, key, post_key=post_key, parent_key=parent_key,
                status=Comment.Status.REJECTED if removed else Comment.Status.APPROVED,
            ))
        elif kind == "page" and key:
            control = child(entry, "app:control")
            draft = control is not None and text(control, "app:draft").strip().lower() == "yes"
            path = _link(entry, "alternate", "text/html")
            self.page(entry, key, status=Post.Status.DRAFT if draft else Post.Status.PUBLISHED,
                      path=legacy_path(path) if path else "")
        elif kind in ("settings", "template"):
            self.blog.skipped["blog settings and template entries"] += 1
        elif kind in ("post", "comment", "page"):
            self.blog.skipped[f"{kind}s whose id could not be read"] += 1
            self.blog.warnings.append(f"A Blogger {kind} has an id that could not be read "
                                      f"(“{text(entry, 'atom:id').strip()[:200]}”): skipped.")
        else:
            self.blog.skipped[f"other Blogger entries ({kind or 'without a kind'})"] += 1


class _TakeoutReader(_Reader):
    """Google Takeout's feed.atom."""

    POST_STATES = {"LIVE": Post.Status.PUBLISHED, "SCHEDULED": Post.Status.PUBLISHED,
                   "DRAFT": Post.Status.DRAFT}
    COMMENT_STATES = {"LIVE": Comment.Status.APPROVED, "DELETED": Comment.Status.REJECTED,
                      "SPAM": Comment.Status.SPAM, "PENDING": Comment.Status.PENDING,
                      "DRAFT": Comment.Status.PENDING}

    def read_entry(self, entry, comments):
        kind = text(entry, "blogger:type").strip().upper()
        state = text(entry, "blogger:status").strip().upper()
        trashed = bool(text(entry, "blogger:trashed").strip())
        key = _item_id(text(entry, "atom:id"))
        if not key:
            raise BadFile(f"{self.name}: an entry has no Blogger id (<id>tag:blogger.com,...).")
        if kind == "POST":
            if state == "DELETED" or trashed:
                self.skipped_posts.add(key)
                self.blog.skipped["posts deleted in Blogger"] += 1
                return
            status = self.POST_STATES.get(state)
            if status is None:
                status = Post.Status.DRAFT
                self.blog.warnings.append(f"Blogger post {key} has the unknown status “{state}”: "
                                          "imported as a draft.")
            path = text(entry, "blogger:filename").strip() or _link(entry, "alternate")
            self.blog.posts.append(self.post(entry, key, status=status,
                                             path=legacy_path(path) if path else ""))
        elif kind == "COMMENT":
            post_key = _item_id(text(entry, "blogger:parent"))
            if not post_key:
                raise BadFile(f"{self.name}: comment {key} does not say which post it is on "
                              "(no <blogger:parent>).")
            status = Comment.Status.REJECTED if trashed else self.COMMENT_STATES.get(state)
            if status is None:
                status = Comment.Status.PENDING
                self.blog.warnings.append(f"Blogger comment {key} has the unknown status "
                                          f"“{state}”: imported as pending.")
            comments.append(self.comment(
                entry, key, post_key=post_key,
                parent_key=_parent_id(text(entry, "blogger:inReplyTo"), post_key, key) or None, status=status,
            ))
        elif kind == "PAGE":
            if state == "DELETED" or trashed:
                self.skipped_posts.add(key)
                self.blog.skipped["pages deleted in Blogger"] += 1
                return
            status = self.POST_STATES.get(state)
            if status is None:
                status = Post.Status.DRAFT
                self.blog.warnings.append(f"Blogger page {key} has the unknown status “{state}”: "
                                          "imported as a draft.")
            path = text(entry, "blogger:filename").strip() or _link(entry, "alternate")
            self.page(entry, key, status=status, path=legacy_path(path) if path else "")
        else:
            self.blog.skipped[f"other Blogger entries ({kind.lower() or 'no type'})"] += 1
