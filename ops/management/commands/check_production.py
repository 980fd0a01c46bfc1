from django.core.checks import ERROR
from django.core.management.base import BaseCommand, CommandError

from ops.checks import production_problems


class Command(BaseCommand):
    help = (
        "Refuse an unsafe production configuration: Django's deployment checks, then ours "
        "(debug off, a secret key, PostgreSQL unless SQLite is chosen explicitly, allowed hosts)."
    )
    requires_system_checks = []

    def handle(self, *args, **options):
        self.check(include_deployment_checks=True, fail_level=ERROR, display_num_errors=False)
        problems = production_problems()
        for problem in problems:
            style = self.style.ERROR if problem.is_serious() else self.style.WARNING
            self.stderr.write(style(f"{problem.id}: {problem.msg}\n    HINT: {problem.hint}"))
        errors = [problem for problem in problems if problem.is_serious()]
        if errors:
            raise CommandError(
                f"Refusing to serve: {len(errors)} unsafe setting(s) above. "
                "docs/DEPLOY.md lists what production needs."
            )
        self.stdout.write(self.style.SUCCESS("Production configuration is safe to serve."))
