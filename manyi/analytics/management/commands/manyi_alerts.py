from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from rich.table import Table

from manyi.core.management.commands._common import ManyiCommand, organisation_named


class Command(ManyiCommand):
    help = _(
        "Early warning: `sweep` looks for out-of-control complaint rates now and raises the "
        "alerts (at most one per signal; the worker does it every hour); `list` prints the "
        "open and acknowledged alerts."
    )
    cli_name = "alerts"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sweep", "list"], help=_("what to do"))
        parser.add_argument("--org", help=_("organisation name (needed if there are several)"))

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.analytics.alerts import sweep_alerts
        from manyi.analytics.choices import AlertState
        from manyi.analytics.models import Alert

        console = self.console()
        org = organisation_named(options["org"]) if options["org"] else None
        if options["action"] == "sweep":
            result = sweep_alerts(organisation=org)
            console.print(
                _(
                    "%(orgs)d organisations, %(series)d series: %(raised)d alerts raised, "
                    "%(updated)d updated, %(emails)d emails queued."
                )
                % {
                    "orgs": result["organisations"],
                    "series": result["series"],
                    "raised": len(result["raised"]),
                    "updated": len(result["updated"]),
                    "emails": result["emails"],
                }
            )
            ids = result["raised"]
        else:
            org = org or organisation_named(None)
            ids = list(
                Alert.objects.filter(
                    organisation=org, state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED]
                ).values_list("pk", flat=True)
            )
            if not ids:
                console.print(_("%(org)s: no open alerts.") % {"org": org.name})
                return
        if not ids:
            return
        alerts = Alert.objects.filter(pk__in=ids).select_related("store", "category")
        table = Table(title=_("Alerts"))
        table.add_column(_("id"), justify="right")
        table.add_column(_("store · category"))
        table.add_column(_("signal"), no_wrap=True)
        table.add_column(_("points"), justify="right")
        table.add_column(_("rate / centre / limit"), justify="right", no_wrap=True)
        table.add_column(_("state"))
        for a in alerts.order_by("-created_at", "-pk"):
            category = a.category.name() if a.category else _("all categories")
            table.add_row(
                str(a.pk),
                f"{a.store.name} · {category}",
                f"{a.signal_start.isoformat()} – {a.last_period.isoformat()}",
                str(a.points),
                f"{a.rate:.2f} / {a.centre:.2f} / {a.limit:.2f}",
                a.get_state_display(),
            )
        console.print(table)
