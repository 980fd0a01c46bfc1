"""Search on PostgreSQL reads narrow post rows and a stored title vector.

Search lists posts whose title matches first, then the others, newest first within each
(blog/search.py). Finding them is cheap through the GIN index; what cost time at 100,000
posts was reading every matching row: post rows were ~3 KB (body, body_html, the summaries
and search_document all inline), so a word found in 10,000 posts read ~16,000 heap pages
and ~20,000 TOAST pages, ~130 ms.

- `toast_tuple_target = 256`: a post row longer than 256 bytes has its long text (body,
  body_html, summary, summary_html, search_document) stored out of line in the TOAST table.
  Rows become ~350 bytes, so lists, archives and searches read ~10 times fewer pages; a
  page that shows a post's text reads it from TOAST, one lookup per shown post.
- title, slug and status have storage MAIN: kept in the row, where lists read them.
- `title_document` (`to_tsvector('english', title)`), stored by PostgreSQL in the row
  (storage MAIN): tells title matches apart without parsing titles or reading the
  out-of-line search_document.

Adding a stored generated column rewrites the table, which moves the long text of existing
rows out of line in the same step (about 40 s at 100,000 posts; instant for a usual blog).
A later migration that changes the type of title, slug or status resets their storage to
the type's default: set MAIN again there (tests/blog/test_search_index.py checks it).
SQLite, which searches with LIKE, gets nothing.
"""

from django.db import migrations

ADD = """
ALTER TABLE blog_post SET (toast_tuple_target = 256);
ALTER TABLE blog_post
    ALTER COLUMN title SET STORAGE MAIN,
    ALTER COLUMN slug SET STORAGE MAIN,
    ALTER COLUMN status SET STORAGE MAIN;
ALTER TABLE blog_post
    ADD COLUMN IF NOT EXISTS title_document tsvector GENERATED ALWAYS AS (
        to_tsvector('english'::regconfig, COALESCE(title, ''::character varying)::text)
    ) STORED,
    ALTER COLUMN title_document SET STORAGE MAIN;
"""

REMOVE = """
ALTER TABLE blog_post DROP COLUMN IF EXISTS title_document;
ALTER TABLE blog_post
    ALTER COLUMN title SET STORAGE EXTENDED,
    ALTER COLUMN slug SET STORAGE EXTENDED,
    ALTER COLUMN status SET STORAGE EXTENDED;
ALTER TABLE blog_post RESET (toast_tuple_target);
"""


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE)


class Migration(migrations.Migration):
    dependencies = [("blog", "0006_post_search_document")]

    operations = [migrations.RunPython(add, remove)]
