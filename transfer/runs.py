"""An import from the admin, run by the worker so that no request waits for it.

The upload page reads the file at once (a file that cannot be imported is refused there,
with the reason, and nothing is queued), then stores it under TRANSFER_UPLOAD_ROOT (private:
not under MEDIA_ROOT, so no address serves it) and queues the ImportRun's task in the same
transaction. The worker imports it in one transaction, as the commands do, and deletes the
stored file when it is done, whatever the outcome.

Progress goes to a small file beside the upload, not to the row: the import's transaction
holds the row's update until it commits (on PostgreSQL other connections see the old numbers;
on SQLite the transaction holds the database's write lock, so no other connection could
write them either), and the cache is per process unless Redis is configured. The web
process and the worker share the stored upload's folder anyway, so its neighbour is
visible to both, on every database and cache. When the import commits, the row says "done"
with its report and numbers, in the import's own transaction.
"""

import contextlib
import json
import logging
import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from delivery import outbox
from transfer.importing import ImportFailed, import_blogs
from transfer.models import ImportRun, SourceRecord
from transfer.uploads import read_blogs
from transfer.xmlfile import BadFile, read_upload

logger = logging.getLogger(__name__)

# The progress file is rewritten at most this often (each write replaces a file).
PROGRESS_EVERY_SECONDS = 0.5


def may_import(user):
    """An import can change every post and user: superusers only."""
    return user.is_active and user.is_superuser


def upload_root():
    return Path(settings.TRANSFER_UPLOAD_ROOT)


def queue(upload, *, platform="", dry_run=False, recover=False, fetch_media=False, by=None):
    """Check an UploadedFile, store it and queue its import; returns the waiting ImportRun.

    Raises BadFile (nothing stored, nothing queued) when the file cannot be imported, and
    NotStored when this server cannot keep it for the worker.
    """
    from transfer.tasks import run_import

    name = upload.name
    data = read_upload(upload, name=name)
    platform, blogs = read_blogs(data, name=name, platform=platform, recover=recover)
    stored = f"{uuid.uuid4().hex}.upload"
    path = upload_root() / stored
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_bytes(data)
        path.chmod(0o600)
    except OSError as error:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        logger.error("Could not store an import's upload in %s: %s", path.parent, error)
        raise NotStored(f"The file could not be kept for the import ({error.strerror or error}; "
                        "see TRANSFER_UPLOAD_ROOT).") from error
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                platform=platform, file_name=name[:255], imported_by=by, status=ImportRun.Status.WAITING,
                dry_run=dry_run, recover=recover, fetch_media=fetch_media, upload=stored,
                total=sum(len(b.posts) + len(b.pages) + len(b.comments) for b in blogs),
            )
            # With a due time, as deliveries are queued: the worker takes tasks by run_after,
            # and one without it would wait behind every delivery's retry.
            run_import.using(run_after=run.imported_at).enqueue(run.pk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return run


def perform(run_id, *, worker_id=""):
    """Run a queued import (the task's body): "done", "failed", or "nothing to do" when
    another worker took it or it has ended."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.WAITING).update(
        status=ImportRun.Status.RUNNING, started_at=timezone.now(), worker_id=worker_id
    )
    if not claimed:
        return "nothing to do"
    run = ImportRun.objects.select_related("imported_by").get(pk=run_id)
    path = upload_root() / run.upload
    try:
        data = path.read_bytes()
        platform, blogs = read_blogs(data, name=run.file_name, platform=run.platform, recover=run.recover)
        import_blogs(
            blogs, platform=platform, file_name=run.file_name, dry_run=run.dry_run, by=run.imported_by,
            fetch_media=run.fetch_media and platform != SourceRecord.Platform.DISQUS,
            run=run, on_progress=ProgressFile(run),
        )
    except OSError as error:
        return _failed(run, f"The uploaded file could not be read ({error.strerror or error}): upload it again.")
    except (BadFile, ImportFailed) as error:
        return _failed(run, f"{error} Nothing was imported.")
    except Exception as error:
        logger.exception("Import %s failed", run.pk)
        return _failed(run, f"The import stopped on an error, so nothing was saved: {type(error).__name__}: {error}")
    finally:
        _forget_files(run)
    return "done"


def _failed(run, message):
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.FAILED, error=message, finished_at=timezone.now(), upload=""
    )
    return "failed"


def _forget_files(run):
    if run.upload:
        (upload_root() / run.upload).unlink(missing_ok=True)
        progress_path(run).unlink(missing_ok=True)
    ImportRun.objects.filter(pk=run.pk).exclude(upload="").update(upload="")


def progress_path(run):
    return upload_root() / f"{Path(run.upload).stem}.progress"


class NotStored(Exception):
    """The upload could not be kept for the worker (TRANSFER_UPLOAD_ROOT is missing or not
    writable): the server's fault, not the file's."""


class ProgressFile:
    """on_progress for import_blogs: (processed, total) in a file any process can read."""

    def __init__(self, run):
        self.path = progress_path(run)
        self.written_at = None

    def __call__(self, processed, total):
        now = time.monotonic()
        if processed < total and self.written_at is not None and now - self.written_at < PROGRESS_EVERY_SECONDS:
            return
        self.written_at = now
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps([processed, total]))
        os.replace(partial, self.path)  # readers see the old numbers or the new, never half


def progress(run):
    """(processed, total) of a run: from its progress file while it runs, else its row."""
    if run.status == ImportRun.Status.RUNNING and run.upload:
        try:
            processed, total = json.loads(progress_path(run).read_text())
            return processed, total
        except (OSError, ValueError):
            pass
    return run.processed, run.total


def lost(run):
    """Whether the worker running `run` has stopped: its transaction died with it, so
    nothing was saved, and the run is marked failed (its stored file deleted)."""
    if run.status != ImportRun.Status.RUNNING or not run.worker_id:
        return False
    if run.worker_id in outbox.live_worker_ids():
        return False
    _failed(run, "The worker stopped while running this import, so nothing was saved: upload the file again.")
    _forget_files(run)
    run.refresh_from_db()
    return True


def worker_running():
    return bool(outbox.live_worker_ids())
