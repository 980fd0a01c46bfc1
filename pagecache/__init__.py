"""Pages kept for anonymous readers, and which change refreshes them (docs/ARCHITECTURE.md)."""

from pagecache.store import (  # noqa: F401
    COMMENT_EDITS_COOKIE,
    COMMENTS,
    SITE,
    depends_on,
    expire_at,
    for_readers,
    fragment,
    is_shareable,
    serve,
    thread,
)
