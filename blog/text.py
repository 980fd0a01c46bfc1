"""Which characters submitted text may hold, and what XML output does with the others.

Control characters (C0 other than tab and newline, DEL, C1), the noncharacters U+FFFE and
U+FFFF and lone surrogates have no business in a comment, a title or a tag name, and XML
1.0 cannot carry them: one stored in a post or a comment would make every feed showing it
unparseable. Forms refuse them with `refuse_control_characters` (a field validator); a
carriage return is accepted only as part of a CRLF line ending, which browsers send for
every new line of a textarea. Output that must be XML removes whatever is stored anyway
(rows written before the rule, or by an import) with `xml_safe`.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Everything XML 1.0 cannot carry, plus DEL and C1 controls (which it can, but which no
# person types) and CR not followed by LF.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|\r(?!\n)"
)
# What XML 1.0 cannot carry at all: removed from output.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

CONTROL_CHARACTER_ERROR = (
    "This text contains an invisible control character (%(name)s) that cannot be stored. "
    "Please remove it (it often comes with text pasted from another program) and send again."
)


def forbidden_characters(value):
    """The forbidden characters of `value`, in order of appearance (empty if none)."""
    return [match.group()[0] for match in _FORBIDDEN.finditer(value)]


def describe(character):
    return f"U+{ord(character):04X}"


@deconstructible
class ControlCharacterValidator:
    """Refuses text holding a control character other than tab, newline and CRLF."""

    code = "control_character"

    def __call__(self, value):
        found = forbidden_characters(str(value))
        if found:
            raise ValidationError(
                CONTROL_CHARACTER_ERROR, code=self.code, params={"name": describe(found[0])}
            )

    def __eq__(self, other):
        return isinstance(other, ControlCharacterValidator)


refuse_control_characters = ControlCharacterValidator()


def without_forbidden_characters(value):
    """(`value` without the characters forms refuse, how many were removed): for imports,
    which cannot send text back to be fixed."""
    return _FORBIDDEN.subn("", value)


def xml_safe(value):
    """`value` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", value)


class RefuseControlCharactersAdminMixin:
    """A ModelAdmin whose every text field refuses control characters."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(formfield, forms.CharField):
            formfield.validators.append(refuse_control_characters)
        return formfield
