"""Time the Markdown module on the worst input of each pattern family, beside ordinary text.

Run: .venv/bin/python bench/markdown_pathological.py   (or `make bench`; a few minutes)

Each family is a pattern repeated n times. For each, the script finds the largest n that
blog/markdown.py still accepts within POST_MAX_LENGTH (the worst input it renders: past it,
it refuses), then times that input, and the family filled to POST_MAX_LENGTH (what a
refusal costs, or the rendering if it is never refused), as a post and as a comment. The
two baselines are ordinary posts rendered in the same run: plain prose of the longest
length allowed, and a technical article (headings, links, lists, a table, code, a
footnote) repeated to the most the budget accepts. Ratios compare the slower of post and
comment with each. Times are CPU time (median of 3 runs), so other work on the machine
counts less.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from blog import markdown  # noqa: E402

LIMIT = markdown.POST_MAX_LENGTH
PROSE = ("Some ordinary words, and a few more of them, make a sentence. " * 8).strip() + "\n\n"
ARTICLE = """## A section about a thing

A paragraph with *emphasis*, **strong words**, `code` and [a link](https://example.com/a/b)
that goes on for a while, as paragraphs do, with another [link][ref] and a footnote.[^n]

- a list item with [a link](https://example.com/)
- another item
  - nested, with `code`

| column | other | third |
| --- | :-: | --: |
| a | b | c |
| d | e | f |

```python
def function(argument):
    return argument * 2
```

> A quotation, *with* emphasis.

[ref]: https://example.com/ref
[^n]: The footnote.

"""


def repeat(unit):
    return lambda n: unit * n


BASELINES = {
    "baseline: prose (paragraphs of 500 chars)": repeat(PROSE),
    "baseline: a technical article, repeated": repeat(ARTICLE),
}

FAMILIES = {
    # Emphasis and other delimiter runs
    "emphasis '**_'": repeat("**_"),
    "emphasis '*a'": repeat("*a"),
    "emphasis 'a*'": repeat("a*"),
    "emphasis nested '*'×n a '*'×n": lambda n: "*" * n + "a" + "*" * n,
    "emphasis nested '*_'": lambda n: "*_" * n + "a" + "_*" * n,
    "strikethrough '~~a'": repeat("~~a"),
    "escapes '\\*'": repeat("\\*"),
    "inert markup '$'": repeat("$"),
    # Links, images, brackets
    "'['": repeat("["),
    "'!['": repeat("!["),
    "'^['": repeat("^["),
    "'[' then 49 letters": repeat("[" + "x" * 49),
    "unclosed links '[a]('": repeat("[a]("),
    "unclosed destinations '[a](<'": repeat("[a](<"),
    "links '[a](b)'": repeat("[a](b)"),
    "links in links '[[a](b)'": repeat("[[a](b)"),
    "images nested '!['×n": lambda n: "![" * n + "a" + "](b)" * n,
    "'](' runs": repeat("]("),
    "reference definitions": repeat("[x]: http://a\n"),
    "reference uses": lambda n: "[x]: http://a\n\n" + "[x] " * n,
    "footnote definitions": repeat("[^a]: b\n"),
    "footnote references": lambda n: "[^1]: x\n\n" + "[^1]" * n,
    "footnotes, distinct": lambda n: "".join(f"[^{i}]" for i in range(n))
    + "\n\n"
    + "".join(f"[^{i}]: x\n" for i in range(n)),
    # Autolinks, entities, code spans
    "autolinks '<http://a>'": repeat("<http://a>"),
    "email autolinks '<a@b.c>'": repeat("<a@b.c>"),
    "'<'": repeat("<"),
    "entities '&amp;'": repeat("&amp;"),
    "'a&b '": repeat("a&b "),
    "numeric entities '&#123;'": repeat("&#123;"),
    "backticks '`a'": repeat("`a"),
    "backtick runs of growing length": lambda n: "".join("`" * k + "a" for k in range(1, n)),
    # Lines and blocks
    "soft line breaks 'a\\n'": repeat("a\n"),
    "hard line breaks 'a  \\n'": repeat("a  \n"),
    "paragraphs 'a\\n\\n'": repeat("a\n\n"),
    "lines of a no-break space": repeat("\u00a0\n"),
    "blank lines": repeat("\n"),
    "list items '- a'": repeat("- a\n"),
    "ordered items '1. a'": repeat("1. a\n"),
    "loose list items": repeat("- a\n\n"),
    "lists nested 15 deep per line": repeat("- " * 15 + "a\n"),
    "quotes '> a'": repeat("> a\n\n"),
    "quotes nested 15 deep": repeat(">" * 15 + " a\n\n"),
    "headings '# a'": repeat("# a\n"),
    "setext headings": repeat("a\n-\n"),
    "rules '***'": repeat("***\n"),
    "indented code lines": repeat("    a\n"),
    "empty fences": repeat("```\n"),
    "unclosed HTML comment lines": repeat("<!--\n"),
    # Tables
    "table rows, 1 column": lambda n: "|a|\n|-|\n" + "|a|\n" * n,
    "table rows, 100 columns": lambda n: "|a" * 100 + "|\n" + "|-" * 100 + "|\n" + ("|" + "b|" * 100 + "\n") * n,
    "tables of 256 columns, empty rows": repeat("|a" * 256 + "|\n" + "|-" * 256 + "|\n" + "|\n" * 255 + "\n"),
    "small tables": repeat("|a|\n|-|\n\n"),
    # Raw HTML (nh3's parser slows down with the depth of open elements)
    "HTML '<div>' nested": repeat("<div>"),
    "HTML '<div>' nested, one per line": repeat("<div>\n\n"),
    "HTML '<li><dd>' nested": repeat("<li><dd>"),
    "HTML 99 spans open, then '<p>'": lambda n: "<span>" * 99 + "<p>x</p>" * n,
    "HTML 99 bold open, then paragraphs": lambda n: "".join(f"<b title={i}>" for i in range(99)) + "\n\n" + "x\n\n" * n,
    "HTML 99 divs open, then paragraphs": lambda n: "<div>" * 99 + "\n\n" + "x\n\n" * n,
    "HTML divs shielded by '<object>'": repeat("<div>" * 50 + "<object>" + "</div>" * 50),
}


def accepted(source):
    try:
        markdown.check_post_source(source)
    except markdown.MarkdownError:
        return False
    return True


def fits(source):
    return len(source) <= LIMIT


def largest(generate, condition):
    """The largest n for which condition(generate(n)) holds (it must be monotone), or 0."""
    low, high = 0, 1
    while condition(generate(high)):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if condition(generate(middle)):
            low = middle
        else:
            high = middle
    return low


def cpu_ms(function, source, runs=3):
    timings = []
    for _ in range(runs):
        markdown.clear_caches()
        started = time.process_time()
        try:
            function(source)
        except markdown.MarkdownError:
            pass
        timings.append((time.process_time() - started) * 1000)
    return statistics.median(timings)


def measure(name, source, baselines):
    outcome = "renders" if accepted(source) else "refused"
    post = cpu_ms(markdown.render_post, source)
    comment = cpu_ms(markdown.render_comment, source)
    slower = max(post, comment)
    ratios = " ".join(f"{slower / baseline:7.2f}" for baseline in baselines or [slower, slower])
    print(f"{name[:46]:46} {len(source):>8,} {outcome:>8} {post:>8.0f} {comment:>8.0f} {ratios}", flush=True)
    return slower


def main():
    print(f"{'input':46} {'chars':>8} {'outcome':>8} {'post ms':>8} {'comm. ms':>8} "
          f"{'×prose':>7} {'×article':>7}")
    sources = {name: generate(largest(generate, lambda s: fits(s) and accepted(s)))
               for name, generate in BASELINES.items()}
    # Measured once to have the baselines, then printed with their ratios.
    baselines = [measure_quietly(source) for source in sources.values()]
    for name, source in sources.items():
        measure(name, source, baselines)
    worst = []
    for name, generate in FAMILIES.items():
        n = largest(generate, lambda s: fits(s) and accepted(s))
        if n:
            worst.append((measure(f"{name}, largest accepted", generate(n), baselines), name, "renders"))
        full = largest(generate, fits)
        if full != n:
            worst.append((measure(f"{name}, {LIMIT:,} chars", generate(full), baselines), name, "refused"))
    for kind in ("renders", "refused"):
        time_ms, name = max((t, n) for t, n, k in worst if k == kind)
        print(f"slowest that {kind}: {name}: {time_ms:.0f} ms, "
              f"{time_ms / baselines[0]:.2f}× the prose, {time_ms / baselines[1]:.2f}× the article")


def measure_quietly(source):
    return max(cpu_ms(markdown.render_post, source), cpu_ms(markdown.render_comment, source))


if __name__ == "__main__":
    main()
