"""blog/markdown.py bounds its work by design: what it refuses, it refuses before the work.

How long the worst input of each family takes is measured, not asserted here:
bench/markdown_pathological.py, figures in docs/SECURITY.md.
"""

import pytest

from blog import markdown


@pytest.fixture(autouse=True)
def nothing_kept_from_other_tests():
    markdown.clear_caches()
    yield
    markdown.clear_caches()


@pytest.fixture
def stages(monkeypatch):
    """Counts of the calls to each stage: markdown-it's block and inline parsers, nh3."""
    calls = {"block": 0, "inline": 0, "sanitize": 0}
    parser = markdown._post_parser()

    def counted(name, function):
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(parser.block, "parse", counted("block", parser.block.parse))
    monkeypatch.setattr(parser.inline, "parse", counted("inline", parser.inline.parse))
    monkeypatch.setattr(markdown.nh3, "clean", counted("sanitize", markdown.nh3.clean))
    return calls


def refusal(source):
    with pytest.raises(markdown.MarkdownTooComplex) as refused:
        markdown.check_post_source(source)
    return str(refused.value)


def test_too_many_link_brackets_are_refused_before_anything_is_parsed(stages):
    assert "more than 3,750 “[” characters" in refusal("[x]: http://a\n" * 3_751)
    assert stages == {"block": 0, "inline": 0, "sanitize": 0}


@pytest.mark.parametrize(
    "source",
    ["a\n" * 15_001, "a\r" * 15_001, "    code\n" * 15_001, "x" + "\n" * 120_004 + "x"],
    ids=["lines", "lines-ending-in-cr", "code-lines", "blank-lines"],
)
def test_too_many_lines_are_refused_before_the_block_parser_looks_at_them(stages, source):
    assert "too complex to render in one piece" in refusal(source)
    assert stages == {"block": 0, "inline": 0, "sanitize": 0}


@pytest.mark.parametrize(
    "source",
    [
        "- a\n\n" * 7_000,
        # One table rule would create 65,536 cells here: it is stopped midway.
        "|a" * 256 + "|\n" + "|-" * 256 + "|\n" + "|\n" * 255,
        ("- " * 15 + "a\n") * 500,
    ],
    ids=["list-items", "autocompleted-table-cells", "nested-lists"],
)
def test_too_many_block_elements_are_refused_as_they_are_created_before_any_inline_parsing(stages, source):
    assert "too complex to render in one piece" in refusal(source)
    assert stages == {"block": 1, "inline": 0, "sanitize": 0}


@pytest.mark.parametrize(
    "source",
    ["**_" * 5_001, "<http://a>" * 4_300, "&amp;" * 30_001, "`a" * 30_001],
    ids=["emphasis", "autolinks", "entities", "backticks"],
)
def test_too_much_inline_markup_is_refused_before_the_inline_parse(stages, source):
    assert "too complex to render in one piece" in refusal(source)
    assert stages == {"block": 1, "inline": 0, "sanitize": 0}


@pytest.mark.parametrize(
    "source",
    ["<div>" * 101, "<div/>" * 101, "<DIV>" * 101, "</span>" * 200 + "<div>" * 101,
     "".join(f"<b title={i}>" for i in range(101)), "<li><dd>" * 51,
     "<div>\n\n" * 101, "x <span>" * 101],
    ids=["divs", "self-closed-divs", "upper-case", "unmatched-end-tags", "bold-with-attributes",
         "list-items-and-definitions", "html-blocks", "inline-html"],
)
def test_raw_html_nested_past_the_limit_is_refused_before_the_sanitizer_sees_it(stages, source):
    with pytest.raises(markdown.MarkdownTooDeep, match="its HTML has more than 100 elements open at once"):
        markdown.check_post_source(source)
    assert stages["sanitize"] == 0


@pytest.mark.parametrize(
    "source",
    ["<div>x</div>" * 2_000, "<br>" * 2_000, '<img src="/a.png">' * 2_000, "<hr/>" * 2_000,
     "<div>" * 100, "<p>para" * 100],
    ids=["closed", "line-breaks", "images", "rules", "a-hundred-open", "a-hundred-unclosed-paragraphs"],
)
def test_raw_html_that_closes_its_elements_or_stays_shallow_is_accepted(source):
    markdown.check_post_source(source)


def test_refused_markdown_is_kept_as_escaped_text_without_the_sanitizer(stages):
    source = "<script>alert(1)</script>\n\n" + "**_" * 10_000

    html = markdown.render_post(source)

    assert html.startswith("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>**_**_")
    assert stages["sanitize"] == 0
    assert markdown.render_comment(source) == html


def test_a_checked_source_is_rendered_once_for_the_check_and_the_save(stages):
    source = "# A post\n\nWith *emphasis* and [a link](https://example.com)."

    markdown.check_post_source(source)
    checked = dict(stages)
    html = markdown.render_post(source)

    assert stages == checked
    assert checked["block"] == checked["sanitize"] == 1
    assert "<em>emphasis</em>" in html


ARTICLE = """## A section

A paragraph with *emphasis*, **strong words**, `code` and [a link](https://example.com/a)
that goes on, with another [link][ref] and a footnote.[^n]

- an item with [a link](https://example.com/)
- another item
  - nested, with `code`

| column | other |
| --- | --: |
| a | b |

```python
def function(argument):
    return argument * 2
```

> A quotation, *with* emphasis.

[ref]: https://example.com/ref
[^n]: The footnote.

"""
PROSE = ("Some ordinary words, and a few more of them, make a sentence. " * 8).strip() + "\n\n"


@pytest.mark.parametrize(
    "source",
    [(PROSE * 1_000)[: markdown.POST_MAX_LENGTH], ARTICLE * 100],
    ids=["prose-at-the-length-limit", "a-60-KB-technical-article"],
)
def test_ordinary_posts_fit_the_work_budget(source):
    markdown.check_post_source(source)


def test_the_budget_is_counted_for_comments_too():
    assert "more than 3,750 “[” characters" in refusal_of_comment("[" * 3_751)
    assert markdown.render_comment("[" * 3_751) == "<p>" + "[" * 3_751 + "</p>\n"


def refusal_of_comment(source):
    with pytest.raises(markdown.MarkdownTooComplex) as refused:
        markdown.check_comment_source(source)
    return str(refused.value)
