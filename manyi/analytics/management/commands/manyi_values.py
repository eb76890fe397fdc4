from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from rich.table import Table

from manyi.core.management.commands._common import ManyiCommand, organisation_named


class Command(ManyiCommand):
    help = _(
        "Customer value and churn risk: `refresh` fits the BG/NBD and Gamma-Gamma models on the "
        "organisation's transactions and recomputes every customer's value, then prints the fit."
    )
    cli_name = "values"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"], help=_("what to do"))
        parser.add_argument("--org", help=_("organisation name (needed if there are several)"))

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.analytics.value import refresh_customer_values

        org = organisation_named(options["org"])
        started = time.perf_counter()
        fit = refresh_customer_values(organisation=org)
        elapsed = time.perf_counter() - started
        console = self.console()
        table = Table(title=_("Customer value model · %(org)s") % {"org": org.name})
        table.add_column(_("figure"))
        table.add_column(_("value"), justify="right")
        table.add_row(_("customers"), f"{fit.customers:,}")
        table.add_row(_("transactions"), f"{fit.transactions:,}")
        for name in ("r", "alpha", "a", "b"):
            if name in fit.bgnbd:
                table.add_row(f"BG/NBD {name}", f"{fit.bgnbd[name]:.4g}")
        for name in ("p", "q", "v"):
            if name in fit.gamma_gamma:
                table.add_row(f"Gamma-Gamma {name}", f"{fit.gamma_gamma[name]:.4g}")
        table.add_row(_("seconds (refresh)"), f"{fit.seconds:.2f}")
        table.add_row(_("seconds (command)"), f"{elapsed:.2f}")
        console.print(table)
        if fit.error:
            console.print(_("Note: %(error)s") % {"error": fit.error})
