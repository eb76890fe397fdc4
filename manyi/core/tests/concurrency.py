"""Scaffolding of the PostgreSQL concurrency tests: workers that start at the same moment, and
a worker in its own process that is killed in the middle of its work.

Each worker is a thread with its own database connection (Django opens one per thread, and the
worker closes it when done); a Barrier starts them together. SQLite serialises writers, so
there is nothing to race there: mark such tests with `needs_row_locks`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.conf import settings
from django.db import connection, connections

T = TypeVar("T")

needs_row_locks = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks"
)


def run_at_once(work: Callable[[], T], n: int) -> list[T]:
    """Run `work` in `n` threads released together; return their results in thread order.

    Fails the calling test with every exception the workers raised.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work()
        except BaseException as e:  # reported by the test thread
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def run_script(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `script` (Python source) in a fresh interpreter connected to the test database;
    its output is captured as text."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", script, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_for_backend_to_end(pid: int) -> None:
    """PostgreSQL rolls a dead client's transaction back when it notices the socket closed."""
    for _ in range(200):
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cur.fetchone()[0] == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the killed worker's session is still there")
