"""Importing Blogger's two export formats: the seed article and its thread, comment by comment."""

import json
import re
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth import get_user_model

from blog.models import Post
from comments.models import Comment
from pages.models import Page
from tests.transfer.conftest import BLOGGER_CLASSIC, BLOGGER_TAKEOUT, BLOGGER_ZIP
from transfer.models import LegacyURL, SourceRecord

pytestmark = pytest.mark.django_db

SEED = json.loads(
    (BLOGGER_CLASSIC.parents[2] / "transfer" / "seed" / "pow-article-2013.json").read_text()
)
OLD_PATH = "/2013/04/japanese-prisoners-of-war-and-how-they.html"
PERMALINK = "/2013/04/10/japanese-prisoners-of-war-and-how-they-were-treated/"
BLOG = "tag:blogger.com,1999:blog-8127409563284617930"
COMMENT_IDS = ["7752913446380210987", "2985531017763402215", "6301778851029347112"]

ALL_FORMATS = pytest.mark.parametrize(
    "export", [BLOGGER_CLASSIC, BLOGGER_TAKEOUT, BLOGGER_ZIP], ids=["classic", "takeout", "takeout-zip"]
)


@ALL_FORMATS
def test_the_seed_article_arrives_whole(run_command, export):
    run_command("import_blogger", export)
    post = Post.objects.get()
    assert post.title == SEED["post"]["title"]
    assert post.get_absolute_url() == PERMALINK
    # 13:00 in the blog's time zone (+01:00) in the classic file, 12:00Z in Takeout's.
    assert post.published_at == datetime(2013, 4, 10, 12, 0, tzinfo=dt_timezone.utc)
    assert post.is_published
    assert set(post.tags.values_list("name", flat=True)) == {"History", "World War II"}
    assert post.author.username == "original-author" and not post.author.is_active
    for sentence in ["By the end of World War 11 there were from 560,000 to 760,000",
                     "971 transferred to PRC", "the men were deliberately shot."]:
        assert sentence in post.body_html
    # Blogger's double line breaks became paragraphs, so the home page has a summary.
    paragraphs = (BLOGGER_CLASSIC.parents[2] / "transfer/seed/pow-article-2013.md").read_text().strip().split("\n\n")
    assert post.body_html.count("<p>") == len(paragraphs) == 10
    assert post.summary_html.startswith("<p>By the end of World War 11")


@ALL_FORMATS
def test_the_thread_arrives_comment_by_comment(run_command, export):
    run_command("import_blogger", export)
    post = Post.objects.get()
    comments = [SourceRecord.objects.get(kind="comment", source_id=key).comment for key in COMMENT_IDS]
    first, *replies = comments
    for comment, expected in zip(comments, SEED["comments"]):
        assert comment.post == post
        assert comment.body == expected["body"]
        assert comment.author_name == "Anonymous"
        assert comment.author_email == ""  # Blogger's noreply@blogger.com placeholder is not kept
        assert comment.created_at == datetime.fromisoformat(expected["created_at"])
        assert comment.status == Comment.Status.APPROVED
    assert first.parent is None and first.depth == 0
    assert [reply.parent for reply in replies] == [first, first]
    assert [reply.depth for reply in replies] == [1, 1]


@ALL_FORMATS
def test_the_old_blogger_address_leads_to_the_post(run_command, client, export):
    run_command("import_blogger", export)
    response = client.get(OLD_PATH)
    assert response.status_code == 301 and response["Location"] == PERMALINK
    # Blogger's mobile links add ?m=1.
    assert client.get(OLD_PATH, {"m": "1"})["Location"] == PERMALINK


def test_an_old_comment_link_leads_to_that_comment(run_command, client):
    run_command("import_blogger", BLOGGER_CLASSIC)
    reply = SourceRecord.objects.get(kind="comment", source_id=COMMENT_IDS[1]).comment
    # Blogger's comment links: ?showComment=<milliseconds>#c<id> (the fragment never reaches us).
    response = client.get(OLD_PATH, {"showComment": "1365757200000"})
    assert response.status_code == 301
    assert response["Location"] == f"{PERMALINK}#comment-{reply.pk}"


def test_classic_and_takeout_exports_of_one_blog_agree(run_command, snapshot):
    run_command("import_blogger", BLOGGER_CLASSIC)
    before = snapshot()
    output = run_command("import_blogger", BLOGGER_TAKEOUT)
    assert snapshot() == before
    assert re.search(r"posts\s+0\s+0\s+1\s+0", output)
    assert re.search(r"comments\s+0\s+0\s+3\s+0", output)


def test_importing_the_same_file_again_changes_nothing(run_command, snapshot):
    run_command("import_blogger", BLOGGER_ZIP)
    before = snapshot()
    run_command("import_blogger", BLOGGER_ZIP)
    assert snapshot() == before


def test_template_and_settings_entries_are_skipped(run_command):
    output = run_command("import_blogger", BLOGGER_CLASSIC)
    assert "3 blog settings and template entries" in output


def test_the_seed_then_its_blogger_export_makes_no_copies(run_command, client):
    run_command("load_seed")
    seeded = Post.objects.get()
    output = run_command("import_blogger", BLOGGER_CLASSIC)
    assert Post.objects.get() == seeded
    assert Comment.objects.count() == 3
    assert re.search(r"posts\s+0\s+0\s+0\s+1", output)
    assert re.search(r"comments\s+0\s+0\s+0\s+3", output)
    assert SourceRecord.objects.get(kind="post").post == seeded
    # And a later Takeout export of the same blog is recognised through those records.
    output = run_command("import_blogger", BLOGGER_ZIP)
    assert re.search(r"posts\s+0\s+0\s+1\s+0", output)
    assert Post.objects.count() == 1 and Comment.objects.count() == 3


def test_a_post_with_another_title_at_an_old_address_is_not_taken_for_it(run_command, make_post):
    other = make_post(title="Something else entirely")
    LegacyURL.objects.create(path=OLD_PATH, post=other)
    output = run_command("import_blogger", BLOGGER_CLASSIC)
    assert Post.objects.count() == 2
    assert "already leads to something else" in output


def takeout(*entries):
    return ("<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom' "
            "xmlns:blogger='http://schemas.google.com/blogger/2018'>\n"
            f"<id>{BLOG}</id><title>Test blog</title>\n" + "\n".join(entries) + "\n</feed>\n")


def takeout_post(number, title, status="LIVE", published="2020-05-01T10:00:00Z", kind="POST", extra=""):
    return (f"<entry><id>{BLOG}.post-{number}</id><blogger:type>{kind}</blogger:type>"
            f"<blogger:status>{status}</blogger:status><author><name>Writer</name></author>"
            f"<title>{title}</title><content type='html'>&lt;p&gt;Text of {title}.&lt;/p&gt;</content>"
            f"<published>{published}</published>"
            f"<blogger:filename>/2020/05/{number}.html</blogger:filename>{extra}</entry>")


def takeout_comment(number, post, status="LIVE", reply_to="", extra="", body="A comment."):
    return (f"<entry><id>{BLOG}.post-{number}</id><blogger:type>COMMENT</blogger:type>"
            f"<blogger:status>{status}</blogger:status><author><name>Reader {number}</name>"
            "<blogger:type>ANONYMOUS</blogger:type></author>"
            f"<content type='html'>{body}</content><published>2020-05-02T10:00:0{number % 10}Z</published>"
            f"<blogger:parent>{BLOG}.post-{post}</blogger:parent>"
            f"<blogger:inReplyTo>{reply_to}</blogger:inReplyTo>{extra}</entry>")


def test_takeout_drafts_deleted_posts_and_pages(run_command, write_file):
    output = run_command("import_blogger", write_file(takeout(
        takeout_post(1, "Live one"),
        takeout_post(2, "A draft", status="DRAFT"),
        takeout_post(3, "Deleted one", status="DELETED"),
        takeout_post(4, "About me", kind="PAGE"),
        takeout_post(5, "Scheduled one", published="2999-01-01T10:00:00Z"),
        takeout_comment(11, 3),
    ), "feed.atom"))
    assert set(Post.objects.values_list("title", "status")) == {
        ("Live one", "published"), ("A draft", "draft"), ("Scheduled one", "published"),
    }
    draft = Post.objects.get(title="A draft")
    assert draft.published_at is None and draft.get_absolute_url() == f"/preview/{draft.pk}/"
    assert not Post.objects.get(title="Scheduled one").is_published
    assert "1 posts deleted in Blogger" in output
    assert Page.objects.get().title == "About me"
    assert "1 comments on skipped items" in output
    assert not LegacyURL.objects.filter(path="/2020/05/3.html").exists()


def test_takeout_comment_states_and_replies_by_number(run_command, write_file):
    run_command("import_blogger", write_file(takeout(
        takeout_post(1, "Post"),
        takeout_comment(11, 1),
        takeout_comment(12, 1, reply_to="11"),
        takeout_comment(13, 1, status="DELETED", reply_to=f"{BLOG}.post-12"),
        takeout_comment(14, 1, status="SPAM"),
        takeout_comment(15, 1, status="PENDING"),
        takeout_comment(16, 1, extra="<blogger:trashed>2020-06-01T00:00:00Z</blogger:trashed>"),
    ), "feed.atom"))
    by_name = {comment.author_name: comment for comment in Comment.objects.all()}
    assert by_name["Reader 12"].parent == by_name["Reader 11"]
    assert by_name["Reader 13"].parent == by_name["Reader 12"] and by_name["Reader 13"].depth == 2
    assert {name: comment.status for name, comment in by_name.items()} == {
        "Reader 11": "approved", "Reader 12": "approved", "Reader 13": "rejected",
        "Reader 14": "spam", "Reader 15": "pending", "Reader 16": "rejected",
    }


def test_a_reply_that_comes_before_its_parent_in_the_file_still_nests(run_command, write_file):
    run_command("import_blogger", write_file(takeout(
        takeout_comment(12, 1, reply_to="11"),
        takeout_post(1, "Post"),
        takeout_comment(11, 1),
    ), "feed.atom"))
    reply = Comment.objects.get(author_name="Reader 12")
    assert reply.parent.author_name == "Reader 11"


def test_a_reply_to_a_missing_comment_becomes_a_comment_on_the_post(run_command, write_file):
    output = run_command("import_blogger", write_file(takeout(
        takeout_post(1, "Post"), takeout_comment(12, 1, reply_to="99"),
    ), "feed.atom"))
    assert Comment.objects.get().parent is None
    assert "answers a comment that is not in the export" in output


def test_comment_html_becomes_markdown_that_shows_no_markup(run_command, write_file):
    body = ("Look &lt;b&gt;here&lt;/b&gt;:&lt;br /&gt;&lt;a href=&quot;https://example.org/&quot;&gt;"
            "a link&lt;/a&gt; and 2 * 3 = 6 &lt;i&gt;maybe&lt;/i&gt;&lt;br /&gt;# not a heading")
    run_command("import_blogger", write_file(takeout(takeout_post(1, "Post"), takeout_comment(11, 1, body=body)),
                                             "feed.atom"))
    comment = Comment.objects.get()
    assert comment.body_html == (
        '<p>Look <strong>here</strong>:<br>\n<a href="https://example.org/" rel="nofollow ugc noopener">'
        "a link</a> and 2 * 3 = 6 <em>maybe</em><br>\n# not a heading</p>\n"
    )


CLASSIC_DRAFT = f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:app='http://purl.org/atom/app#'>
<id>{BLOG}.archive</id>
<entry><id>{BLOG}.post-1</id><published>2014-01-01T10:00:00.000-08:00</published>
<category scheme='http://schemas.google.com/g/2005#kind' term='http://schemas.google.com/blogger/2008/kind#post'/>
<title type='text'>Unfinished</title><content type='html'>Half a thought</content>
<author><name>Writer Two</name><email>writer@example.org</email></author>
<app:control><app:draft>yes</app:draft></app:control></entry>
<entry><id>{BLOG}.page-2</id><published>2014-01-01T10:00:00.000-08:00</published>
<category scheme='http://schemas.google.com/g/2005#kind' term='http://schemas.google.com/blogger/2008/kind#page'/>
<title type='text'>About</title><content type='html'>Me</content></entry>
</feed>
"""


def test_classic_drafts_and_pages(run_command, write_file):
    output = run_command("import_blogger", write_file(CLASSIC_DRAFT))
    draft = Post.objects.get()
    assert draft.title == "Unfinished" and draft.status == Post.Status.DRAFT
    assert draft.author.email == "writer@example.org"
    assert Page.objects.get().title == "About"


def test_a_takeout_zip_with_two_blogs_imports_both(run_command, tmp_path):
    import zipfile

    other = takeout(takeout_post(1, "From the other blog")).replace("blog-8127409563284617930", "blog-42")
    archive = tmp_path / "takeout.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.write(BLOGGER_TAKEOUT, "Takeout/Blogger/Blogs/Notes from history/feed.atom")
        zip_file.writestr("Takeout/Blogger/Blogs/Other/feed.atom", other)
    run_command("import_blogger", archive)
    assert set(Post.objects.values_list("title", flat=True)) == {SEED["post"]["title"], "From the other blog"}
    assert set(SourceRecord.objects.filter(kind="post").values_list("site", flat=True)) == {
        "blog-8127409563284617930", "blog-42",
    }


def test_two_authors_with_one_name_stay_two_users(run_command, write_file):
    first = takeout_post(1, "One").replace("<name>Writer</name>", "<name>Sam</name><uri>https://www.blogger.com/profile/1</uri>")
    second = takeout_post(2, "Two").replace("<name>Writer</name>", "<name>Sam</name><uri>https://www.blogger.com/profile/2</uri>")
    run_command("import_blogger", write_file(takeout(first, second), "feed.atom"))
    assert {post.author.username for post in Post.objects.all()} == {"sam", "sam-2"}
    assert get_user_model().objects.count() == 2


def test_three_authors_with_one_name_stay_three_users(run_command, write_file):
    posts = [
        takeout_post(n, f"Post {n}").replace(
            "<name>Writer</name>", f"<name>Sam</name><uri>https://www.blogger.com/profile/{n}</uri>"
        )
        for n in (1, 2, 3)
    ]
    run_command("import_blogger", write_file(takeout(*posts), "feed.atom"))
    assert {post.author.username for post in Post.objects.all()} == {"sam", "sam-2", "sam-3"}


def test_a_comment_without_a_date_is_kept_dated_as_its_post_and_said_so(run_command, write_file):
    broken = takeout_comment(11, 1).replace("<published>2020-05-02T10:00:01Z</published>", "<published>soon</published>")
    assert "soon" in broken
    output = run_command("import_blogger", write_file(takeout(takeout_post(1, "Post"), broken), "feed.atom"))
    comment = Comment.objects.get()
    # Its post's date, the same on every import (it used to be "now", so each import changed it).
    assert comment.created_at == comment.post.published_at
    assert "Blogger comment 11 has no valid date: dated " in output and "as its post or the export" in output
