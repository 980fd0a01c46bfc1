"""Uploaded files served by Django (SERVE_MEDIA, as under `make run`)."""

import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_an_uploaded_file_is_served(client, media_root):
    (media_root / "uploads").mkdir()
    (media_root / "uploads" / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    response = client.get("/media/uploads/picture.png")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["uploads/nothing.png", "x" * 5_000, "a/" * 3_000 + "b.png"])
def test_a_missing_or_impossible_file_name_is_a_404(client, media_root, path):
    # A name longer than the file system allows made the lookup raise: a 500.
    assert client.get(f"/media/{path}").status_code == 404
