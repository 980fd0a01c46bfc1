"""Build our side's benchmark database: one post per size with the shared thread shape.

Run by bench/run.py with our virtualenv and the benchmark's environment. Prints the post
URLs as JSON, {"10": "/2024/01/01/comments-10/", ...}.
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from blog.models import Post  # noqa: E402
from comments.models import Comment  # noqa: E402
from threadshape import POST_BODY, POST_TITLE, SIZES, thread_shape  # noqa: E402

START = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)


def main():
    call_command("migrate", verbosity=0, interactive=False)
    author, _ = get_user_model().objects.get_or_create(
        username="bench-author", defaults={"first_name": "Bench", "last_name": "Author"}
    )
    urls = {}
    for size in SIZES:
        slug = f"comments-{size}"
        post = Post.objects.filter(slug=slug).first()
        if post is None or post.comments.count() != size:
            with transaction.atomic():
                if post is not None:
                    post.delete()
                post = Post.objects.create(
                    title=POST_TITLE.format(count=size), slug=slug, body=POST_BODY,
                    status=Post.Status.PUBLISHED, published_at=START, author=author,
                )
                stored = {}
                for shape in thread_shape(size):
                    comment = Comment(
                        post=post,
                        parent=stored.get(shape["parent"]),
                        author_name=shape["name"],
                        author_email=shape["email"],
                        body=shape["body"],
                        status=Comment.Status.APPROVED,
                        created_at=START + timedelta(minutes=shape["minute"]),
                    )
                    comment.save()  # renders body_html, sets depth
                    stored[shape["index"]] = comment
        urls[str(size)] = post.get_absolute_url()
    print(json.dumps(urls))


if __name__ == "__main__":
    main()
