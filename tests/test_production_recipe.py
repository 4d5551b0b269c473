"""The production recipe, run: Debian's nginx with deploy/nginx/qiuxue.conf (ports and
paths rewritten into a temporary folder) in front of gunicorn with sync workers, both
started here on loopback and stopped by PID. 50 slow clients trickling their headers do
not stop a normal request (they do when they reach gunicorn directly: the control), and
the client address the login throttle counts is the real one, not a forged header."""

import hashlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.servers import ROOT, free_port, nginx_binary, stop, wait_for_port

DEPLOY = ROOT / "deploy"
SLOW_CLIENTS = 50


def _render(tmp: Path, *, nginx_port: int, app_port: int) -> Path:
    static = tmp / "static"
    static.mkdir()
    (static / "hello.txt").write_text("static ok")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir()
    proxy = (DEPLOY / "nginx" / "qiuxue_proxy.conf").read_text()
    (tmp / "qiuxue_proxy.conf").write_text(proxy)
    site = (DEPLOY / "nginx" / "qiuxue.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
    site = site.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{app_port}")
    site = site.replace("/etc/nginx/qiuxue_proxy.conf", str(tmp / "qiuxue_proxy.conf"))
    site = site.replace("/srv/qiuxue/staticfiles/", f"{static}/")
    (tmp / "site.conf").write_text(site)
    # As root (CI), nginx's workers would drop to "nobody", who cannot read pytest's tmp.
    user = "user root;" if os.geteuid() == 0 else ""
    main = f"""
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""
    (tmp / "nginx.conf").write_text(main)
    return tmp / "nginx.conf"


@pytest.fixture
def recipe(tmp_path, django_db_blocker):
    """gunicorn (2 sync workers) on the test database, nginx in front; both by PID."""
    binary = nginx_binary()
    if binary is None:
        pytest.fail("nginx is missing: `make test` installs Debian's nginx-light (apt-get install nginx-light)")
    db = settings.DATABASES["default"]
    app_port, nginx_port = free_port(), free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "TRUSTED_PROXY_COUNT": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    app = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "qiuxue.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    (tmp_path / "nginx").mkdir()
    conf = _render(tmp_path / "nginx", nginx_port=nginx_port, app_port=app_port)
    check = subprocess.run([binary, "-t", "-c", str(conf), "-p", str(conf.parent)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proxy = subprocess.Popen([binary, "-c", str(conf), "-p", str(conf.parent)], stderr=subprocess.DEVNULL)
    try:
        wait_for_port(app_port, app)
        wait_for_port(nginx_port, proxy)
        yield {"app": app_port, "nginx": nginx_port}
    finally:
        stop(proxy)
        stop(app)
        log.close()


def _get(port: int, path: str, *, timeout: float, source: str = "127.0.0.1", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read(), response
    finally:
        conn.close()


def _slow_clients(port: int, n: int) -> list[socket.socket]:
    """Each opens a request and sends its headers a few bytes at a time, never finishing."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ")
        socks.append(s)
    return socks


def _trickle(socks, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for s in socks:
            try:
                s.send(b"a")
            except OSError:
                pass
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_fifty_slow_clients_do_not_stop_a_normal_request_behind_nginx(recipe):
    assert _get(recipe["nginx"], "/static/hello.txt", timeout=5)[1] == b"static ok"  # served by nginx
    socks = _slow_clients(recipe["nginx"], SLOW_CLIENTS)
    try:
        _trickle(socks, 1.5)
        started = time.monotonic()
        status, body, response = _get(recipe["nginx"], "/login/", timeout=10)
        elapsed = time.monotonic() - started
        assert status == 200 and "登录" in body.decode()
        assert elapsed < 3, elapsed
        assert re.fullmatch(r"[0-9a-f]{32}", response.getheader("X-Request-ID"))
    finally:
        for s in socks:
            s.close()

    # The control: the same trickle straight at gunicorn's two sync workers holds them.
    socks = _slow_clients(recipe["app"], 3)
    try:
        _trickle(socks, 1.0)
        with pytest.raises((TimeoutError, socket.timeout)):
            _get(recipe["app"], "/login/", timeout=3)
    finally:
        for s in socks:
            s.close()


@pytest.mark.django_db(transaction=True)
def test_the_throttle_counts_the_real_client_address_not_a_forged_header(recipe):
    cache = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    real, forged = "127.0.0.2", "203.0.113.9"  # the client binds 127.0.0.2; the header lies

    def key(ip: str) -> str:
        return f":1:login-fail:ip:{hashlib.sha256(ip.encode()).hexdigest()[:32]}"

    cache.delete(key(real), key(forged))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", recipe["nginx"], timeout=10, source_address=(real, 0))
        conn.request("GET", "/login/", headers={"Host": "127.0.0.1"})
        page = conn.getresponse()
        html = page.read().decode()
        cookie = page.getheader("Set-Cookie").split(";", 1)[0]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        body = f"csrfmiddlewaretoken={token}&username=13900009999&password=wrong-password-1"
        conn.request(
            "POST",
            "/login/",
            body=body,
            headers={
                "Host": "127.0.0.1",
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": forged,
            },
        )
        answer = conn.getresponse()
        answer.read()
        conn.close()
        assert answer.status == 200  # the form again, with the error
        assert cache.get(key(real)) is not None
        assert cache.get(key(forged)) is None
    finally:
        cache.delete(key(real), key(forged))


@pytest.mark.django_db(transaction=True)
def test_a_body_over_the_upload_cap_is_refused_by_nginx_in_chinese(recipe):
    conn = http.client.HTTPConnection("127.0.0.1", recipe["nginx"], timeout=10)
    conn.putrequest("POST", "/login/", skip_host=True)
    conn.putheader("Host", "127.0.0.1")
    conn.putheader("Content-Length", str(settings.UPLOAD_MAX_BYTES + 1))
    conn.endheaders()
    answer = conn.getresponse()
    assert answer.status == 413
    assert "文件过大" in answer.read().decode()
    conn.close()


def test_the_recipe_matches_the_settings():
    site = (DEPLOY / "nginx" / "qiuxue.conf").read_text()
    proxy = (DEPLOY / "nginx" / "qiuxue_proxy.conf").read_text()
    cap_mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
    assert f"client_max_body_size {cap_mb}m;" in site
    assert "proxy_request_buffering on;" in proxy and "proxy_buffering on;" in proxy
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in proxy  # one hop: TRUSTED_PROXY_COUNT=1
    for unit in ("qiuxue-web", "qiuxue-worker", "qiuxue-beat"):
        assert (DEPLOY / "systemd" / f"{unit}.service").is_file()
    assert (DEPLOY / "BACKUP.md").is_file()
