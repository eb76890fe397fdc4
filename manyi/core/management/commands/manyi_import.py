from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser, DjangoHelpFormatter
from django.utils.translation import gettext as _
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from manyi.core.management.commands._common import ManyiCommand, organisation_named

SHOWN_ERRORS = 50


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _epilog() -> str:
    from manyi.core.imports import CASE_COLUMNS, CUSTOMER_COLUMNS, columns_help

    return "\n".join(
        [
            _("Columns of a customers file (* required; Chinese headers in place of the names):"),
            columns_help(CUSTOMER_COLUMNS),
            "",
            _("Columns of a cases file:"),
            columns_help(CASE_COLUMNS),
            "",
            _(
                "CSV files may be UTF-8 (with or without BOM) or GB18030/GBK. The first row "
                "holds the column names. Every row is checked first; if any is bad nothing is "
                "imported (unless --skip-bad-rows) and the bad rows are listed with row "
                "number, column and reason, also in FILE.errors.csv."
            ),
        ]
    )


class Command(ManyiCommand):
    help = _("Import customers or complaint cases from a .csv or .xlsx file.")
    cli_name = "import"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs["formatter_class"] = _Formatter
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = _epilog()
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["customers", "cases"], help=_("what the file holds"))
        parser.add_argument("file", type=Path, help=_(".csv or .xlsx file"))
        parser.add_argument("--org", help=_("organisation name (needed if there are several)"))
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help=_("import the good rows even if some rows are bad"),
        )
        parser.add_argument(
            "--errors",
            type=Path,
            help=_("where to write the error report (default: FILE.errors.csv next to FILE)"),
        )
        parser.add_argument("--store", help=_("customers: store code for rows without one"))
        parser.add_argument(
            "--as",
            dest="actor",
            help=_("user name the import is done as (default: the organisation's first admin)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.accounts.choices import Role
        from manyi.accounts.models import Store, User
        from manyi.core.imports import (
            ImportFileError,
            error_report_path,
            import_cases,
            import_customers,
            write_error_report,
        )

        org = organisation_named(options["org"])
        users = User.objects.filter(organisation=org, is_active=True)
        if options["actor"]:
            actor = users.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(_("No active staff member has this user name."))
        else:
            actor = users.filter(role=Role.ORG_ADMIN).order_by("id").first()
            if actor is None and options["kind"] == "cases":
                raise CommandError(_("The organisation has no admin; use --as USERNAME."))
        store = None
        if options["store"]:
            store = Store.objects.filter(organisation=org, code=options["store"]).first()
            if store is None:
                raise CommandError(_("Unknown store code."))
        path: Path = options["file"]
        console = self.console()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console(stderr=True),
        ) as bar:
            tasks: dict[str, Any] = {}
            labels = {"check": _("Checking"), "write": _("Importing")}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(labels[phase], total=total)
                bar.update(tasks[phase], completed=done, total=total)

            try:
                if options["kind"] == "customers":
                    result = import_customers(
                        path=path,
                        organisation=org,
                        actor=actor,
                        default_store=store,
                        skip_bad_rows=options["skip_bad_rows"],
                        progress=progress,
                    )
                else:
                    assert actor is not None
                    result = import_cases(
                        path=path,
                        organisation=org,
                        actor=actor,
                        skip_bad_rows=options["skip_bad_rows"],
                        progress=progress,
                    )
            except ImportFileError as e:
                raise CommandError(str(e)) from e
        if result.ignored_columns:
            console.print(
                _("Ignored columns: %(cols)s") % {"cols": ", ".join(result.ignored_columns)}
            )
        if result.errors:
            table = Table(_("row"), _("column"), _("value"), _("reason"), title=_("Bad rows"))
            for err in result.errors[:SHOWN_ERRORS]:
                table.add_row(str(err.row), err.column, err.value, err.reason)
            console.print(table)
            if len(result.errors) > SHOWN_ERRORS:
                console.print(
                    _("… and %(n)d more problems.") % {"n": len(result.errors) - SHOWN_ERRORS}
                )
            report = options["errors"] or error_report_path(path)
            write_error_report(result.errors, report)
            console.print(_("Error report: %(path)s") % {"path": report})
        counts = {
            "rows": result.rows,
            "bad": result.bad_rows,
            "imported": result.imported,
            "kind": _("customers") if options["kind"] == "customers" else _("cases"),
        }
        if result.errors and not options["skip_bad_rows"]:
            raise CommandError(
                _(
                    "%(bad)d of %(rows)d rows are bad. Nothing was imported: correct the file, "
                    "or use --skip-bad-rows to import the good rows."
                )
                % counts
            )
        if result.errors:
            console.print(
                _("Imported %(imported)d %(kind)s; skipped %(bad)d bad rows of %(rows)d.") % counts
            )
        else:
            console.print(_("Imported %(imported)d %(kind)s.") % counts)
