"""The Alibaba Cloud and Tencent Cloud adapters, on the vendors' real SDKs, against a local
HTTP server of ours on 127.0.0.1 that speaks each vendor's request format: the request the
SDK sends (action, version, signature fields, phone, sign name, template id, parameters) is
checked, and the vendor's answers (OK, refusal) come back through the SDK. Offline."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

import pytest

from applications.sms import AliyunSmsBackend, SmsError, TencentSmsBackend


class Gateway:
    """A one-port HTTP server; records each request and answers with ``self.reply``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.reply: tuple[int, dict] = (200, {})
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                gateway.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                status, payload = gateway.reply
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


@pytest.fixture
def sms_settings(settings):
    settings.SMS_GATEWAY_PROTOCOL = "http"
    settings.SMS_SIGN_NAME = "济南市总工会"
    settings.SMS_TEMPLATES = {"code": "SMS_800001", "notice": "SMS_800009"}
    return settings


def _acs3_signature(req, secret: str) -> str:
    """Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256), computed here from the request."""
    headers = req["headers"]
    signed = req["headers"]["authorization"].split("SignedHeaders=")[1].split(",")[0]
    pairs = sorted(parse_qs(urlparse(req["path"]).query, keep_blank_values=True).items())
    query = "&".join(f"{quote(k, safe='~')}={quote(v[0], safe='~')}" for k, v in pairs)
    canonical_headers = "".join(f"{h}:{headers[h].strip()}\n" for h in signed.split(";"))
    canonical = "\n".join(["POST", "/", query, canonical_headers, signed, headers["x-acs-content-sha256"]])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def test_aliyun_sends_a_signed_sendsms_request(gateway, sms_settings):
    sms_settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-test-id"
    sms_settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
    sms_settings.SMS_ALIYUN_ENDPOINT = gateway.endpoint
    gateway.reply = (200, {"Code": "OK", "Message": "OK", "BizId": "9001^0", "RequestId": "R-1"})
    AliyunSmsBackend().send("13800000001", template="code", params={"code": "246810", "minutes": 5})
    (req,) = gateway.requests
    headers = req["headers"]
    fields = {k: v[0] for k, v in parse_qs(urlparse(req["path"]).query).items()}
    assert headers["x-acs-action"] == "SendSms" and headers["x-acs-version"] == "2017-05-25"
    assert fields["PhoneNumbers"] == "13800000001"
    assert fields["SignName"] == "济南市总工会" and fields["TemplateCode"] == "SMS_800001"
    assert json.loads(fields["TemplateParam"]) == {"code": "246810", "minutes": 5}
    assert headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI-test-id,")
    assert headers["authorization"].endswith("Signature=" + _acs3_signature(req, "test-secret"))


def test_aliyun_refusal_is_an_sms_error(gateway, sms_settings):
    sms_settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-test-id"
    sms_settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
    sms_settings.SMS_ALIYUN_ENDPOINT = gateway.endpoint
    gateway.reply = (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控", "RequestId": "R-2"})
    with pytest.raises(SmsError, match="BUSINESS_LIMIT_CONTROL"):
        AliyunSmsBackend().send("13800000001", "您的申请已通过")


def _tc3_signature(req, secret_key: str, service: str = "sms") -> str:
    """Tencent's TC3-HMAC-SHA256, computed here from the request as received."""
    headers = req["headers"]
    auth = headers["authorization"]
    signed_headers = auth.split("SignedHeaders=")[1].split(",")[0]
    scope = auth.split("Credential=")[1].split(",")[0].split("/", 1)[1]
    date = scope.split("/")[0]
    canonical_headers = "".join(
        f"{h}:{headers[h].lower() if h == 'host' else headers[h]}\n" for h in signed_headers.split(";")
    )
    canonical = "\n".join(
        ["POST", "/", "", canonical_headers, signed_headers, hashlib.sha256(req["body"].encode()).hexdigest()]
    )
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", headers["x-tc-timestamp"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = h(h(h(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_tencent_sends_a_tc3_signed_sendsms_request(gateway, sms_settings):
    sms_settings.SMS_TENCENT_SECRET_ID = "AKID-test"
    sms_settings.SMS_TENCENT_SECRET_KEY = "tencent-secret"
    sms_settings.SMS_TENCENT_APP_ID = "1400000001"
    sms_settings.SMS_TENCENT_ENDPOINT = gateway.endpoint
    gateway.reply = (
        200,
        {"Response": {"SendStatusSet": [{"Code": "Ok", "PhoneNumber": "+8613800000002"}], "RequestId": "T-1"}},
    )
    TencentSmsBackend().send("13800000002", template="code", params={"code": "135790", "minutes": 5})
    (req,) = gateway.requests
    headers, body = req["headers"], json.loads(req["body"])
    assert headers["x-tc-action"] == "SendSms" and headers["x-tc-version"] == "2021-01-11"
    assert body == {
        "PhoneNumberSet": ["+8613800000002"],
        "SmsSdkAppId": "1400000001",
        "SignName": "济南市总工会",
        "TemplateId": "SMS_800001",
        "TemplateParamSet": ["135790", "5"],
    }
    assert headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=AKID-test/")
    assert headers["authorization"].endswith("Signature=" + _tc3_signature(req, "tencent-secret"))


def test_tencent_refusal_is_an_sms_error(gateway, sms_settings):
    sms_settings.SMS_TENCENT_SECRET_ID = "AKID-test"
    sms_settings.SMS_TENCENT_SECRET_KEY = "tencent-secret"
    sms_settings.SMS_TENCENT_APP_ID = "1400000001"
    sms_settings.SMS_TENCENT_ENDPOINT = gateway.endpoint
    gateway.reply = (
        200,
        {
            "Response": {
                "SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "日上限"}],
                "RequestId": "T-2",
            }
        },
    )
    with pytest.raises(SmsError, match="PhoneNumberDailyLimit"):
        TencentSmsBackend().send("13800000002", "您的申请已通过")


def test_a_template_without_an_id_is_refused_before_sending(gateway, sms_settings):
    sms_settings.SMS_TEMPLATES = {}
    sms_settings.SMS_TENCENT_SECRET_ID = "AKID-test"
    sms_settings.SMS_TENCENT_SECRET_KEY = "tencent-secret"
    sms_settings.SMS_TENCENT_ENDPOINT = gateway.endpoint
    with pytest.raises(SmsError, match="template id"):
        TencentSmsBackend().send("13800000002", "x")
    assert gateway.requests == []
