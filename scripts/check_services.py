"""Fail fast, with instructions, when PostgreSQL or Redis cannot be reached."""

import os
import sys
from urllib.parse import urlparse

import psycopg2
import redis

HOW_PG = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
HOW_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'


def main() -> int:
    ok = True
    db = urlparse(os.environ["DATABASE_URL"])
    try:
        conn = psycopg2.connect(
            host=db.hostname, port=db.port or 5432, user=db.username or "postgres", dbname="postgres", connect_timeout=3
        )
        # The suite runs on test_<name>; the named database itself is only looked at by
        # `makemigrations --check`, which warns when it is missing: create it once.
        conn.autocommit = True
        name = db.path.lstrip("/")
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
    except psycopg2.OperationalError as exc:
        ok = False
        print(f"无法连接 PostgreSQL ({db.hostname}:{db.port}): {exc}\n请先启动: {HOW_PG}", file=sys.stderr)
    try:
        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        ok = False
        print(f"无法连接 Redis ({os.environ['CELERY_BROKER_URL']}): {exc}\n请先启动: {HOW_REDIS}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
