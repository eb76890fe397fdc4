from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from manyi.core.management.commands._common import ManyiCommand
from manyi.core.management.commands.manyi_serve import gunicorn_argv


def ensure_database_dir() -> None:
    """SQLite cannot create the directory of its file (var/ in a fresh clone)."""
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():  # type: ignore[attr-defined]
        Path(connection.settings_dict["NAME"]).parent.mkdir(parents=True, exist_ok=True)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


class Command(ManyiCommand):
    help = _(
        "Set up and run the demo: migrate the database, load the demo data set (once), start "
        "the web server and the worker, and print the URL, the logins and an API token."
    )
    cli_name = "demo"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help=_("port (default: 8000)"))
        parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
        parser.add_argument(
            "--workers", type=int, default=3, help=_("gunicorn worker processes (default: 3)")
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help=_("load the data and print the logins, then exit"),
        )
        parser.add_argument(
            "--size",
            choices=["full", "small"],
            default="full",
            help=_("size of the demo data set (default: full)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from manyi.accounts.models import Organisation, User
        from manyi.accounts.services import issue_token
        from manyi.core.demo import ADMIN_USERNAME, DEMO_ORG_NAME, load_demo

        console = self.console()
        host, port = options["host"], options["port"]
        serve = not options["no_serve"]
        if serve and not port_free(host, port):
            raise CommandError(
                _("Port %(port)d is in use: stop what runs there or use --port.") % {"port": port}
            )
        ensure_database_dir()
        console.print(_("Preparing the database …"))
        call_command("migrate", interactive=False, verbosity=0)
        if serve:
            call_command("collectstatic", interactive=False, verbosity=0)
        if Organisation.objects.filter(name=DEMO_ORG_NAME).exists():
            result = load_demo(size=options["size"])
        else:
            result = self._load(options["size"])
        if result.created:
            console.print(
                _("Loaded the demo data in %(s).0f s.") % {"s": result.seconds}, highlight=False
            )
        else:
            console.print(_("The demo data is loaded already; nothing was changed."))
        admin = User.objects.get(username=ADMIN_USERNAME, organisation=result.organisation)
        token = issue_token(user=admin)
        if not serve:
            self._banner(result, token, url=None)
            return
        self._run(result, token, host=host, port=port, workers=options["workers"])

    def _load(self, size: str) -> Any:
        from manyi.core.demo import load_demo

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.console(stderr=True),
        ) as bar:
            tasks: dict[str, Any] = {}
            labels = {
                "customers": _("Demo customers"),
                "cases": _("Demo case events"),
                "transactions": _("Demo transactions"),
            }

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
                bar.update(tasks[phase], completed=done, total=total)

            return load_demo(size=size, progress=progress)

    def _banner(self, result: Any, token: str, *, url: str | None) -> None:
        from manyi.accounts.choices import Role
        from manyi.core.demo import DEMO_PASSWORD, STAFF

        console = self.console()
        stores = {s.code: s.name for s in result.organisation.stores.all()}
        table = Table(_("user name"), _("role"), _("store"), _("name"))
        for p in STAFF:
            store = stores.get(p.store or "", _("all stores"))
            table.add_row(p.username, str(Role(p.role).label), store, p.display_name)
        console.print()
        if url:
            console.print(_("Manyi is running at %(url)s") % {"url": url}, style="bold")
        console.print(
            _(
                "%(org)s: %(customers)d customers, %(cases)d cases, %(open)d open, "
                "%(breached)d of them breached."
            )
            % {
                "org": result.organisation.name,
                "customers": result.customers,
                "cases": result.cases,
                "open": result.open_cases,
                "breached": result.breached_open_cases,
            }
        )
        console.print(
            _("%(transactions)d transactions (service orders, visits, purchases) in two years.")
            % {"transactions": result.transactions}
        )
        console.print(
            _("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        console.print(table)
        console.print(_("API token for admin: %(token)s") % {"token": token})
        base = url or settings.MANYI_BASE_URL.rstrip("/") + "/"
        console.print(f'  curl -H "Authorization: Bearer {token}" {base}api/v1/cases')
        if url:
            console.print(_("Emails go to var/mail/, SMS to var/sms.jsonl. Press Ctrl+C to stop."))

    def _run(self, result: Any, token: str, *, host: str, port: int, workers: int) -> None:
        url = f"http://{host}:{port}/"
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        env.setdefault("MANYI_BASE_URL", url.rstrip("/"))
        # Keep the terminal readable: the demo's mail and SMS go to files under var/.
        env.setdefault("MANYI_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
        env.setdefault("MANYI_SMS_BACKEND", "manyi.notifications.sms.FileSmsBackend")
        web_argv = gunicorn_argv(host=host, port=port, workers=workers, access_log=False)
        web_argv += ["--log-level", "warning"]
        worker_argv = [sys.executable, "-m", "manyi.cli", "worker", "--verbosity", "0"]
        children: list[subprocess.Popen[bytes]] = []

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        # Explicit handlers: a shell starts background jobs with SIGINT ignored.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            # Both argv lists are built here from sys.executable and fixed arguments.
            for argv in (web_argv, worker_argv):
                children.append(subprocess.Popen(argv, env=env, cwd=settings.BASE_DIR))  # noqa: S603
            if not wait_for_port(host, port, children[0], timeout=60):
                raise CommandError(_("The web server did not start; see the messages above."))
            self._banner(result, token, url=url)
            while True:
                for child in children:
                    code = child.poll()
                    if code is not None:
                        raise CommandError(
                            _("%(what)s stopped (exit code %(code)d).")
                            % {
                                "what": _("The web server")
                                if child is children[0]
                                else _("The worker"),
                                "code": code,
                            }
                        )
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write(_("Stopping …"))
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
