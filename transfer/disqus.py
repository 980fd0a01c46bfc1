"""Reading a Disqus export (Admin → Moderation → Export) into a SourceBlog of comments.

A Disqus export lists threads (one per page that had comments, with that page's address)
and posts (the comments, each naming its thread and the comment it answers). Each thread
is matched to a post here by its address: a permalink of this site, or an old address an
import recorded (`/2013/04/slug.html`, `/?p=12`). Threads that match no post are counted
with their comments, never guessed.
"""

from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from blog.models import Post
from comments.models import Comment
from transfer import html, legacy
from transfer.models import SourceRecord
from transfer.sources import (
    SourceBlog,
    SourceComment,
    author_name,
    in_range,
    legacy_path,
    parse_iso_datetime,
    valid_email,
    valid_url,
)
from transfer.xmlfile import BadFile, child, children, is_zip, parse_xml, text

NO_MATCH = "Disqus threads whose address matches no post here"


def read_disqus(data, *, name, recover=False):
    """The comments of a Disqus export's bytes, on the posts here their threads name."""
    if is_zip(data):
        raise BadFile(f"{name} is a zip archive; a Disqus export is one .xml file (unzip it first).")
    root = parse_xml(data, name=name, recover=recover, faults=[])
    if root.tag != "disqus:disqus":
        raise BadFile(f"{name} is not a Disqus export: it should be a <disqus> document, not "
                      f"<{root.tag}>. Use import_wordpress or import_blogger for those exports.")
    forum = next((text(thread, "disqus:forum").strip() for thread in children(root, "disqus:thread")), "")
    blog = SourceBlog(platform=SourceRecord.Platform.DISQUS, site=forum or "disqus")
    threads = {}
    for thread in children(root, "disqus:thread"):
        key = thread.get("dsq:id", "").strip()
        link = text(thread, "disqus:link").strip()
        post = find_post(link)
        if post is None:
            blog.skipped[NO_MATCH] += 1
            blog.warnings.append(f"The Disqus thread “{html.plain_text(text(thread, 'disqus:title'))}” "
                                 f"({link[:300]}) matches no post here: its comments were not imported.")
        threads[key] = post
        if post is not None:
            blog.known_posts[key] = post
    for element in children(root, "disqus:post"):
        comment = read_comment(element, blog)
        if comment is None:
            continue
        if threads.get(comment.post_key) is None:
            blog.skipped["comments on Disqus threads that match no post here"] += 1
            continue
        blog.comments.append(comment)
    return blog


def find_post(link):
    """The post here that a Disqus thread's address names, or None."""
    if not link:
        return None
    path = urlsplit(link).path or "/"
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    if match is not None and match.view_name == "blog:post-detail":
        post = Post.objects.published().filter(slug=match.kwargs["slug"]).filter(
            published_at__year=int(match.kwargs["year"])).first()
        if post is not None and post.get_absolute_url() == path:
            return post
    old = legacy_path(link)
    return legacy.find_post(([old] if old and "?" in old else []) + legacy.candidate_paths(path))


def read_comment(element, blog):
    key = element.get("dsq:id", "").strip()
    thread = child(element, "disqus:thread")
    if not key or thread is None:
        blog.skipped["Disqus comments without an id or a thread"] += 1
        return None
    parent = child(element, "disqus:parent")
    author = child(element, "disqus:author")
    data = {"id": key, "message": text(element, "disqus:message")}
    raw_name = text(author, "disqus:name") if author is not None else ""
    username = text(author, "disqus:username").strip() if author is not None else ""
    if username:
        data["username"] = username
    raw_date = text(element, "disqus:createdAt")
    created_at = in_range(parse_iso_datetime(raw_date.replace("Z", "+00:00")), what=f"Disqus comment {key}",
                          raw=raw_date, warnings=blog.warnings)
    if created_at is None:
        blog.skipped["Disqus comments without a date"] += 1
        return None
    if text(element, "disqus:isSpam").strip() == "true":
        status = Comment.Status.SPAM
    elif text(element, "disqus:isDeleted").strip() == "true":
        status = Comment.Status.REJECTED
    else:
        status = Comment.Status.APPROVED
    return SourceComment(
        key=key,
        post_key=thread.get("dsq:id", "").strip(),
        parent_key=(parent.get("dsq:id", "").strip() or None) if parent is not None else None,
        author_name=author_name(html.plain_text(raw_name), data),
        author_email=valid_email(text(author, "disqus:email")) if author is not None else "",
        author_url=valid_url(text(author, "disqus:link")) if author is not None else "",
        created_at=created_at,
        body=html.comment_markdown_from_html(text(element, "disqus:message")),
        status=status,
        data=data,
    )
