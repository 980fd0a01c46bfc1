"""What moderators enter in the federation admin: a block is refused unless it can block."""

import pytest

from federation.models import Block
from tests.comments.conftest import moderator  # noqa: F401

pytestmark = pytest.mark.django_db

ADD = "/admin/federation/block/add/"


@pytest.fixture
def as_moderator(client, moderator):  # noqa: F811
    client.force_login(moderator)
    return client


def errors_of(response):
    return response.context["adminform"].form.errors


@pytest.mark.parametrize("value", [
    "https://spam.example/", "spam.example/users/someone", "*.spam.example", "spam example",
    "spam.example:8080", "@someone@spam.example", ".", "spam..example", "bad_host_é.example!",
])
def test_an_instance_block_that_names_no_domain_is_refused_with_a_reason(as_moderator, value):
    response = as_moderator.post(ADD, {"kind": "instance", "value": value, "note": ""})

    assert response.status_code == 200
    assert "domain such as spam.example" in str(errors_of(response)["value"])
    assert not Block.objects.exists()


@pytest.mark.parametrize("value", ["spam.example", "@someone@spam.example", "javascript:alert(1)",
                                   "https://", "https://spam.example/users/some one"])
def test_an_actor_block_that_is_no_actor_id_is_refused_with_a_reason(as_moderator, value):
    response = as_moderator.post(ADD, {"kind": "actor", "value": value, "note": ""})

    assert response.status_code == 200
    assert "https://spam.example/users/someone" in str(errors_of(response)["value"])
    assert not Block.objects.exists()


@pytest.mark.parametrize("kind, value, stored", [
    ("instance", " Spam.Example. ", "spam.example"), ("instance", "192.0.2.7", "192.0.2.7"),
    ("instance", "b\u00fccher.example", "xn--bcher-kva.example"),
    ("actor", " https://spam.example/users/Someone ", "https://spam.example/users/Someone"),
])
def test_what_can_block_is_kept_in_the_form_blocks_compare(as_moderator, kind, value, stored):
    response = as_moderator.post(ADD, {"kind": kind, "value": value, "note": ""})

    assert response.status_code == 302
    assert Block.objects.get().value == stored


def test_the_same_instance_blocked_twice_in_another_spelling_is_a_form_error(as_moderator):
    Block.objects.create(kind="instance", value="spam.example")

    response = as_moderator.post(ADD, {"kind": "instance", "value": " SPAM.example. ", "note": ""})

    assert response.status_code == 200
    assert "already exists" in str(errors_of(response))
    assert Block.objects.count() == 1


@pytest.mark.parametrize("actor_id", [
    "https://spam.example/users/x", "https://SPAM.example./users/x", "https://a.spam.example../users/x",
    "https://b\u00fccher.example/users/x", "https://xn--bcher-kva.example/users/x",
])
def test_a_block_covers_its_instance_however_an_address_spells_the_host(actor_id):
    Block.objects.create(kind="instance", value="spam.example")
    Block.objects.create(kind="instance", value="B\u00dcCHER.example")

    assert Block.objects.blocking(actor_id).exists()
    assert not Block.objects.blocking("https://notspam.example./users/x").exists()
