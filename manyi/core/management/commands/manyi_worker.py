from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from manyi.core.management.commands._common import ManyiCommand


class Command(ManyiCommand):
    help = _(
        "Run the background worker: executes queued tasks (notifications, the SLA sweep) and "
        "enqueues the SLA sweep every minute. Stops cleanly on SIGTERM or Ctrl+C."
    )
    cli_name = "worker"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help=_("seconds to wait when the queue is empty (default: 1)"),
        )
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=60.0,
            help=_("seconds between two SLA sweeps (default: 60)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import logging

        from manyi.core.worker import run_worker

        talk = options["verbosity"] >= 1
        if talk:
            for name in ("django_tasks", "django_tasks_db", "manyi"):
                logging.getLogger(name).setLevel(logging.INFO)
            self.stdout.write(_("Worker started. Press Ctrl+C to stop."))
        run_worker(interval=options["interval"], sweep_interval=options["sweep_interval"])
        if talk:
            self.stdout.write(_("Worker stopped."))
