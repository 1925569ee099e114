"""Webhooks (skilljar.md Webhooks, D23): stored and echoed, never called."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.errors import not_found
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    boolean,
    choice,
    request_body,
    string_map,
    text,
    url,
    validate_object,
)
from lmsform.providers.skilljar.emulator.store import SkilljarStore
from lmsform.providers.skilljar.emulator.webhook_store import WebhookRecord

WEBHOOKS_PAGE_SIZE = 100
EVENT_TYPES = (
    "COURSE_COMPLETION",
    "COURSE_ENROLLMENT",
    "DOMAIN_ENROLLMENT",
    "LESSON_COMPLETION",
    "PATH_COMPLETION",
    "PATH_ENROLLMENT",
    "PURCHASE_FULFILLMENT",
    "QUIZ_COMPLETION",
    "VILT_EVENT_REGISTRATION",
    "DASHBOARD_TASK_CREATED",
)
# What a field becomes when a create or a PUT leaves it out.
WEBHOOK_DEFAULTS: Mapping[str, Any] = {
    "active": True,
    "event_type": None,
    "basic_auth_username": "",
    "basic_auth_password": "",
    "additional_headers": {},
}
WEBHOOK_PATCH: Schema = {
    "target_url": Field(url(1024)),
    "active": Field(boolean()),
    "event_type": Field(choice(EVENT_TYPES), nullable=True),
    "basic_auth_username": Field(text()),
    "basic_auth_password": Field(text()),
    "additional_headers": Field(string_map()),
}
# POST and PUT take the same body: PUT is a full replacement here (skilljar.md D15).
WEBHOOK_CREATE: Schema = {**WEBHOOK_PATCH, "target_url": replace(WEBHOOK_PATCH["target_url"], required=True)}
PING_RESULT = {"succeeded": True, "http_status_code": 200, "message": "OK"}


def webhook_json(webhook: WebhookRecord) -> dict[str, Any]:
    """WebHook; the password is echoed, as the spec's schema has it (skilljar.md D23)."""
    return {
        "id": webhook.id,
        "target_url": webhook.target_url,
        "active": webhook.active,
        "deactivate_reason": webhook.deactivate_reason,
        "event_type": webhook.event_type,
        "basic_auth_username": webhook.basic_auth_username,
        "basic_auth_password": webhook.basic_auth_password,
        "additional_headers": webhook.additional_headers,
    }


def add_webhook(store: SkilljarStore, clean: Mapping[str, Any]) -> WebhookRecord:
    """A webhook from a validated WEBHOOK_CREATE body."""
    return store.create_webhook({**WEBHOOK_DEFAULTS, **clean})


class WebhookApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/v1/webhooks", {"GET": self.list_webhooks, "POST": self.create_webhook}),
            (
                "/v1/webhooks/<oid:webhook_id>",
                {
                    "GET": self.get_webhook,
                    "PUT": self.replace_webhook,
                    "PATCH": self.update_webhook,
                    "DELETE": self.delete_webhook,
                },
            ),
            ("/v1/webhooks/<oid:webhook_id>/ping", {"POST": self.ping_webhook}),
        )

    def _webhook(self, webhook_id: str) -> WebhookRecord:
        webhook = self.store.get_webhook(webhook_id)
        if webhook is None:
            raise not_found()
        return webhook

    def list_webhooks(self) -> flask.Response:
        page = self.pager.requested_page(WEBHOOKS_PAGE_SIZE, size_param=False)
        return json_response(self.pager.envelope(page, self.store.list_webhooks(page.window), webhook_json))

    def create_webhook(self) -> flask.Response:
        clean = validate_object(request_body(), WEBHOOK_CREATE)
        return json_response(webhook_json(add_webhook(self.store, clean)), 201)

    def get_webhook(self, webhook_id: str) -> flask.Response:
        return json_response(webhook_json(self._webhook(webhook_id)))

    def replace_webhook(self, webhook_id: str) -> flask.Response:
        self._webhook(webhook_id)
        clean = validate_object(request_body(), WEBHOOK_CREATE)
        return self._updated(webhook_id, {**WEBHOOK_DEFAULTS, **clean})

    def update_webhook(self, webhook_id: str) -> flask.Response:
        self._webhook(webhook_id)
        return self._updated(webhook_id, validate_object(request_body(), WEBHOOK_PATCH))

    def _updated(self, webhook_id: str, changes: Mapping[str, Any]) -> flask.Response:
        updated = read_back(self.store.update_webhook(webhook_id, changes))
        return json_response(webhook_json(updated))

    def delete_webhook(self, webhook_id: str) -> flask.Response:
        if not self.store.delete_webhook(webhook_id):
            raise not_found()
        return empty_response(204)

    def ping_webhook(self, webhook_id: str) -> flask.Response:
        self._webhook(webhook_id)
        return json_response(PING_RESULT)
