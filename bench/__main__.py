"""``make bench``: run the benchmarks against a dedicated PostgreSQL database.

Each ``bench/bench_*.py`` module defines ``run(scale: float) -> dict[str, object]`` and
returns its figures; this runner prints them and writes ``bench/out/results.json``.
``--only NAME`` runs one module; ``--scale 0.1`` shrinks every workload (for a quick look).
"""

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


# Its own database, kept between runs; BENCH_DATABASE_NAME lets two checkouts bench side by side.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "qiuxue_bench")


def _bench_database_url() -> str:
    url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qiuxue"))
    return urlunparse(url._replace(path=f"/{BENCH_DATABASE}"))


def _ensure_database(url: str, *, fresh: bool = False) -> None:
    import psycopg2

    parsed = urlparse(url)
    conn = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        if fresh:
            cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    conn.close()


def _migrate(url: str) -> None:
    """The bench data is kept between runs; a database migrated by another line of history
    (renumbered migrations) cannot be migrated forward, so it is rebuilt from scratch."""
    from django.core.management import call_command
    from django.db import connections
    from django.db.migrations.exceptions import InconsistentMigrationHistory

    try:
        call_command("migrate", verbosity=0)
    except InconsistentMigrationHistory as exc:
        print(f"bench database rebuilt: {exc}", flush=True)
        connections.close_all()
        _ensure_database(url, fresh=True)
        call_command("migrate", verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = _bench_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiuxue.settings")
    _ensure_database(os.environ["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    _migrate(os.environ["DATABASE_URL"])

    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    results: dict[str, dict] = {}
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        figures = module.run(scale=args.scale)
        figures["wall_s_total"] = round(time.perf_counter() - started, 2)
        for key, value in figures.items():
            print(f"  {key}: {value}", flush=True)
        results[name] = figures
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    if not names:
        print("no benchmarks yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
