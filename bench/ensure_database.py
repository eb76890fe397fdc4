"""Create the PostgreSQL benchmark database named in the URL if it does not exist (used by
`make bench`). Exits non-zero when the server cannot be reached."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import psycopg
from psycopg import sql


def main(url: str) -> int:
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        print(f"refusing a benchmark database whose name lacks 'bench': {name}", file=sys.stderr)
        return 2
    server = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as e:
        print(f"PostgreSQL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
