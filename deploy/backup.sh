#!/usr/bin/env bash
# Dump the database named by DATABASE_URL into BACKUP_DIR (custom format, compressed),
# keep BACKUP_KEEP_DAYS days of dumps, and copy MEDIA_ROOT's new files beside them.
# Restore: docs/OPERATIONS.md. Tested by tests/system/backup_restore.py.
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/blog}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_DIR/blog-$stamp.dump"
# Written under a temporary name: a dump cut short never looks like a good one.
pg_dump --format=custom --no-owner --file "$target.partial" "$DATABASE_URL"
mv "$target.partial" "$target"
if [ -n "${MEDIA_ROOT:-}" ] && [ -d "$MEDIA_ROOT" ]; then
  mkdir -p "$BACKUP_DIR/media"
  cp -a --update "$MEDIA_ROOT/." "$BACKUP_DIR/media/"
fi
find "$BACKUP_DIR" -maxdepth 1 -name 'blog-*.dump' -mtime +"$BACKUP_KEEP_DAYS" -delete
echo "backup written: $target ($(du -h "$target" | cut -f1))"
