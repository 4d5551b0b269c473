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


def _bench_database_url() -> str:
    url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qiuxue"))
    return urlunparse(url._replace(path="/qiuxue_bench"))


def _ensure_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    conn = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'qiuxue_bench'")
        if cur.fetchone() is None:
            cur.execute("CREATE DATABASE qiuxue_bench")
    conn.close()


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
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

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
