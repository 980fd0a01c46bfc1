"""Load the April 2013 article and its three reader comments. Safe to run any number of times."""

import json
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from blog.models import Post, Tag
from comments.models import Comment
from transfer.models import LegacyURL

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
DEFAULT_SEED = SEED_DIR / "pow-article-2013.json"


class Command(BaseCommand):
    help = "Load the seed article with its comment thread (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_SEED), help="Seed description (JSON).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            seed = json.loads(path.read_text(encoding="utf-8"))
            body = (path.parent / seed["post"]["body_file"]).read_text(encoding="utf-8")
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"Cannot read the seed {path}: {error}") from None

        with transaction.atomic():
            post, created = self.load_post(seed, body)
            added = self.load_comments(post, seed.get("comments", []))
            self.keep_old_url(post, seed["post"].get("legacy_path"))
        state = "created" if created else "already present"
        self.stdout.write(f"Seed post {state}: {post.title} ({post.get_absolute_url()}); "
                          f"{added} comment(s) added.")

    def keep_old_url(self, post, path):
        """The article's Blogger address answers with a 301 to its permalink; a later
        import of the Blogger blog recognises the article by it instead of copying it."""
        if not path:
            return
        old_url, _ = LegacyURL.objects.get_or_create(path=path, defaults={"post": post})
        if old_url.post_id != post.pk:
            self.stderr.write(f"The old URL {path} already leads to another post; left as it is.")

    def load_post(self, seed, body):
        author_fields = seed["author"]
        author, _ = get_user_model().objects.get_or_create(
            username=author_fields["username"],
            defaults={
                "first_name": author_fields.get("first_name", ""),
                "last_name": author_fields.get("last_name", ""),
                "is_active": False,
            },
        )
        if author.has_usable_password():
            author.set_unusable_password()
            author.save(update_fields=["password"])

        fields = seed["post"]
        published_at = datetime.fromisoformat(fields["published_at"])
        post, created = Post.objects.get_or_create(
            slug=fields["slug"],
            published_at=published_at,
            defaults={
                "title": fields["title"],
                "author": author,
                "body": body,
                "status": Post.Status.PUBLISHED,
            },
        )
        if created:
            post.tags.set([Tag.objects.get_or_create(name=name)[0] for name in fields.get("tags", [])])
        return post, created

    def load_comments(self, post, comments):
        by_key = {}
        added = 0
        for fields in comments:
            parent = by_key.get(fields.get("parent"))
            comment, created = Comment.objects.get_or_create(
                post=post,
                parent=parent,
                author_name=fields["author_name"],
                body=fields["body"],
                defaults={"created_at": datetime.fromisoformat(fields["created_at"])},
            )
            if created:
                comment.approve(by=None)
                added += 1
            by_key[fields["key"]] = comment
        return added
