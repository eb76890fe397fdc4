from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from rich.table import Table

from manyi.core.management.commands._common import ManyiCommand, organisation_named


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise CommandError(_("Enter a date as YYYY-MM-DD.")) from e


class Command(ManyiCommand):
    help = _(
        "Follow-up calls (回访): `due` prints the calls to make on a day per person, with how "
        "many are overdue, unreturned phone messages and the next customer to call."
    )
    cli_name = "followups"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["due"], help=_("what to show"))
        parser.add_argument("--date", help=_("the day (YYYY-MM-DD; default today)"))
        parser.add_argument("--org", help=_("organisation name (needed if there are several)"))

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.followups.selectors import calls_due

        org = organisation_named(options["org"])
        now = timezone.now()
        day = _date(options["date"]) if options["date"] else timezone.localdate(now)
        people = calls_due(org.pk, day, now=now)
        console = self.console()
        if not people:
            console.print(
                _("%(org)s: no follow-up calls or messages due on %(day)s.")
                % {"org": org.name, "day": day.isoformat()}
            )
            return
        table = Table(
            title=_("Follow-up calls due on %(day)s · %(org)s")
            % {"day": day.isoformat(), "org": org.name}
        )
        table.add_column(_("person"))
        table.add_column(_("store"))
        table.add_column(_("calls"), justify="right")
        table.add_column(_("overdue"), justify="right")
        table.add_column(_("messages"), justify="right")
        table.add_column(_("next customer"))
        table.add_column(_("next due"), no_wrap=True)
        for p in people:
            table.add_row(
                p.name,
                p.store or "—",
                str(p.calls),
                str(p.overdue) if p.overdue else "0",
                str(p.messages),
                p.next_customer or "—",
                timezone.localtime(p.next_due).strftime("%Y-%m-%d %H:%M") if p.next_due else "—",
            )
        table.add_section()
        table.add_row(
            _("total"),
            "",
            str(sum(p.calls for p in people)),
            str(sum(p.overdue for p in people)),
            str(sum(p.messages for p in people)),
            "",
            "",
        )
        console.print(table)
