#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A setting missing or malformed in the environment (DJANGO_SECRET_KEY...): the
        # message says which and what to do; a traceback would only bury it.
        sys.exit(f"Error: {error}")


if __name__ == "__main__":
    main()
