"""Cross-site request forgery: every state-changing endpoint wants the token; GET changes nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from blog.models import Post, Tag


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def csrf_client_as(csrf_client):
    def login(user):
        csrf_client.force_login(user)
        return csrf_client

    return login


def png():
    output = io.BytesIO()
    Image.new("RGB", (4, 4)).save(output, "PNG")
    return SimpleUploadedFile("x.png", output.getvalue(), content_type="image/png")


@pytest.mark.django_db
def test_admin_login_without_the_token_is_refused(csrf_client, superuser):
    response = csrf_client.post("/admin/login/", {"username": "root", "password": "correct horse battery"})

    assert response.status_code == 403
    assert "_auth_user_id" not in csrf_client.session


@pytest.mark.django_db
def test_admin_logout_without_the_token_is_refused(csrf_client_as, superuser):
    client = csrf_client_as(superuser)

    response = client.post("/admin/logout/")

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(superuser.pk)


@pytest.mark.django_db
def test_adding_a_post_without_the_token_is_refused(csrf_client_as, author):
    response = csrf_client_as(author).post(
        "/admin/blog/post/add/",
        {"title": "Forged", "slug": "forged", "body": "x", "status": "published"},
    )

    assert response.status_code == 403
    assert not Post.objects.filter(slug="forged").exists()


@pytest.mark.django_db
def test_changing_a_post_without_the_token_is_refused(csrf_client_as, author, make_post):
    post = make_post(author=author, title="Original")

    response = csrf_client_as(author).post(
        f"/admin/blog/post/{post.pk}/change/",
        {"title": "Forged", "slug": post.slug, "body": "x", "status": "published"},
    )

    assert response.status_code == 403
    assert Post.objects.get(pk=post.pk).title == "Original"


@pytest.mark.django_db
def test_deleting_a_post_without_the_token_is_refused(csrf_client_as, author, make_post):
    post = make_post(author=author)

    response = csrf_client_as(author).post(f"/admin/blog/post/{post.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Post.objects.filter(pk=post.pk).exists()


@pytest.mark.django_db
def test_adding_a_tag_without_the_token_is_refused(csrf_client_as, author):
    response = csrf_client_as(author).post("/admin/blog/tag/add/", {"name": "forged", "slug": "forged"})

    assert response.status_code == 403
    assert not Tag.objects.exists()


@pytest.mark.django_db
def test_the_preview_without_the_token_is_refused(csrf_client_as, author):
    response = csrf_client_as(author).post("/markdownx/markdownify/", {"content": "*x*"})

    assert response.status_code == 403
    assert b"<em>x</em>" not in response.content


@pytest.mark.django_db
def test_an_upload_without_the_token_is_refused(csrf_client_as, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = csrf_client_as(author).post("/markdownx/upload/", {"image": png()})

    assert response.status_code == 403
    assert list(tmp_path.rglob("*.*")) == []


@pytest.mark.django_db
def test_a_superuser_adding_a_user_without_the_token_is_refused(csrf_client_as, superuser, django_user_model):
    response = csrf_client_as(superuser).post(
        "/admin/auth/user/add/",
        {"username": "planted", "password1": "x-Long-passw0rd!", "password2": "x-Long-passw0rd!"},
    )

    assert response.status_code == 403
    assert not django_user_model.objects.filter(username="planted").exists()


@pytest.mark.django_db
def test_the_token_from_the_form_is_accepted(csrf_client_as, author):
    """The refusals above are about the missing token, not about the requests themselves."""
    client = csrf_client_as(author)
    page = client.get("/admin/blog/tag/add/")
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    response = client.post("/admin/blog/tag/add/", {"name": "real", "slug": "real", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Tag.objects.filter(slug="real").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/markdownx/markdownify/?content=x", "/markdownx/upload/"])
def test_editor_endpoints_refuse_get(client, author, url, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(author)

    response = client.get(url)

    assert response.status_code == 405
    assert list(tmp_path.rglob("*.*")) == []
