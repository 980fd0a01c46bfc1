"""Finding a page's Webmention endpoint: the cases of the Recommendation's test suite
(webmention.rocks, discovery tests 1-23), against a real server."""

import pytest

from delivery import http
from tests.webmention.conftest import page
from webmention.sending import discover

pytestmark = pytest.mark.django_db

CASES = {
    "link header, relative": ({"Link": '</endpoint/1>; rel=webmention'}, "", "/endpoint/1"),
    "link header, absolute": ({"Link": '<{base}/endpoint/2>; rel=webmention'}, "", "/endpoint/2"),
    "link element, relative": ({}, '<link rel="webmention" href="/endpoint/3">', "/endpoint/3"),
    "link element, absolute": ({}, '<link rel="webmention" href="{base}/endpoint/4">', "/endpoint/4"),
    "a element, relative": ({}, '<a rel="webmention" href="/endpoint/5">x</a>', "/endpoint/5"),
    "a element, absolute": ({}, '<a rel="webmention" href="{base}/endpoint/6">x</a>', "/endpoint/6"),
    "link header, strange casing": ({"LinK": '</endpoint/7>; REL="webmention"'}, "", "/endpoint/7"),
    "link header, quoted rel": ({"Link": '</endpoint/8>; rel="webmention"'}, "", "/endpoint/8"),
    "several rel values on a link element": (
        {}, '<link rel="webmention somethingelse" href="/endpoint/9">', "/endpoint/9"),
    "several rel values in a link header": (
        {"Link": '</endpoint/10>; rel="webmention somethingelse"'}, "", "/endpoint/10"),
    "link header before elements": (
        {"Link": '</endpoint/11>; rel="webmention"'},
        '<link rel="webmention" href="/wrong"><a rel="webmention" href="/wrong">x</a>', "/endpoint/11"),
    "rel must match exactly": (
        {}, '<link rel="not-webmention" href="/wrong"><link rel="webmention" href="/endpoint/12">',
        "/endpoint/12"),
    "an element in an HTML comment does not count": (
        {}, '<!-- <link rel="webmention" href="/wrong"> --><link rel="webmention" href="/endpoint/13">',
        "/endpoint/13"),
    "escaped HTML does not count": (
        {}, '<code>&lt;a rel="webmention" href="/wrong"&gt;&lt;/a&gt;</code>'
            '<a rel="webmention" href="/endpoint/14">x</a>', "/endpoint/14"),
    "an empty href is the page itself": ({}, '<link rel="webmention" href="">', "/page"),
    "a before link: the first wins": (
        {}, '<a rel="webmention" href="/endpoint/16">x</a><link rel="webmention" href="/wrong">', "/endpoint/16"),
    "link before a: the first wins": (
        {}, '<link rel="webmention" href="/endpoint/17"><a rel="webmention" href="/wrong">x</a>', "/endpoint/17"),
    "several link headers": (
        {"Link": ['<https://other.example/>; rel="other"', '</endpoint/18>; rel="webmention"']}, "", "/endpoint/18"),
    "one link header with several values": (
        {"Link": '<https://other.example/>; rel="other", </endpoint/19>; rel="webmention"'}, "", "/endpoint/19"),
    "a link element without href is skipped": (
        {}, '<link rel="webmention"><link rel="webmention" href="/endpoint/20">', "/endpoint/20"),
    "the endpoint's query string is kept": (
        {}, '<link rel="webmention" href="/endpoint/21?query=yes">', "/endpoint/21?query=yes"),
    "relative to the page's path": ({}, '<link rel="webmention" href="endpoint/22">', "/endpoint/22"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_endpoint_is_found_as_the_recommendation_says(elsewhere, name):
    headers, markup, expected = CASES[name]
    headers = {key: [v.format(base=elsewhere.base) for v in value] if isinstance(value, list)
               else value.format(base=elsewhere.base) for key, value in headers.items()}
    elsewhere.routes["/page"] = page(
        f"<html><head>{markup.format(base=elsewhere.base)}</head><body>A page.</body></html>", headers=headers)

    assert discover(elsewhere.url("/page")) == elsewhere.url(expected)


def test_after_a_redirect_a_relative_endpoint_is_resolved_against_the_final_page(elsewhere):
    elsewhere.routes["/moved"] = page("", status=302, headers={"Location": "/deeper/page"})
    elsewhere.routes["/deeper/page"] = page('<link rel="webmention" href="endpoint/23">')

    assert discover(elsewhere.url("/moved")) == elsewhere.url("/deeper/endpoint/23")


def test_a_page_without_an_endpoint_has_none(elsewhere):
    elsewhere.routes["/page"] = page('<html><head><link rel="stylesheet" href="/s.css"></head></html>')

    assert discover(elsewhere.url("/page")) is None


def test_a_page_that_is_not_there_is_refused(elsewhere):
    with pytest.raises(http.Refused):
        discover(elsewhere.url("/missing"))
