"""Search syntax and what it matches: the same on SQLite and PostgreSQL; any query answers."""

import pytest

from blog.models import Post
from blog.search import MAX_WORDS, Term, parse, websearch_query

pytestmark = pytest.mark.django_db


def found(query):
    return set(Post.objects.published().search(query))


def test_quoted_words_must_appear_together_in_that_order(make_post):
    together = make_post(title="Camps", body="The prisoners were treated well, they said.")
    make_post(title="Apart", body="Well, the prisoners were treated badly.")

    assert found('"treated well"') == {together}
    assert found('"well treated"') == set()


def test_a_phrase_may_cross_punctuation_and_emphasis(make_post):
    post = make_post(title="Crossing", body="The **frozen** river, crossed at dawn.")

    assert found('"frozen river crossed"') == {post}


def test_a_word_with_a_minus_excludes_posts_that_have_it(make_post):
    wanted = make_post(title="Winter camps", body="Snow.")
    make_post(title="Winter crossing", body="The bridge froze.")
    make_post(title="Winter bridge", body="Ice.")

    assert found("winter -bridge") == {wanted}


def test_a_quoted_phrase_with_a_minus_excludes_posts_that_have_it(make_post):
    wanted = make_post(title="Rivers", body="The bridge was new.")
    make_post(title="Rivers again", body="The old bridge fell.")

    assert found('rivers -"old bridge"') == {wanted}


def test_or_offers_alternatives(make_post):
    cats = make_post(title="Cats", body="Whiskers.")
    dogs = make_post(title="Dogs", body="Barking.")
    make_post(title="Fish", body="Gills.")

    assert found("cats or dogs") == {cats, dogs}
    assert found("cats OR dogs") == {cats, dogs}


def test_or_separates_groups_of_words_that_must_all_appear(make_post):
    both = make_post(title="Amur railway", body="Text.")
    make_post(title="Amur only", body="Text.")
    lake = make_post(title="Baikal", body="Text.")

    assert found("amur railway or baikal") == {both, lake}


def test_words_in_link_targets_and_image_addresses_are_not_matched(make_post):
    linked = make_post(
        title="Links",
        body="Read [the report](https://hiddenhost.example/hiddenword/page) and "
        "![a map](https://img.example.com/secretmap.png).",
    )

    assert found("hiddenword") == set()
    assert found("hiddenhost.example") == set()
    assert found("secretmap") == set()
    assert found("img.example.com") == set()
    assert found("report") == {linked}


def test_a_query_of_excluded_words_only_finds_nothing(make_post):
    make_post(title="Anything", body="At all.")

    assert found("-nothing") == set()
    assert parse("-nothing -else") == []


HOSTILE_QUERIES = [
    "-" * 33,
    "-" * 40 + " cat",
    "- " * 60,
    '"unbalanced quote',
    '"',
    '""',
    "!",
    "!cat",
    "&",
    "cat & dog | !fish",
    ":*",
    "cat:*",
    "<->",
    "cat <-> dog",
    "or",
    "or or or",
    "cat or",
    "-or",
    "((((",
    "\\",
    "'",
    "%_%",
    "[a-z]+(",
    "x" * 200,
    " ".join(f"word{n}" for n in range(100)),
    " ".join(f"-word{n}" for n in range(100)) + " cat",
    '"' + " ".join(f"w{n}" for n in range(100)) + '"',
    "".join(chr(c) for c in range(32, 0x3000, 7)),
    "\ufffd\ufeff\u200b\u202e",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_any_search_answers_with_results_or_nothing_found(client, make_post, query):
    make_post(title="Cat and dog", body="A cat, a dog, some fish.")

    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    assert "found" in response.content.decode()


def test_the_search_page_explains_the_syntax(client):
    content = client.get("/search/").content.decode()

    assert '<code>"quoted words"</code>' in content
    assert "-word" in content and "or" in content


def test_parse_reads_words_phrases_exclusions_and_alternatives():
    assert parse('cat -dog "big fish" or -"red rat" bird') == [
        [Term(("cat",)), Term(("dog",), excluded=True), Term(("big", "fish"))],
        [Term(("red", "rat"), excluded=True), Term(("bird",))],
    ]


def test_parse_keeps_at_most_max_words():
    terms = parse(" ".join(f"w{n}" for n in range(MAX_WORDS * 2)))

    assert sum(len(term.words) for terms in terms for term in terms) == MAX_WORDS


def test_the_query_given_to_postgresql_never_holds_runs_of_operators():
    assert websearch_query(parse("-" * 40 + " cat !!dog <-> :* fish")) == "cat dog fish"
    assert websearch_query(parse('--cat "big  fish" or -"red rat" bird')) == (
        '-cat "big fish" or -"red rat" bird'
    )
