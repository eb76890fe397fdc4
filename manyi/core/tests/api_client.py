"""A test client for /api/v1/ that sends a real bearer token of a user."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.test import Client

from manyi.accounts.services import issue_token

PREFIX = "/api/v1"


class ApiClient:
    def __init__(self, user: Any, *, language: str = "en", **client_kwargs: Any) -> None:
        self.user = user
        self.language = language
        self.token = issue_token(user=user)
        self.client = Client(**client_kwargs)

    def _headers(self, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": self.language}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def url(self, path: str) -> str:
        return path if path.startswith(PREFIX) else PREFIX + path

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(self.url(path), params or {}, headers=self._headers())

    def post(self, path: str, body: Any = None, *, key: str | None = None) -> Any:
        return self.client.post(
            self.url(path),
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(key),
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            self.url(path),
            json.dumps(body),
            content_type="application/json",
            headers=self._headers(),
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            self.url(path),
            json.dumps(body),
            content_type="application/json",
            headers=self._headers(),
        )

    def delete(self, path: str, params: dict[str, Any] | None = None) -> Any:
        query = urlencode(params or {})
        url = self.url(path) + (f"?{query}" if query else "")
        return self.client.delete(url, headers=self._headers())

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """`body` is the JSON body, or the query parameters of a GET or DELETE."""
        if method == "get":
            return self.get(path, body)
        if method == "post":
            return self.post(path, body)
        if method == "patch":
            return self.patch(path, body)
        if method == "put":
            return self.put(path, body)
        if method == "delete":
            return self.delete(path, body)
        raise ValueError(method)


def error_of(response: Any) -> dict[str, Any]:
    """The `error` object of an error answer, checking the one shape on the way."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert all(isinstance(v, list) for v in error["fields"].values())
    return error
