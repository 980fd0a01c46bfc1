"""Build the peer's database: one post per size with the shared thread shape.

Run with the peer's virtualenv: bench/.work/peer-venv/bin/python bench/peer/load.py
Prints the post URLs as JSON, {"10": "/posts/comments-10/", ...}.
"""

import json
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django_comments_xtd.models import XtdComment  # noqa: E402

from peerblog.models import Post  # noqa: E402
from threadshape import POST_BODY, POST_TITLE, SIZES, thread_shape  # noqa: E402

START = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)


def main():
    call_command("migrate", verbosity=0, interactive=False)
    urls = {}
    for size in SIZES:
        slug = f"comments-{size}"
        post = Post.objects.filter(slug=slug).first()
        if post is None or XtdComment.objects.filter(object_pk=str(post.pk)).count() != size:
            if post is not None:
                XtdComment.objects.filter(object_pk=str(post.pk)).delete()
                post.delete()
            with transaction.atomic():
                post = Post.objects.create(
                    title=POST_TITLE.format(count=size), slug=slug, body=POST_BODY, published_at=START
                )
                # xtd keeps its tree fields (thread, level, order) up to date in save():
                # comments are created one by one, parents first, as readers would.
                stored = {}
                for comment in thread_shape(size):
                    parent = stored.get(comment["parent"])
                    stored[comment["index"]] = XtdComment.objects.create(
                        content_object=post,
                        site_id=1,
                        name=comment["name"],
                        email=comment["email"],
                        comment=comment["body"],
                        submit_date=START + timedelta(minutes=comment["minute"]),
                        parent_id=parent.pk if parent else 0,
                        is_public=True,
                    )
        urls[str(size)] = post.get_absolute_url()
    print(json.dumps(urls))


if __name__ == "__main__":
    main()
