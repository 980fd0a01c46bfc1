"""Hostile values: text of every kind, URL segments, query strings, numbers and dates."""

import string
from urllib.parse import quote

from hypothesis import strategies as st

# Values that broke, or nearly broke, real sites: numbers at the edges of every integer
# type, dates out of range, search operators, format strings, markup, odd Unicode.
EDGE_TEXT = [
    "", " ", "0", "00", "-0", "-1", "1", "2", "9", "10", "99", "9999", "0000", "10000", "00000",
    "12", "13", "31", "32", "29", "02", "01", "1e309", "1e-309", "NaN", "nan", "inf", "-inf",
    "Infinity", "0x10", "0b1", "1_000", "١٢٣", "٣", "𝟗𝟗", "²", "½",
    str(2**31 - 1), str(2**31), str(2**32), str(2**63 - 1), str(2**63), str(2**64), str(-(2**63) - 1),
    "9" * 20, "9" * 40, "9" * 400, "1" + "0" * 4300, "null", "None", "undefined", "true", "[]",
    "{}", "%", "%%", "%s%s%s", "{0}", "{}{}", "%(x)s", "$(x)", "${x}", "\\", "\\\\", "'", '"',
    "''", "'--", "' OR 1=1 --", "\"; DROP TABLE blog_post; --", "*", "?", "#", "&", "=", "+",
    "/", "//", "..", "../", "..\\", "./", "~", "|", "!", "!!", ":*", "<->", "<1>", "<0>", "&&",
    "||", "-" * 33, "-" * 200, "!" * 50, "(" * 50, ")" * 50, '"' * 33, "a " * 300, "OR",
    "or", "AND", "NOT", "a | b", "a & !b", "'a':*", "a <-> b", '"unbalanced', "-word",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
    "]]>", "<![CDATA[", "&amp;", "&#0;", "&#x1;", "&#xFFFF;", "&lt;", "<?xml?>",
    "\u202e", "\u200b", "\ufeff", "\ufffd", "\ufffe", "\uffff", "\U0001f600", "\U0010ffff",
    "é", "e\u0301", "İ", "ß", "ﬁ", "ǅ", "Å", "日本語", "עברית", "العربية", "\u0000", "\x01", "\x08",
    "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\x9f", "\t", "\n", "\r", "\r\n", "\u2028",
    "\u2029", "x" * 1000, "x" * 70000,
]

# Text from the whole of Unicode (surrogates excepted: they cannot travel in UTF-8),
# control characters included.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
# The same without NUL, for path segments (EarlyRefusalMiddleware answers 400 to NUL
# before anything else would see it).
nul_free_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)

hostile_text = st.one_of(
    st.sampled_from(EDGE_TEXT),
    any_text,
    st.lists(st.sampled_from(EDGE_TEXT) | any_text, min_size=2, max_size=6).map("".join),
)
hostile_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from([t for t in EDGE_TEXT if t and t.strip("-").isdigit()]),
)


def mostly(valid, hostile, *, one_in=4):
    """`valid` usually, `hostile` one time in `one_in`: a form with every field hostile is
    refused by its first check and never reaches the code behind it."""
    # Hypothesis favours the ends of a range and shrinks towards its start: both ends are
    # valid, so a failing input shrinks to the one field that matters.
    return st.integers(0, one_in).flatmap(lambda n: hostile if n == 1 else valid)


@st.composite
def percent_junk(draw):
    """Percent-encoded bytes, valid UTF-8 or not (%FF, %C3%28, overlong forms)."""
    raw = draw(st.binary(min_size=1, max_size=12).filter(lambda data: b"\x00" not in data))
    return "".join(f"%{byte:02X}" for byte in raw)


def segment(valid=st.nothing()):
    """A path segment: one the pattern expects, a number at an edge, or junk of any shape."""
    return st.one_of(
        valid,
        hostile_numbers,
        st.sampled_from([t for t in EDGE_TEXT if "\x00" not in t]),
        nul_free_text.map(lambda text: quote(text, safe="")),
        nul_free_text.filter(lambda text: text and not set(text) & set("/?#%")),
        percent_junk(),
        st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=300),
    )


# Query parameters that views read, and some they do not.
QUERY_KEYS = ["page", "q", "status", "next", "comment", "comments", "p", "page_id", "cat",
              "year", "month", "o", "e", "_changelist_filters", "all", "p", "utm_source", "format"]

query_value = st.one_of(hostile_text, hostile_numbers, percent_junk(), st.just("last"))


@st.composite
def query_string(draw):
    """A query string: known and unknown keys, repeated keys, values of every kind, encoded
    properly or not."""
    pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS) | nul_free_text, query_value), max_size=4))
    raw = draw(st.booleans())
    parts = []
    for key, value in pairs:
        if raw and "\x00" not in value:
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{quote(key, safe='')}={quote(value, safe='')}")
    return "&".join(parts)
