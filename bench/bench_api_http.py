"""The HTTP side of bench/bench_api.py: gunicorn as in production, wrk as the load, and a
check that other programs leave the (shared) CPUs alone before each run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk" / "manyi.lua"


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """`gunicorn config.wsgi -w N` on 127.0.0.1:port, DEBUG off, persistent connections."""
    env = dict(os.environ, MANYI_DEBUG="0", MANYI_CONN_MAX_AGE="60")
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    sys.exit(f"gunicorn did not start; see {log}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def busy(seconds: float = 1.0) -> float:
    """The share of CPU time the machine spent working over `seconds` (/proc/stat)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    w0, t0 = sample()
    time.sleep(seconds)
    w1, t1 = sample()
    return (w1 - w0) / max(1, t1 - t0)


def wait_for_quiet(limit: float, patience: int) -> float:
    """Wait (at most `patience` seconds) until other programs leave the CPUs mostly idle: the
    machine is shared, and a test suite running alongside halves every figure. Returns the
    last busy share seen."""
    deadline = time.monotonic() + patience
    share = busy()
    while share > limit and time.monotonic() < deadline:
        time.sleep(4)
        share = busy()
    return share


def run_wrk(
    port: int, variables: dict[str, str], *, threads: int, conns: int, seconds: int
) -> dict[str, Any]:
    """One wrk run of bench/wrk/manyi.lua configured by `variables` (WRK_PATH, …): counts and
    latency percentiles (ms), requests per second, and the load average at its end."""
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s"]
    out = subprocess.run(
        [*cmd, str(LUA), f"http://127.0.0.1:{port}"],
        env=dict(os.environ, **variables),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    m = re.search(r"WRK_JSON (\{.*\})", out)
    assert m, out
    r: dict[str, Any] = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["load"] = os.getloadavg()[0]
    return r
