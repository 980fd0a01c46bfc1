"""The one rule for characters in submitted text (blog/text.py)."""

import pytest
from django.core.exceptions import ValidationError

from blog.text import refuse_control_characters, xml_safe

REFUSED = ["\x00", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f",
           "\ud800", "\udfff", "\ufffe", "\uffff", "\r"]
ACCEPTED = ["tab\there", "two\nlines", "browser\r\nlines", "émoji 🎉 and 中文", "\u200b", ""]


@pytest.mark.parametrize("character", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_control_characters_are_refused_with_their_code_point(character):
    with pytest.raises(ValidationError) as refused:
        refuse_control_characters(f"before{character}after")

    message = refused.value.messages[0]
    assert f"U+{ord(character):04X}" in message and "control character" in message


@pytest.mark.parametrize("text", ACCEPTED)
def test_tabs_newlines_crlf_and_ordinary_unicode_are_accepted(text):
    refuse_control_characters(text)


def test_xml_safe_keeps_what_xml_can_carry_and_drops_the_rest():
    assert xml_safe("a\x08b\x00c\ufffe\uffff\ud800d\te\r\nf\x85g") == "abcd\te\r\nf\x85g"
