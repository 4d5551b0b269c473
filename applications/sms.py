"""SMS delivery behind one small interface, chosen by ``settings.SMS_BACKEND``.

Every message has a *template* (a key of ``SMS_TEMPLATE_TEXTS``) and its parameters: the
Chinese gateways only send texts from templates approved in advance, so the adapters send
the template id (``settings.SMS_TEMPLATES[key]``) and the parameters, never free text; the
logging and in-memory backends render the same template locally.

- ``LoggingSmsBackend`` (default, demo): logs, masked, to the ``qiuxue.sms`` logger;
- ``LocmemSmsBackend``: keeps messages in ``outbox`` (tests; like Django's locmem email);
- ``AliyunSmsBackend``: Alibaba Cloud 短信服务 through ``alibabacloud-dysmsapi20170525``;
- ``TencentSmsBackend``: Tencent Cloud SMS through ``tencentcloud-sdk-python-sms``.

The endpoints are settings (``SMS_ALIYUN_ENDPOINT``, ``SMS_TENCENT_ENDPOINT``, scheme
``SMS_GATEWAY_PROTOCOL``) so the adapters' tests point the real SDKs at a local server.
"""

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from qiuxue.masking import mask_phone

logger = logging.getLogger("qiuxue.sms")

# The wording of each template, as it must be filed with the gateway (its ${name} / {n}
# placeholders in the same order as the parameters here). Local backends render these.
SMS_TEMPLATE_TEXTS: dict[str, str] = {
    "code": "您的验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
    "registered": "该手机号已注册求学圆梦行动账号，无需再次注册；如忘记密码，请在登录页点“忘记密码”。",
    "not_registered": "该手机号尚未注册求学圆梦行动账号，无法找回密码；如需申请，请先注册。",
    "login_alert": "您的求学圆梦行动账号近期有{count}次密码错误的登录尝试。如非本人操作，请及时修改密码。",
    "notice": "{content}",
}


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    template: str
    params: dict

    @property
    def text(self) -> str:
        return SMS_TEMPLATE_TEXTS[self.template].format(**self.params)


class SmsError(Exception):
    """The gateway refused or failed; the caller may retry."""


class BaseSmsBackend:
    def send(self, phone: str, text: str = "", *, template: str = "notice", params: dict | None = None) -> None:
        """Send one SMS. Callers with free text (the notification outbox) pass ``text``,
        which goes out through the ``notice`` template."""
        self.send_message(SmsMessage(phone=phone, template=template, params=params or {"content": text}))

    def send_message(self, message: SmsMessage) -> None:
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    def send_message(self, message: SmsMessage) -> None:
        # Masked: logs are read by more people than the worker's record is. The code itself
        # is in the text: the demo has no gateway, and the log is where a tester reads it.
        logger.info("SMS to %s: %s", mask_phone(message.phone), message.text, extra={"sms_phone": message.phone})


outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    def send_message(self, message: SmsMessage) -> None:
        outbox.append(message)


def _template_id(template: str) -> str:
    templates = getattr(settings, "SMS_TEMPLATES", {})
    if not templates.get(template):
        raise SmsError(f"SMS_TEMPLATES has no template id for {template!r}")
    return templates[template]


class AliyunSmsBackend(BaseSmsBackend):
    """Alibaba Cloud 短信服务 (Dysmsapi 2017-05-25 SendSms), signed by the SDK with the AccessKey."""

    def __init__(self) -> None:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        self.client = Client(
            Config(
                access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
                access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
                endpoint=settings.SMS_ALIYUN_ENDPOINT,
                protocol=settings.SMS_GATEWAY_PROTOCOL,
                read_timeout=10000,
                connect_timeout=5000,
            )
        )

    def send_message(self, message: SmsMessage) -> None:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        request = SendSmsRequest(
            phone_numbers=message.phone,
            sign_name=settings.SMS_SIGN_NAME,
            template_code=_template_id(message.template),
            template_param=json.dumps(message.params, ensure_ascii=False),
        )
        try:
            response = self.client.send_sms(request)
        except Exception as exc:  # the SDK raises its own TeaException / network errors
            raise SmsError(f"aliyun: {exc}") from exc
        body = response.body
        if body is None or body.code != "OK":
            raise SmsError(f"aliyun: {getattr(body, 'code', None)} {getattr(body, 'message', '')}")


class TencentSmsBackend(BaseSmsBackend):
    """Tencent Cloud SMS (2021-01-11 SendSms), TC3-HMAC-SHA256 signed by the SDK.
    Template parameters go as a list in the order of the template's placeholders."""

    def __init__(self) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(
            protocol=settings.SMS_GATEWAY_PROTOCOL, endpoint=settings.SMS_TENCENT_ENDPOINT, reqTimeout=10
        )
        profile = ClientProfile(httpProfile=http)
        profile.disable_region_breaker = True
        self.client = sms_client.SmsClient(
            credential.Credential(settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY),
            settings.SMS_TENCENT_REGION,
            profile,
        )

    def send_message(self, message: SmsMessage) -> None:
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{message.phone}"]
        request.SmsSdkAppId = settings.SMS_TENCENT_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = _template_id(message.template)
        request.TemplateParamSet = [str(v) for v in message.params.values()]
        try:
            response = self.client.SendSms(request)
        except Exception as exc:  # TencentCloudSDKException or a network error
            raise SmsError(f"tencent: {exc}") from exc
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            first = statuses[0] if statuses else None
            raise SmsError(f"tencent: {getattr(first, 'Code', None)} {getattr(first, 'Message', '')}")


def sms_backend() -> BaseSmsBackend | None:
    path = getattr(settings, "SMS_BACKEND", "")
    return import_string(path)() if path else None
