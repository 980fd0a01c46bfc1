"""An integer past what the database can store matches no row, in every kind of lookup.

Ids arrive from URLs and forms as digits of any length: an admin filter
(`?id__in=99999999999999999999`, `?author=…`), the ids ticked for a bulk action, a
comment's parent. SQLite cannot even bind an integer past 64 bits (OverflowError, a 500)
where PostgreSQL compares it and finds nothing. Django already answers `exact`, `gt`,
`gte`, `lt` and `lte` on integer fields without asking the database
(`IntegerFieldOverflow`); these lookups do the same for `in` and for every lookup through
a foreign key or a many-to-many field (`author=…`, `tags=…`), so both databases give the
same answer and no view needs a check of its own. Registered once, in BlogConfig.ready().
"""

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import (
    RelatedExact,
    RelatedGreaterThan,
    RelatedGreaterThanOrEqual,
    RelatedIn,
    RelatedLessThan,
    RelatedLessThanOrEqual,
)
from django.db.models.lookups import In


def stored_range(field, connection):
    """(lowest, highest) integer the column of `field` can hold, or (None, None)."""
    # A foreign key holds what the field it points to holds.
    field = getattr(field, "target_field", field)
    try:
        return connection.ops.integer_field_range(field.get_internal_type())
    except (KeyError, AttributeError):
        return None, None


def _outside(value, lowest, highest):
    return isinstance(value, int) and (
        (lowest is not None and value < lowest) or (highest is not None and value > highest)
    )


class InStoredRange:
    """`in`: values no column can hold are dropped; if none is left, nothing matches."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            lowest, highest = stored_range(self.lhs.output_field, connection)
            kept = [value for value in self.rhs if not _outside(value, lowest, highest)]
            if not kept:
                raise EmptyResultSet
            self.rhs = kept
        return super().process_rhs(compiler, connection)


class ComparedInStoredRange:
    """A comparison with a value past the range is decided without the database."""

    below_range = EmptyResultSet  # what a value under the lowest storable one matches
    above_range = EmptyResultSet  # ... and one over the highest

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value() and isinstance(self.rhs, int):
            lowest, highest = stored_range(self.lhs.output_field, connection)
            if lowest is not None and self.rhs < lowest:
                raise self.below_range
            if highest is not None and self.rhs > highest:
                raise self.above_range
        return super().process_rhs(compiler, connection)


@IntegerField.register_lookup
class IntegerFieldIn(InStoredRange, In):
    pass


@ForeignObject.register_lookup
class RelatedInStoredRange(InStoredRange, RelatedIn):
    pass


@ForeignObject.register_lookup
class RelatedExactInStoredRange(ComparedInStoredRange, RelatedExact):
    pass


@ForeignObject.register_lookup
class RelatedGreaterThanInStoredRange(ComparedInStoredRange, RelatedGreaterThan):
    below_range = FullResultSet


@ForeignObject.register_lookup
class RelatedGreaterThanOrEqualInStoredRange(ComparedInStoredRange, RelatedGreaterThanOrEqual):
    below_range = FullResultSet


@ForeignObject.register_lookup
class RelatedLessThanInStoredRange(ComparedInStoredRange, RelatedLessThan):
    above_range = FullResultSet


@ForeignObject.register_lookup
class RelatedLessThanOrEqualInStoredRange(ComparedInStoredRange, RelatedLessThanOrEqual):
    above_range = FullResultSet
