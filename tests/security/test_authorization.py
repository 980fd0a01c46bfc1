"""Who may do what: every role against every state-changing URL and admin page.

Roles: anonymous, commenter (an account without staff rights), author (the Authors
group), moderator (the Moderators group), superuser. "login" means the admin's login page
(the admin treats a non-staff account like a visitor), 403 a refusal.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from blog.models import Post, Tag
from tests.security.roles import ROLES, outcome



def png():
    output = io.BytesIO()
    Image.new("RGB", (4, 4)).save(output, "PNG")
    return SimpleUploadedFile("x.png", output.getvalue(), content_type="image/png")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected",
    list(zip(ROLES, ["login", "login", 200, 403, 200])),
)
def test_who_may_open_the_post_editor(as_role, role, expected):
    assert outcome(as_role(role).get("/admin/blog/post/add/")) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected, created",
    list(zip(ROLES, ["login", "login", 302, 403, 302], [False, False, True, False, True])),
)
def test_who_may_add_a_post(as_role, author, role, expected, created):
    # The author field is the superuser's to choose; for authors it is read-only.
    response = as_role(role).post(
        "/admin/blog/post/add/",
        {"title": "New", "slug": "new", "body": "x", "status": "draft", "author": author.pk},
    )

    assert outcome(response) == expected
    assert Post.objects.filter(slug="new").exists() is created


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected, changed",
    list(zip(ROLES, ["login", "login", 302, 403, 302], [False, False, False, False, True])),
)
def test_only_a_superuser_may_change_another_authors_post(as_role, make_post, other_author, role, expected, changed):
    post = make_post(author=other_author, title="Theirs")
    published = timezone.localtime(post.published_at)

    response = as_role(role).post(
        f"/admin/blog/post/{post.pk}/change/",
        {"title": "Hijacked", "slug": post.slug, "body": "x", "status": "published",
         "published_at_0": f"{published:%Y-%m-%d}", "published_at_1": f"{published:%H:%M:%S}",
         "author": other_author.pk},
    )

    assert outcome(response) == expected
    assert (Post.objects.get(pk=post.pk).title == "Hijacked") is changed


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", "login", 302, 403, 200])))
def test_only_a_superuser_may_open_another_authors_post(as_role, make_post, other_author, role, expected):
    # Authors are sent back to the admin index: for them the post does not exist.
    post = make_post(author=other_author)

    assert outcome(as_role(role).get(f"/admin/blog/post/{post.pk}/change/")) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected, deleted",
    list(zip(ROLES, ["login", "login", 302, 403, 302], [False, False, False, False, True])),
)
def test_only_a_superuser_may_delete_another_authors_post(as_role, make_post, other_author, role, expected, deleted):
    post = make_post(author=other_author)

    response = as_role(role).post(f"/admin/blog/post/{post.pk}/delete/", {"post": "yes"})

    assert outcome(response) == expected
    assert (not Post.objects.filter(pk=post.pk).exists()) is deleted


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", 403, 200, 403, 200])))
def test_who_may_use_the_preview(as_role, role, expected):
    response = as_role(role).post("/markdownx/markdownify/", {"content": "*x*"})

    assert outcome(response) == expected
    assert (b"<em>x</em>" in response.content) is (expected == 200)


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", 403, 200, 403, 200])))
def test_who_may_upload_images(as_role, role, expected, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = as_role(role).post("/markdownx/upload/", {"image": png()})

    assert outcome(response) == expected
    assert len(list(tmp_path.rglob("*.png"))) == (1 if expected == 200 else 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected, created",
    list(zip(ROLES, ["login", "login", 302, 403, 302], [False, False, True, False, True])),
)
def test_who_may_add_tags(as_role, role, expected, created):
    response = as_role(role).post("/admin/blog/tag/add/", {"name": "new", "slug": "new"})

    assert outcome(response) == expected
    assert Tag.objects.filter(slug="new").exists() is created


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", "login", 403, 403, 200])))
def test_only_a_superuser_may_manage_users(as_role, role, expected):
    assert outcome(as_role(role).get("/admin/auth/user/")) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["author", "moderator"])
def test_staff_cannot_promote_themselves(as_role, role, request):
    user = request.getfixturevalue(role)

    response = as_role(role).post(
        f"/admin/auth/user/{user.pk}/change/",
        {"username": user.username, "is_superuser": "on", "is_staff": "on", "is_active": "on"},
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.is_superuser is False


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", "login", 403, 403, 200])))
def test_only_a_superuser_sees_the_login_attempts(as_role, role, expected):
    assert outcome(as_role(role).get("/admin/axes/accessattempt/")) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES[:2] + ["other_author"])
def test_a_draft_is_invisible_to_everyone_who_may_not_edit_it(as_role, make_post, author, role):
    draft = make_post(author=author, status=Post.Status.DRAFT, title="Secret draft")

    response = as_role(role).get(f"/preview/{draft.pk}/")

    assert response.status_code == 404
    assert b"Secret draft" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/transfer/importrun/upload/", "/admin/transfer/importrun/export/"])
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", "login", 403, 403, 200])))
def test_only_a_superuser_may_import_or_export_the_blog(as_role, role, expected, url):
    # The export holds every commenter's email and IP address; an import can change anything.
    response = as_role(role).get(url)

    assert outcome(response) == expected
    assert ("Content-Disposition" in response) is (expected == 200 and url.endswith("export/"))


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", list(zip(ROLES, ["login", "login", 403, 403])))
def test_nobody_but_a_superuser_may_post_an_import(as_role, role, expected):
    wxr = SimpleUploadedFile("blog.xml", b"<?xml version='1.0'?><rss version='2.0'></rss>", content_type="text/xml")

    response = as_role(role).post(
        "/admin/transfer/importrun/upload/", {"platform": "wordpress", "file": wxr}
    )

    assert outcome(response) == expected
    assert not Post.objects.exists()
