"""What the `manyi_*` commands share: the `manyi <name>` program name in their help, finding
the organisation to work on, and turning a DomainError into a readable CommandError."""

from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console

from manyi.core.errors import DomainError


class ManyiCommand(BaseCommand):
    #: the name after `manyi` on the command line
    cli_name = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if self.cli_name and prog_name.endswith("manyi"):
            parser.prog = f"manyi {self.cli_name}"
        return parser

    def console(self, *, stderr: bool = False) -> Console:
        """A rich console on the command's own output stream (tests capture it)."""
        wrapper = self.stderr if stderr else self.stdout
        stream = cast(TextIO, getattr(wrapper, "_out", wrapper))
        return Console(file=stream, soft_wrap=True, highlight=False)


def domain_error(e: DomainError) -> CommandError:
    lines = [
        f"{field}: {message}" if field != "__all__" else message
        for field, messages in e.as_fields().items()
        for message in messages
    ]
    return CommandError("\n".join(lines) or str(e))


def organisation_named(name: str | None) -> Any:
    """The organisation called `name`; without a name, the only one there is."""
    from manyi.accounts.models import Organisation

    if name:
        org = Organisation.objects.filter(name=name).first()
        if org is None:
            raise CommandError(_("No organisation is called “%(name)s”.") % {"name": name})
        return org
    orgs = list(Organisation.objects.order_by("id")[:2])
    if not orgs:
        raise CommandError(_("There is no organisation yet: run `manyi createorg` first."))
    if len(orgs) > 1:
        raise CommandError(_("There are several organisations: say which one with --org."))
    return orgs[0]
