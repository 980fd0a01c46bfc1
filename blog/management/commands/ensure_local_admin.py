"""Create a local superuser with a random password the first time, and say how to log in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the local admin account with a random password if no superuser exists yet."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        admin_url = f"{settings.SITE_URL}/admin/"
        existing = User.objects.filter(is_superuser=True).order_by("pk").first()
        if existing:
            self.stdout.write(
                f"Admin: log in at {admin_url} as '{existing.get_username()}'. "
                f"Forgot the password? Run: .venv/bin/python manage.py changepassword "
                f"{existing.get_username()}"
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS(
            f"\nCreated the admin account. Log in at {admin_url}\n"
            f"    username: {username}\n"
            f"    password: {password}\n"
            "This password is shown only once; change it with "
            f".venv/bin/python manage.py changepassword {username}\n"
        ))
