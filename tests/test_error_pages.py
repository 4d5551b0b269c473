"""Error pages a worker on a phone may meet, in Chinese: a dead link, another worker's
application, a form that expired, a server error (rendered with no request at all)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied, server_error

from tests.applications.factories import make_program, make_ready_application, make_tree, make_worker

pytestmark = pytest.mark.django_db


def test_unknown_page_and_another_workers_application_say_so_in_chinese(client):
    tree = make_tree()
    other = make_ready_application(make_worker(tree["shop"]), make_program(tree["city"]))
    me = make_worker(tree["shop"])
    client.force_login(me.user)
    for url in ("/no-such-page/", reverse("applications:detail", args=[other.pk])):
        response = client.get(url)
        assert response.status_code == 404
        body = response.content.decode()
        assert "页面不存在" in body and "返回首页" in body
        assert other.worker.name not in body


def test_expired_form_gets_a_chinese_page_that_says_nothing_was_taken():
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("applications:login"), {"username": "13800000000", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body and "没有被接收" in body


def test_forbidden_and_server_error_pages_in_chinese():
    request = RequestFactory().get("/")
    forbidden = permission_denied(request, PermissionDenied())
    assert forbidden.status_code == 403 and "没有权限" in forbidden.content.decode()
    error = server_error(request)  # rendered without a request context
    assert error.status_code == 500 and "系统繁忙" in error.content.decode()


def test_favicon_and_robots_cost_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        icon = client.get("/favicon.ico")
        robots = client.get("/robots.txt")
    assert icon.status_code == 200 and b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"
    assert robots.status_code == 200 and b"Disallow: /" in b"".join(robots.streaming_content)
