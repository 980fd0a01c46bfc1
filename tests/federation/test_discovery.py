"""How a fediverse server finds the blog: WebFinger, NodeInfo, the actor and its collections."""

import json

import pytest

from federation.models import LocalActor

pytestmark = pytest.mark.django_db

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://blog.example"
    settings.ACTIVITYPUB_BLOG_USERNAME = "notes"


def test_webfinger_finds_the_blog_by_its_handle(client):
    response = client.get("/.well-known/webfinger", {"resource": "acct:notes@blog.example"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jrd+json"
    document = response.json()
    assert document["subject"] == "acct:notes@blog.example"
    [self_link] = [link for link in document["links"] if link["rel"] == "self"]
    assert self_link == {"rel": "self", "type": AP, "href": "https://blog.example/ap/actors/notes"}
    assert any(link["rel"] == "http://webfinger.net/rel/profile-page" for link in document["links"])


@pytest.mark.parametrize("resource", [
    "acct:someone@blog.example", "acct:notes@elsewhere.example", "acct:", "notes", "acct:a@b@c",
])
def test_webfinger_knows_no_other_account(client, resource):
    assert client.get("/.well-known/webfinger", {"resource": resource}).status_code == 404


def test_webfinger_without_a_resource_is_a_bad_request(client):
    assert client.get("/.well-known/webfinger").status_code == 400


@pytest.mark.parametrize("accept", [AP, LD])
def test_the_actor_document_carries_its_public_key(client, accept):
    response = client.get("/ap/actors/notes", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == AP
    document = response.json()
    assert document["id"] == "https://blog.example/ap/actors/notes"
    assert document["preferredUsername"] == "notes"
    assert document["inbox"] == "https://blog.example/ap/actors/notes/inbox"
    assert document["outbox"] == "https://blog.example/ap/actors/notes/outbox"
    assert document["followers"] == "https://blog.example/ap/actors/notes/followers"
    assert document["endpoints"]["sharedInbox"] == "https://blog.example/ap/inbox"
    key = document["publicKey"]
    assert key["id"] == "https://blog.example/ap/actors/notes#main-key"
    assert key["owner"] == document["id"]
    assert key["publicKeyPem"] == LocalActor.objects.get(username="notes").public_key_pem
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_the_key_pair_is_made_once_and_kept(client):
    first = client.get("/ap/actors/notes", HTTP_ACCEPT=AP).json()["publicKey"]["publicKeyPem"]
    second = client.get("/ap/actors/notes", HTTP_ACCEPT=AP).json()["publicKey"]["publicKeyPem"]

    assert first == second and LocalActor.objects.count() == 1


def test_a_browser_asking_for_the_actor_goes_to_the_home_page(client):
    response = client.get("/ap/actors/notes", HTTP_ACCEPT="text/html,application/xhtml+xml")

    assert response.status_code == 302 and response["Location"] == "/"


def test_an_unknown_actor_is_not_found(client):
    assert client.get("/ap/actors/someone", HTTP_ACCEPT=AP).status_code == 404


def test_actor_and_webfinger_cost_few_queries_once_the_key_exists(client, django_assert_num_queries):
    LocalActor.blog()
    with django_assert_num_queries(3):  # the key; the site settings (its name) and their menu
        client.get("/ap/actors/notes", HTTP_ACCEPT=AP)
    with django_assert_num_queries(0):
        client.get("/.well-known/webfinger", {"resource": "acct:notes@blog.example"})


def test_nodeinfo_is_found_from_the_well_known_address(client, make_post):
    make_post()
    links = client.get("/.well-known/nodeinfo").json()["links"]
    [link] = links
    assert link["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"

    document = client.get(link["href"].removeprefix("https://blog.example")).json()
    assert document["version"] == "2.1"
    assert document["protocols"] == ["activitypub"]
    assert document["usage"]["localPosts"] == 1


def test_outbox_lists_published_posts_as_creates_of_articles(client, make_post):
    post = make_post(title="Hello fediverse")
    make_post(status="draft", title="Not yet")

    document = client.get("/ap/actors/notes/outbox", HTTP_ACCEPT=AP).json()

    assert document["type"] == "OrderedCollection" and document["totalItems"] == 1
    [create] = document["orderedItems"]
    assert create["type"] == "Create"
    article = create["object"]
    assert article["type"] == "Article" and article["name"] == "Hello fediverse"
    assert article["id"] == f"https://blog.example/ap/posts/{post.pk}"
    assert article["url"] == "https://blog.example" + post.get_absolute_url()
    assert article["preview"]["type"] == "Note"
    assert "Hello fediverse" in article["preview"]["content"]


def test_the_followers_collection_gives_a_count_and_no_names(client):
    document = client.get("/ap/actors/notes/followers", HTTP_ACCEPT=AP).json()

    assert document == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://blog.example/ap/actors/notes/followers",
        "type": "OrderedCollection",
        "totalItems": 0,
    }


def test_a_post_as_json_and_its_page_for_browsers(client, make_post):
    post = make_post()

    document = client.get(f"/ap/posts/{post.pk}", HTTP_ACCEPT=AP).json()
    assert document["type"] == "Article" and document["content"] == post.body_html
    response = client.get(f"/ap/posts/{post.pk}")
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()


def test_a_draft_has_no_json(client, make_post):
    post = make_post(status="draft")
    assert client.get(f"/ap/posts/{post.pk}", HTTP_ACCEPT=AP).status_code == 404


@pytest.mark.parametrize("path", [
    "/.well-known/webfinger?resource=acct:notes@blog.example", "/.well-known/nodeinfo",
    "/nodeinfo/2.1", "/ap/actors/notes", "/ap/actors/notes/outbox", "/ap/actors/notes/followers",
])
def test_turned_off_every_endpoint_is_not_found(client, settings, path):
    settings.ACTIVITYPUB_ENABLED = False
    assert client.get(path, HTTP_ACCEPT=AP).status_code == 404
    assert client.post("/ap/inbox", b"{}", content_type=AP).status_code == 404


def test_json_answers_are_not_html_escaped_strangely(client):
    body = client.get("/ap/actors/notes", HTTP_ACCEPT=AP).content
    assert json.loads(body)["id"].startswith("https://")


def test_an_articles_own_links_and_images_are_absolute(client, make_post):
    post = make_post(body="![A map](/media/map.png) [earlier](/2020/01/01/x/) [out](https://e.example/a)")

    content = client.get(f"/ap/posts/{post.pk}", HTTP_ACCEPT=AP).json()["content"]

    assert 'src="https://blog.example/media/map.png"' in content
    assert 'href="https://blog.example/2020/01/01/x/"' in content
    assert 'href="https://e.example/a"' in content


READ_ONLY = ["/.well-known/webfinger?resource=acct:notes@blog.example", "/.well-known/nodeinfo",
             "/nodeinfo/2.1", "/ap/actors/notes", "/ap/actors/notes/outbox", "/ap/actors/notes/followers"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", READ_ONLY + ["/ap/posts/{post}", "/ap/comments/{comment}"])
def test_what_is_only_read_answers_other_methods_with_405(client, make_post, method, path):
    post = make_post()
    comment = post.comments.create(author_name="Ada", body="Hello.", status="approved")
    path = path.format(post=post.pk, comment=comment.pk)

    response = client.generic(method, path, b'{"type": "Delete"}', content_type=AP, HTTP_ACCEPT=AP)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head(path, HTTP_ACCEPT=AP).status_code in (200, 302)


def test_webfinger_asked_for_two_resources_at_once_is_a_bad_request(client):
    response = client.get("/.well-known/webfinger?resource=acct:notes@blog.example&resource=acct:x@elsewhere.example")

    assert response.status_code == 400
    assert "one resource" in response.json()["error"]


@pytest.mark.parametrize("query", [
    "resource=acct:@", "resource=acct:@blog.example", "resource=acct:notes@", "resource=@notes@",
    "resource=acct:notes@blog.example:443", "resource=acct:notes@blog.example@blog.example",
    "resource=%ff%fe", "resource=acct:%E2%80%AEnotes@blog.example", "resource=acct:" + "a" * 5000 + "@blog.example",
    "resource=acct:notes%40elsewhere.example", "resource=http://blog.example/ap/actors/notes",
    "resource=https://blog.example/ap/actors/notes/outbox", "resource=https://elsewhere.example/ap/actors/notes",
    "resource=javascript:alert(1)", "resource[]=acct:notes@blog.example",
])
def test_webfinger_answers_malformed_or_foreign_resources_with_a_json_error(client, query):
    response = client.get(f"/.well-known/webfinger?{query}")

    assert response.status_code in (400, 404)
    assert response.json()["error"]


def test_webfinger_refuses_a_nul_in_its_query(client):
    assert client.get("/.well-known/webfinger?resource=acct:notes%00@blog.example").status_code == 400


@pytest.mark.parametrize("path", ["/ap/actors/notes/outbox", "/ap/actors/notes/followers", "/ap/actors/notes"])
@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=1e9", "page=abc", "page=" + "9" * 400,
                                   "page=true&page=2", "min_id=%ff", "max_id="])
def test_query_parameters_the_collections_do_not_read_change_nothing(client, make_post, path, query):
    make_post()
    plain = client.get(path, HTTP_ACCEPT=AP)

    response = client.get(f"{path}?{query}", HTTP_ACCEPT=AP)

    assert response.status_code == 200
    assert response.json() == plain.json()


@pytest.mark.parametrize("path", ["/ap/posts/" + "9" * 30, "/ap/comments/" + "9" * 30, "/ap/posts/0",
                                  "/ap/actors/" + "a" * 3000, "/ap/actors/%ff", "/ap/actors/notes%20",
                                  "/ap/actors/%E2%80%AE"])
def test_addresses_of_nothing_are_not_found(client, path):
    assert client.get(path, HTTP_ACCEPT=AP).status_code == 404


@pytest.mark.parametrize("accept, json_expected", [
    ("application/json", True), ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
    ("application/activity+json; charset=utf-8; " + "x" * 5000, True), ("", False), ("*/*", False),
    ("text/html;q=0.9, */*;q=0.1", False), ("image/png", False), ("\u00ff\u00fe", False),
])
def test_an_odd_accept_header_gets_the_json_or_the_page(client, make_post, accept, json_expected):
    post = make_post()

    for path in ("/ap/actors/notes", f"/ap/posts/{post.pk}"):
        response = client.get(path, HTTP_ACCEPT=accept)
        assert response.status_code == (200 if json_expected else 302)
        if json_expected:
            assert response.json()["id"] == f"https://blog.example{path}"
