"""The full-text index behind search on PostgreSQL: exactly the expression of Post.search_vector().

Created only on PostgreSQL (SQLite searches with LIKE and has no GIN). The expression is
written out here, as a migration must not change when the model does; a test checks that
the search query uses this index.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

SEARCH_INDEX = GinIndex(
    SearchVector("title", weight="A", config="english")
    + SearchVector("body", weight="B", config="english"),
    name="post_search_idx",
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("blog", "Post"), SEARCH_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("blog", "Post"), SEARCH_INDEX)


class Migration(migrations.Migration):
    dependencies = [("blog", "0004_pageversion")]

    operations = [migrations.RunPython(create_index, drop_index)]
