from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from manyi.core.errors import DomainError
from manyi.core.management.commands._common import ManyiCommand, domain_error


class Command(ManyiCommand):
    help = _("Create an organisation (tenant) with its default settings and first admin.")
    cli_name = "createorg"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help=_("name of the organisation"))
        parser.add_argument("--admin-username", required=True, help=_("user name of its admin"))
        parser.add_argument(
            "--admin-password", required=True, help=_("password of its admin (8+ characters)")
        )
        parser.add_argument(
            "--case-prefix", default="TS", help=_("prefix of case numbers (default: TS)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.accounts.services import create_organisation

        try:
            org, admin = create_organisation(
                name=options["name"],
                admin_username=options["admin_username"],
                admin_password=options["admin_password"],
                case_prefix=options["case_prefix"],
            )
        except DomainError as e:
            raise domain_error(e) from e
        self.stdout.write(
            _("Created organisation “%(org)s” (id %(id)d) with admin %(admin)s.")
            % {"org": org.name, "id": org.pk, "admin": admin.username}
        )
