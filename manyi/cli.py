"""The `manyi` console command: a short front for the project's management commands.

`manyi demo`, `manyi import customers FILE`, ... run the `manyi_*` management commands; any
other Django command (`manyi migrate`, `manyi shell`, `manyi check`) is passed through.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# `manyi <name>` → management command. Our own commands carry a `manyi_` prefix so they never
# clash with Django's or a third-party app's.
COMMANDS: dict[str, str] = {
    "demo": "manyi_demo",
    "serve": "manyi_serve",
    "worker": "manyi_worker",
    "createorg": "manyi_createorg",
    "token": "manyi_token",
    "import": "manyi_import",
    "followups": "manyi_followups",
    "alerts": "manyi_alerts",
    "values": "manyi_values",
    "migrate": "migrate",
}

USAGE = """\
usage: manyi <command> [options]

Manyi (满意): complaint handling, service recovery and satisfaction surveys.

commands:
  demo [--port N] [--no-serve]      migrate, load the demo data, start web server and worker
  serve [--port N] [--workers N]    run the web server (gunicorn)
  worker                            run the background worker and the periodic jobs (SLA
                                    sweep, follow-ups, guarantees, survey rules, early
                                    warning, customer values)
  migrate                           create or update the database tables
  createorg --name NAME --admin-username U --admin-password P
                                    create an organisation and its first admin
  token --username U                print a new API token for a user
  import customers FILE             import customers from .csv or .xlsx
  import cases FILE                 import complaint cases from .csv or .xlsx
  import responses FILE --survey ID [--store CODE] [--submitted-at ISO] [--mode import]
                                    import survey answers (--create-template airline:
                                    install and publish that survey first)
  import transactions FILE          import service orders, purchases and visits (customer,
                                    date, amount, store; a reference imported before is
                                    refused)
  import volumes FILE               import services per store and month (the complaint
                                    rate's denominator; a month imported before is replaced)
  import incidents FILE             import an IT service desk event log (.zip or .csv, the
                                    ServiceNow incident log) as historical cases with their
                                    status history
  alerts sweep [--org NAME]         look for out-of-control complaint rates now and raise
                                    early-warning alerts (the worker does it every hour)
  alerts list [--org NAME]          print the open alerts
  values refresh [--org NAME]       fit the customer value model (BG/NBD + Gamma-Gamma) and
                                    refresh every customer's value and churn risk (the worker
                                    does it every night)
  followups due [--date D] [--org NAME]
                                    print the follow-up calls due per person

Any other Django management command works too (manyi shell, manyi check, ...).
Run `manyi <command> --help` for the options of a command.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0
    if args[0] == "--version":
        from importlib.metadata import PackageNotFoundError, version

        try:
            sys.stdout.write(f"manyi {version('manyi')}\n")
        except PackageNotFoundError:
            sys.stdout.write("manyi (not installed)\n")
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = COMMANDS.get(args[0], args[0])

    from django.core.management import execute_from_command_line

    # prog_name "manyi" makes `--help` read `manyi manyi_import`; our commands override their
    # parser's prog to `manyi import`.
    execute_from_command_line(["manyi", command, *args[1:]])
    return 0


if __name__ == "__main__":  # `python -m manyi.cli worker` (how `manyi demo` starts children)
    sys.exit(main())
