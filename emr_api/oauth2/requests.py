"""Authlib's request objects, built from what the handlers hand over (no HTTP framework)."""

from __future__ import annotations

from authlib.oauth2.rfc6749.requests import (
    BasicOAuth2Payload,
    JsonPayload,
    JsonRequest,
    OAuth2Request,
)


class FormRequest(OAuth2Request):
    def __init__(self, method: str, uri: str, headers, form: dict, args: dict | None = None):
        super().__init__(method, uri, headers=headers)
        self._form = {k: v for k, v in form.items() if isinstance(v, str)}
        self._args = args or {}
        self.payload = BasicOAuth2Payload(self._form)

    @property
    def form(self):
        return self._form

    @property
    def args(self):
        return self._args


class _Json(JsonPayload):
    def __init__(self, data):
        self._data = data

    @property
    def data(self):
        return self._data


class BodyJsonRequest(JsonRequest):
    def __init__(self, method, uri, headers, data):
        super().__init__(method, uri, headers)
        self.payload = _Json(data)
