"""The import's task (transfer/runs.py), queued by the admin's upload page."""

from delivery.tasks import task
from transfer import runs


@task(takes_context=True)
def run_import(context, run_id):
    worker_ids = context.task_result.worker_ids
    return runs.perform(run_id, worker_id=worker_ids[-1] if worker_ids else "")
