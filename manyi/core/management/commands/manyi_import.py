from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser, DjangoHelpFormatter
from django.utils.translation import gettext as _
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from manyi.core.errors import DomainError
from manyi.core.management.commands._common import (
    ManyiCommand,
    domain_error,
    organisation_named,
)

SHOWN_ERRORS = 50


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _epilog() -> str:
    from manyi.core.imports import CASE_COLUMNS, CUSTOMER_COLUMNS, columns_help
    from manyi.core.imports.responses import RESPONSE_COLUMNS
    from manyi.core.imports.transactions import TRANSACTION_COLUMNS
    from manyi.core.imports.volumes import VOLUME_COLUMNS

    return "\n".join(
        [
            _("Columns of a customers file (* required; Chinese headers in place of the names):"),
            columns_help(CUSTOMER_COLUMNS),
            "",
            _("Columns of a cases file:"),
            columns_help(CASE_COLUMNS),
            "",
            _(
                "Columns of a survey responses file (--survey ID): one column per question, "
                "named by the question's import column, key, or Chinese or English text. "
                "Scales and NPS: whole numbers (the question's N/A code: not answered); "
                "choices: the option's value or label, several separated by ; or 、; Kano: "
                "functional/dysfunctional (like, must_be, neutral, live_with, dislike or "
                "喜欢/理应如此/无所谓/能忍受/不喜欢); SERVQUAL: expectation/perception (6/5). "
                "Optional columns:"
            ),
            columns_help(RESPONSE_COLUMNS),
            _(
                "Imported answers never open a close-the-loop case. --create-template airline "
                "installs and publishes the airline survey and imports into it."
            ),
            "",
            _("Columns of a transactions file (service orders, purchases, visits):"),
            columns_help(TRANSACTION_COLUMNS),
            _(
                "A reference already imported is a bad row: importing the same file twice is "
                "refused. Without references nothing can tell a file imported twice."
            ),
            "",
            _("Columns of a store volumes file (services per store and month):"),
            columns_help(VOLUME_COLUMNS),
            _("A store and month imported before is replaced by the file's count."),
            "",
            _(
                "An incident event log (incidents; .csv or a .zip holding one): ServiceNow's "
                "export, one row per update of an incident (number, ident_state or "
                "incident_state, sys_updated_at, reopen_count, made_sla, caller_id, opened_at, "
                "contact_type, category, priority, assigned_to, resolved_at, closed_at; times "
                "d/m/yyyy hh:mm, read as the store's local time). Each incident becomes a case "
                "INC<number> of --store with its status history and SLA clocks; an incident "
                "imported before is a bad row."
            ),
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
    help = _(
        "Import customers, complaint cases, survey answers, transactions or monthly store "
        "volumes from a .csv or .xlsx file."
    )
    cli_name = "import"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs["formatter_class"] = _Formatter
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = _epilog()
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind",
            choices=["customers", "cases", "responses", "transactions", "volumes", "incidents"],
            help=_("what the file holds"),
        )
        parser.add_argument(
            "file", type=Path, help=_(".csv or .xlsx file (incidents: .csv or .zip)")
        )
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
        parser.add_argument(
            "--store",
            help=_(
                "customers, responses: store code for rows without one; incidents: the store "
                "the cases belong to (needed if there are several)"
            ),
        )
        parser.add_argument("--survey", type=int, help=_("responses: id of the survey"))
        parser.add_argument(
            "--create-template",
            metavar="TEMPLATE",
            help=_(
                "responses: first install and publish this survey template (e.g. airline) "
                "and import into it; prints the new survey's id"
            ),
        )
        parser.add_argument(
            "--submitted-at",
            help=_("responses: when rows without a submitted_at column were answered"),
        )
        parser.add_argument(
            "--mode",
            choices=["import", "phone"],
            default="import",
            help=_("responses: mark the answers as imported (default) or as phone interviews"),
        )
        parser.add_argument(
            "--as",
            dest="actor",
            help=_("user name the import is done as (default: the organisation's first admin)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.accounts.choices import Role
        from manyi.accounts.models import Store, User
        from manyi.core.imports import error_report_path, write_error_report

        kind = options["kind"]
        org = organisation_named(options["org"])
        users = User.objects.filter(organisation=org, is_active=True)
        if options["actor"]:
            actor = users.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(_("No active staff member has this user name."))
        else:
            actor = users.filter(role=Role.ORG_ADMIN).order_by("id").first()
            if actor is None and kind in ("cases", "responses"):
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

            result = self._import(kind, org, actor, store, path, options, progress)
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
        kinds = {
            "customers": _("customers"),
            "cases": _("cases"),
            "responses": _("answers"),
            "transactions": _("transactions"),
            "volumes": _("monthly store volumes"),
            "incidents": _("incidents"),
        }
        counts = {
            "rows": result.rows,
            "bad": result.bad_rows,
            "imported": result.imported,
            "kind": kinds[kind],
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
        if kind == "responses" and result.imported:
            console.print(_("Imported answers open no close-the-loop cases (they are history)."))
        if kind == "volumes" and result.replaced:
            console.print(
                _("%(n)d of them replaced the count imported before for that store and month.")
                % {"n": result.replaced}
            )

    def _import(
        self,
        kind: str,
        org: Any,
        actor: Any,
        store: Any,
        path: Path,
        options: dict[str, Any],
        progress: Any,
    ) -> Any:
        from manyi.core.imports import ImportFileError, import_cases, import_customers
        from manyi.core.imports.transactions import import_transactions
        from manyi.core.imports.volumes import import_volumes

        try:
            if kind == "customers":
                return import_customers(
                    path=path,
                    organisation=org,
                    actor=actor,
                    default_store=store,
                    skip_bad_rows=options["skip_bad_rows"],
                    progress=progress,
                )
            if kind == "cases":
                assert actor is not None
                return import_cases(
                    path=path,
                    organisation=org,
                    actor=actor,
                    skip_bad_rows=options["skip_bad_rows"],
                    progress=progress,
                )
            if kind == "incidents":
                return self._import_incidents(org, actor, store, path, options, progress)
            if kind in ("transactions", "volumes"):
                importer = import_transactions if kind == "transactions" else import_volumes
                return importer(
                    path=path,
                    organisation=org,
                    actor=actor,
                    skip_bad_rows=options["skip_bad_rows"],
                    progress=progress,
                )
            return self._import_responses(org, actor, store, path, options, progress)
        except ImportFileError as e:
            raise CommandError(str(e)) from e
        except DomainError as e:
            raise domain_error(e) from e

    def _import_incidents(
        self,
        org: Any,
        actor: Any,
        store: Any,
        path: Path,
        options: dict[str, Any],
        progress: Any,
    ) -> Any:
        from manyi.accounts.models import Store
        from manyi.core.imports.incidents import import_incidents

        if store is None:
            stores = list(Store.objects.filter(organisation=org).order_by("id")[:2])
            if len(stores) != 1:
                raise CommandError(_("Say which store the incidents belong to with --store."))
            store = stores[0]
        return import_incidents(
            path=path,
            organisation=org,
            store=store,
            actor=actor,
            skip_bad_rows=options["skip_bad_rows"],
            progress=progress,
        )

    def _import_responses(
        self,
        org: Any,
        actor: Any,
        store: Any,
        path: Path,
        options: dict[str, Any],
        progress: Any,
    ) -> Any:
        from django.db import transaction

        from manyi.core.imports import parse
        from manyi.core.imports.responses import import_responses
        from manyi.surveys import library
        from manyi.surveys.models import Survey
        from manyi.surveys.services import install_template

        survey_id, template = options["survey"], options["create_template"]
        if (survey_id is None) == (template is None):
            raise CommandError(_("Give either --survey ID or --create-template TEMPLATE."))
        if template is not None and library.template(template) is None:
            raise CommandError(
                _("Unknown template; one of: %(keys)s.")
                % {"keys": ", ".join(t.key for t in library.templates())}
            )
        submitted_at = None
        if options["submitted_at"]:
            try:
                submitted_at = parse.datetime(options["submitted_at"])
            except parse.BadCell as e:
                raise CommandError(f"--submitted-at: {e}") from e
        # A survey made for this import goes away again when nothing is imported.
        with transaction.atomic():
            if template is not None:
                survey = install_template(actor=actor, template_key=template)
                self.console().print(
                    _("Survey %(id)d “%(name)s” created and published.")
                    % {"id": survey.pk, "name": survey.name_zh}
                )
            else:
                found = (
                    Survey.objects.filter(organisation=org, pk=survey_id)
                    .select_related("current_version")
                    .first()
                )
                if found is None:
                    raise CommandError(_("No survey of the organisation has this id."))
                survey = found
            result = import_responses(
                path=path,
                survey=survey,
                actor=actor,
                default_store=store,
                submitted_at=submitted_at,
                mode=options["mode"],
                skip_bad_rows=options["skip_bad_rows"],
                progress=progress,
            )
            if template is not None and result.errors and not options["skip_bad_rows"]:
                transaction.set_rollback(True)
                self.console().print(_("The survey was not kept."))
        return result
