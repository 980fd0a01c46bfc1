"""Search on PostgreSQL reads the text readers see: the vector is of the rendered body.

0006 made search_document from the Markdown source, so a search found words that appear
only in link targets and image addresses (`[here](https://example.com/secret)`). Made from
body_html instead, PostgreSQL's text-search parser skips the tags with their attributes,
and the stored vector holds the visible text only (what SQLite matches too, blog/search.py).

Replacing a stored generated column rewrites the table (about as long as 0007 at 100,000
posts; instant for a usual blog). The new column's long text stays out of line (0007's
toast_tuple_target). SQLite gets nothing.
"""

from django.db import migrations

DOCUMENT = """
DROP INDEX IF EXISTS post_search_document_idx;
ALTER TABLE blog_post DROP COLUMN IF EXISTS search_document;
ALTER TABLE blog_post ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, COALESCE(title, ''::character varying)::text), 'A'::"char")
    || setweight(to_tsvector('english'::regconfig, COALESCE({source}, ''::text)), 'B'::"char")
) STORED;
CREATE INDEX post_search_document_idx ON blog_post USING gin (search_document);
"""


def of_visible_text(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOCUMENT.format(source="body_html"))


def of_markdown_source(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOCUMENT.format(source="body"))


class Migration(migrations.Migration):
    dependencies = [("blog", "0007_post_narrow_rows_title_document")]

    operations = [migrations.RunPython(of_visible_text, of_markdown_source)]
