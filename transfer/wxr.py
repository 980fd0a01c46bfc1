"""The whole blog as a WordPress export (WXR 1.2), written piece by piece.

WordPress's importer reads it (content is the rendered, sanitized HTML), and so does ours:
the Markdown as it was typed travels in post and comment meta, so exporting and importing
into an empty site gives back the same posts, threads and states. Old URLs go along as
meta too, and pingbacks and trackbacks kept from an earlier import are written back.
Commenters' email addresses are included (the site's owner is moving their own blog);
IP addresses are not.
"""

import html
import re
from datetime import timezone as dt_timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q
from django.utils import timezone

from blog.models import Post, Tag
from blog.site import site_settings
from comments.models import Comment
from pages.models import Page
from transfer.models import SourceRecord
from transfer.wordpress import (
    LEGACY_PATH_META,
    MARKDOWN_META,
    MENU_ORDER_META,
    MOMENT_META,
    PAGE_KEY_META,
    PAGE_PARENT_META,
    SUMMARY_META,
)

WXR_VERSION = "1.2"
NAMESPACE = "http://wordpress.org/export/1.2/"
CHUNK = 200

COMMENT_STATES = {
    Comment.Status.APPROVED: "1",
    Comment.Status.PENDING: "0",
    Comment.Status.SPAM: "spam",
    Comment.Status.REJECTED: "trash",
}
# XML 1.0 has no way to write these characters, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cdata(value):
    value = _NOT_XML.sub("", str(value or ""))
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _text(value):
    return escape(_NOT_XML.sub("", str(value or "")))


_ROOT_RELATIVE = re.compile(r'(\s(?:src|href)=")(/(?!/)[^"]*)"')


def _absolute(html_text):
    """HTML whose addresses on this site (`/media/imported/...`, other posts) name the site,
    so that a WordPress elsewhere finds them (its importer can then fetch the images)."""
    return _ROOT_RELATIVE.sub(lambda match: f'{match.group(1)}{settings.SITE_URL}{match.group(2)}"', html_text)


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "0000-00-00 00:00:00"


def _gmt(moment):
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if moment else "0000-00-00 00:00:00"


def _meta(tag, key, value):
    return (f"\t\t<wp:{tag}>\n\t\t\t<wp:meta_key>{_cdata(key)}</wp:meta_key>\n"
            f"\t\t\t<wp:meta_value>{_cdata(value)}</wp:meta_value>\n\t\t</wp:{tag}>\n")


def wxr_chunks():
    """The export as pieces of text, a post at a time, in a constant number of queries
    per hundreds of posts."""
    site = settings.SITE_URL
    about = site_settings()
    yield (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        f"<!-- A WordPress eXtended RSS file exported from {_text(about.name)}. WordPress "
        "imports it with Tools: Import: WordPress. -->\n"
        '<rss version="2.0"\n'
        f'\txmlns:excerpt="{NAMESPACE}excerpt/"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        f'\txmlns:wp="{NAMESPACE}"\n>\n<channel>\n'
        f"\t<title>{_text(about.name)}</title>\n\t<link>{_text(site)}</link>\n"
        f"\t<description>{_text(about.description)}</description>\n"
        f"\t<pubDate>{format_datetime(timezone.now())}</pubDate>\n"
        f"\t<language>{_text(settings.LANGUAGE_CODE)}</language>\n"
        f"\t<wp:wxr_version>{WXR_VERSION}</wp:wxr_version>\n"
        f"\t<wp:base_site_url>{_text(site)}</wp:base_site_url>\n"
        f"\t<wp:base_blog_url>{_text(site)}</wp:base_blog_url>\n"
    )
    authors = get_user_model().objects.filter(Q(posts__isnull=False) | Q(pages__isnull=False)).distinct().order_by("pk")
    author_ids = set()
    for user in authors:
        author_ids.add(user.pk)
        yield (
            f"\t<wp:author><wp:author_id>{user.pk}</wp:author_id>"
            f"<wp:author_login>{_cdata(user.get_username())}</wp:author_login>"
            f"<wp:author_email>{_cdata(user.email)}</wp:author_email>"
            f"<wp:author_display_name>{_cdata(user.get_full_name() or user.get_username())}"
            "</wp:author_display_name>"
            f"<wp:author_first_name>{_cdata(user.first_name)}</wp:author_first_name>"
            f"<wp:author_last_name>{_cdata(user.last_name)}</wp:author_last_name></wp:author>\n"
        )
    for tag in Tag.objects.order_by("pk"):
        yield (f"\t<wp:tag><wp:term_id>{tag.pk}</wp:term_id><wp:tag_slug>{_cdata(tag.slug)}"
               f"</wp:tag_slug><wp:tag_name>{_cdata(html.escape(tag.name, quote=False))}</wp:tag_name></wp:tag>\n")
    yield f"\t<generator>{_text(site)}</generator>\n"

    # Pingbacks get ids after every comment's, so no id is used twice.
    next_linkback_id = (Comment.objects.aggregate(Max("pk"))["pk__max"] or 0) + 1
    post_ids = list(Post.objects.order_by("published_at", "pk").values_list("pk", flat=True))
    for start in range(0, len(post_ids), CHUNK):
        chunk = post_ids[start:start + CHUNK]
        posts = Post.objects.filter(pk__in=chunk).select_related("author").prefetch_related(
            "tags", "legacy_urls"
        ).in_bulk()
        comments = {}
        for comment in Comment.objects.filter(post__in=chunk).order_by("created_at", "pk"):
            comments.setdefault(comment.post_id, []).append(comment)
        linkbacks = {}
        for record in SourceRecord.objects.filter(post__in=chunk, kind=SourceRecord.Kind.LINKBACK).order_by("pk"):
            linkbacks.setdefault(record.post_id, []).append(record)
        for pk in chunk:
            post = posts[pk]
            yield _item(post, comments.get(pk, []), author_ids)
            for record in linkbacks.get(pk, []):
                yield _linkback(record, next_linkback_id)
                next_linkback_id += 1
            yield "\t</item>\n"
    # WordPress numbers posts and pages in one series: pages come after every post's id.
    page_offset = max(post_ids, default=0)
    for page in Page.objects.select_related("author").prefetch_related("legacy_urls").order_by("path"):
        yield _page_item(page, page_offset)
    yield "</channel>\n</rss>\n"


def _status(thing):
    if thing.status == "draft":
        return "draft"
    if thing.published_at and thing.published_at > timezone.now():
        return "future"
    return "publish"


def _page_item(page, page_offset):
    """A page as WordPress writes one: post_type page, its parent's id and its menu order."""
    site = settings.SITE_URL
    number = page_offset + page.pk
    date = page.published_at or page.created_at
    link = site + page.get_absolute_url() if page.is_published else f"{site}/?page_id={number}"
    parts = [
        "\t<item>\n",
        f"\t\t<title>{_cdata(html.escape(page.title, quote=False))}</title>\n",
        f"\t\t<link>{_text(link)}</link>\n",
        f"\t\t<pubDate>{format_datetime(date) if page.published_at else ''}</pubDate>\n",
        f"\t\t<dc:creator>{_cdata(page.author.get_username())}</dc:creator>\n",
        f'\t\t<guid isPermaLink="false">{_text(site)}/?page_id={number}</guid>\n',
        "\t\t<description></description>\n",
        f"\t\t<content:encoded>{_cdata(_absolute(page.body_html))}</content:encoded>\n",
        f"\t\t<excerpt:encoded>{_cdata('')}</excerpt:encoded>\n",
        f"\t\t<wp:post_id>{number}</wp:post_id>\n",
        f"\t\t<wp:post_date>{_cdata(_local(date))}</wp:post_date>\n",
        f"\t\t<wp:post_date_gmt>{_cdata(_gmt(page.published_at))}</wp:post_date_gmt>\n",
        f"\t\t<wp:post_modified>{_cdata(_local(page.updated_at))}</wp:post_modified>\n",
        f"\t\t<wp:post_modified_gmt>{_cdata(_gmt(page.updated_at))}</wp:post_modified_gmt>\n",
        f"\t\t<wp:comment_status>{_cdata('closed')}</wp:comment_status>\n",
        f"\t\t<wp:ping_status>{_cdata('closed')}</wp:ping_status>\n",
        f"\t\t<wp:post_name>{_cdata(page.slug)}</wp:post_name>\n",
        f"\t\t<wp:status>{_cdata(_status(page))}</wp:status>\n",
        f"\t\t<wp:post_parent>{page_offset + page.parent_id if page.parent_id else 0}</wp:post_parent>\n",
        f"\t\t<wp:menu_order>{page.menu_order or 0}</wp:menu_order>\n",
        f"\t\t<wp:post_type>{_cdata('page')}</wp:post_type>\n",
        f"\t\t<wp:post_password>{_cdata('')}</wp:post_password>\n",
        "\t\t<wp:is_sticky>0</wp:is_sticky>\n",
        _meta("postmeta", MARKDOWN_META, page.body),
        _meta("postmeta", PAGE_KEY_META, f"page-{page.pk}"),
        # Empty: not in the header menu (WordPress's 0 would put it there).
        _meta("postmeta", MENU_ORDER_META, "" if page.menu_order is None else str(page.menu_order)),
    ]
    if page.parent_id:
        parts.append(_meta("postmeta", PAGE_PARENT_META, f"page-{page.parent_id}"))
    if page.published_at:
        parts.append(_meta("postmeta", MOMENT_META, page.published_at.isoformat()))
    for old_url in page.legacy_urls.all():
        parts.append(_meta("postmeta", LEGACY_PATH_META, old_url.path))
    parts.append("\t</item>\n")
    return "".join(parts)


def _item(post, comments, author_ids):
    site = settings.SITE_URL
    status = _status(post)
    date = post.published_at or post.created_at
    parts = [
        "\t<item>\n",
        # Titles and tag names are HTML in WordPress: escaped, they read as written.
        f"\t\t<title>{_cdata(html.escape(post.title, quote=False))}</title>\n",
        f"\t\t<link>{_text(site + (post.get_absolute_url() if post.published_at else f'/?p={post.pk}'))}</link>\n",
        f"\t\t<pubDate>{format_datetime(date) if post.published_at else ''}</pubDate>\n",
        f"\t\t<dc:creator>{_cdata(post.author.get_username())}</dc:creator>\n",
        f'\t\t<guid isPermaLink="false">{_text(site)}/?p={post.pk}</guid>\n',
        "\t\t<description></description>\n",
        f"\t\t<content:encoded>{_cdata(_absolute(post.body_html))}</content:encoded>\n",
        f"\t\t<excerpt:encoded>{_cdata(post.summary_html if post.summary.strip() else '')}</excerpt:encoded>\n",
        f"\t\t<wp:post_id>{post.pk}</wp:post_id>\n",
        f"\t\t<wp:post_date>{_cdata(_local(date))}</wp:post_date>\n",
        f"\t\t<wp:post_date_gmt>{_cdata(_gmt(post.published_at))}</wp:post_date_gmt>\n",
        f"\t\t<wp:post_modified>{_cdata(_local(post.updated_at))}</wp:post_modified>\n",
        f"\t\t<wp:post_modified_gmt>{_cdata(_gmt(post.updated_at))}</wp:post_modified_gmt>\n",
        f"\t\t<wp:comment_status>{_cdata('open' if post.comments_enabled else 'closed')}</wp:comment_status>\n",
        f"\t\t<wp:ping_status>{_cdata('closed')}</wp:ping_status>\n",
        f"\t\t<wp:post_name>{_cdata(post.slug)}</wp:post_name>\n",
        f"\t\t<wp:status>{_cdata(status)}</wp:status>\n",
        "\t\t<wp:post_parent>0</wp:post_parent>\n\t\t<wp:menu_order>0</wp:menu_order>\n",
        f"\t\t<wp:post_type>{_cdata('post')}</wp:post_type>\n",
        f"\t\t<wp:post_password>{_cdata('')}</wp:post_password>\n",
        "\t\t<wp:is_sticky>0</wp:is_sticky>\n",
    ]
    for tag in post.tags.all():
        parts.append(f"\t\t<category domain=\"post_tag\" nicename={quoteattr(tag.slug)}>"
                     f"{_cdata(html.escape(tag.name, quote=False))}</category>\n")
    parts.append(_meta("postmeta", MARKDOWN_META, post.body))
    if post.published_at:
        # WXR dates stop at the second; this one is exact.
        parts.append(_meta("postmeta", MOMENT_META, post.published_at.isoformat()))
    if post.summary.strip():
        parts.append(_meta("postmeta", SUMMARY_META, post.summary))
    for old_url in post.legacy_urls.all():
        parts.append(_meta("postmeta", LEGACY_PATH_META, old_url.path))
    for comment in comments:
        user_id = comment.user_id if comment.user_id in author_ids else 0
        parts.append(
            "\t\t<wp:comment>\n"
            f"\t\t\t<wp:comment_id>{comment.pk}</wp:comment_id>\n"
            f"\t\t\t<wp:comment_author>{_cdata(comment.author_name)}</wp:comment_author>\n"
            f"\t\t\t<wp:comment_author_email>{_cdata(comment.author_email)}</wp:comment_author_email>\n"
            f"\t\t\t<wp:comment_author_url>{_text(comment.author_url)}</wp:comment_author_url>\n"
            f"\t\t\t<wp:comment_author_IP>{_cdata('')}</wp:comment_author_IP>\n"
            f"\t\t\t<wp:comment_date>{_cdata(_local(comment.created_at))}</wp:comment_date>\n"
            f"\t\t\t<wp:comment_date_gmt>{_cdata(_gmt(comment.created_at))}</wp:comment_date_gmt>\n"
            f"\t\t\t<wp:comment_content>{_cdata(comment.body_html)}</wp:comment_content>\n"
            f"\t\t\t<wp:comment_approved>{_cdata(COMMENT_STATES[comment.status])}</wp:comment_approved>\n"
            f"\t\t\t<wp:comment_type>{_cdata('comment')}</wp:comment_type>\n"
            f"\t\t\t<wp:comment_parent>{comment.parent_id or 0}</wp:comment_parent>\n"
            f"\t\t\t<wp:comment_user_id>{user_id}</wp:comment_user_id>\n"
            + _meta("commentmeta", MARKDOWN_META, comment.body).replace("\t\t<", "\t\t\t<")
            + _meta("commentmeta", MOMENT_META, comment.created_at.isoformat()).replace("\t\t<", "\t\t\t<")
            + "\t\t</wp:comment>\n"
        )
    return "".join(parts)


def _linkback(record, comment_id):
    data = record.data
    return (
        "\t\t<wp:comment>\n"
        f"\t\t\t<wp:comment_id>{comment_id}</wp:comment_id>\n"
        f"\t\t\t<wp:comment_author>{_cdata(data.get('author_name', ''))}</wp:comment_author>\n"
        f"\t\t\t<wp:comment_author_email>{_cdata(data.get('author_email', ''))}</wp:comment_author_email>\n"
        f"\t\t\t<wp:comment_author_url>{_text(data.get('author_url', ''))}</wp:comment_author_url>\n"
        f"\t\t\t<wp:comment_author_IP>{_cdata('')}</wp:comment_author_IP>\n"
        f"\t\t\t<wp:comment_date_gmt>{_cdata(data.get('created_at', '')[:19].replace('T', ' '))}</wp:comment_date_gmt>\n"
        f"\t\t\t<wp:comment_content>{_cdata(data.get('content', ''))}</wp:comment_content>\n"
        f"\t\t\t<wp:comment_approved>{_cdata(data.get('approved', '1'))}</wp:comment_approved>\n"
        f"\t\t\t<wp:comment_type>{_cdata(data.get('type', 'pingback'))}</wp:comment_type>\n"
        "\t\t\t<wp:comment_parent>0</wp:comment_parent>\n"
        "\t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n"
        "\t\t</wp:comment>\n"
    )
