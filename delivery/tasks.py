"""The queue's task. The only module that names the tasks framework: on Django 6 the
backport's import falls away and `django.tasks` takes over unchanged. Other apps define
their tasks with the `task` decorator imported from here (transfer/tasks.py)."""

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task

from delivery import outbox


@task(takes_context=True)
def deliver(context, delivery_id, ticket):
    worker_ids = context.task_result.worker_ids
    return outbox.attempt(delivery_id, ticket, worker_id=worker_ids[-1] if worker_ids else "")
