from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from manyi.core.management.commands._common import ManyiCommand


def gunicorn_argv(*, host: str, port: int, workers: int, access_log: bool = True) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--chdir",
        str(settings.BASE_DIR),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
    ]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv


class Command(ManyiCommand):
    help = _("Run the web server (gunicorn) on the project's WSGI application.")
    cli_name = "serve"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
        parser.add_argument("--port", type=int, default=8000, help=_("port (default: 8000)"))
        parser.add_argument(
            "--workers", type=int, default=3, help=_("gunicorn worker processes (default: 3)")
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help=_("do not collect static files first"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(host=options["host"], port=options["port"], workers=options["workers"])
        self.stdout.write(
            _("Serving on http://%(host)s:%(port)d/")
            % {"host": options["host"], "port": options["port"]}
        )
        self.stdout.flush()
        # gunicorn takes over this process, so signals reach its arbiter directly.
        os.execv(argv[0], argv)  # noqa: S606
