from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from manyi.core.management.commands._common import ManyiCommand


class Command(ManyiCommand):
    help = _(
        "Print a new API token for a user (use it as `Authorization: Bearer <token>`). "
        "Only the token's digest is stored: keep the printed value."
    )
    cli_name = "token"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True, help=_("the user the token acts as"))

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.accounts.models import User
        from manyi.accounts.services import issue_token

        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("No user is called “%(name)s”.") % {"name": options["username"]})
        if not user.is_active:
            raise CommandError(_("This user is deactivated."))
        self.stdout.write(issue_token(user=user))
