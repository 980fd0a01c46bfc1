"""Every URL pattern, with path segments and query strings of every shape: never a 500."""

import pytest
from hypothesis import strategies as st

from tests.fuzz.harness import refused_if
from tests.fuzz.strategies import mostly, nul_free_text, query_string
from tests.fuzz.urlwalk import path_for, url_patterns

pytestmark = pytest.mark.django_db

PUBLIC = [(name, parts) for name, parts in url_patterns() if not name.startswith("/admin/")]
ADMIN = [(name, parts) for name, parts in url_patterns() if name.startswith("/admin/")]


def known_values(site):
    """Real ids, slugs and dates from the site, so that paths reach the views' lookups."""
    post = site.posts["published"]
    values = {str(obj.pk) for obj in [*site.posts.values(), *site.comments.values(), *site.users.values()]}
    values |= {obj.slug for obj in site.posts.values()}
    values |= {f"{post.published_at:%Y}", f"{post.published_at:%m}", f"{post.published_at:%d}"}
    values |= {"history", "byzance-café", "byzance-caf%C3%A9", "blog", "auth", "comments", "transfer"}
    return sorted(values)


def real_urls(site):
    """Addresses readers and staff actually follow."""
    urls = [post.get_absolute_url() for post in site.posts.values()]
    urls += [comment.get_absolute_url() for comment in site.comments.values()]
    urls += [f"/comments/reply/{comment.pk}/" for comment in site.comments.values()]
    urls += [f"/preview/{post.pk}/" for post in site.posts.values()]
    urls += ["/", "/search/", "/tags/history/", "/comments/moderation/", "/2013/04/old-walls.html"]
    return urls


def requests(site, patterns, roles):
    by_pattern = st.sampled_from(patterns).flatmap(lambda entry: path_for(entry[1], known_values(site)))
    path = by_pattern | st.sampled_from(real_urls(site)) if patterns is PUBLIC else by_pattern
    return st.tuples(
        st.sampled_from(roles),
        st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE"]),
        path,
        st.none() | query_string(),
        mostly(st.just("testserver"), hosts),
    )


# Scanners send any Host header: a foreign one is a 400 and one log line.
hosts = st.sampled_from(["evil.example", "testserver:99999", "[::1", "testserver.", "", "xn--80ak6aa92e.com",
                         "127.0.0.1:8000@evil.example", "a" * 300]) | nul_free_text


def send(site, request):
    role, method, path, query, host = request
    browser = site.client(role)
    url = f"{path}?{query}" if query is not None else path
    response = browser.generic(method, url, HTTP_HOST=host)
    assert response.status_code < 500, f"{method} {url} as {role}: {response.status_code}"
    return refused_if(response.status_code)


def test_every_public_url_pattern_answers_without_a_server_error(fuzz, site):
    fuzz(
        "urls: public patterns",
        requests(site, PUBLIC, ["anonymous", "anonymous", "author", "moderator"]),
        lambda request: send(site, request),
        ci_examples=100,
    )


def test_every_admin_url_pattern_answers_without_a_server_error(fuzz, site):
    fuzz(
        "urls: admin patterns",
        requests(site, ADMIN, ["superuser", "author", "moderator", "anonymous"]),
        lambda request: send(site, request),
        ci_examples=100,
    )


def test_the_walk_finds_every_url_the_site_serves():
    """A pattern added to any urls.py is fuzzed without being listed anywhere."""
    names = [name for name, _ in PUBLIC]

    assert "/<year>/<month>/<day>/<slug>/" in names
    assert "/comments/post/<post_id>/" in names
    assert "/markdownx/upload/" in names
    assert any(name.startswith("/admin/blog/post/") for name, _ in ADMIN)
