"""Idempotency-Key for every POST of the API.

A POST with an `Idempotency-Key` header runs in one transaction that first inserts an
`IdempotencyKey` row (user, key, path), then does the work, then stores the answer on that row.
The unique constraint on those three columns serialises two concurrent requests with one key:
the second INSERT waits for the first transaction (PostgreSQL) or the second BEGIN IMMEDIATE
waits for the write lock (SQLite), then fails with IntegrityError once the first commits, and
the stored answer is replayed. A failed operation (non-2xx) rolls back its key with everything
else, so the same key may be retried.
"""

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router

from manyi.core.api_support import authenticate, error_response
from manyi.core.models import IdempotencyKey

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
MAX_PATH_LENGTH = 300


IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (a UUID). Sending the same key again to the same path returns "
        "the stored answer of the first request instead of doing the work twice."
    ),
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
}


def idempotent(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap an operation's `run` (ninja "view" decorator): POSTs with an Idempotency-Key
    execute at most once per (user, key, path); see the module docstring for why two
    concurrent requests cannot both run."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        raw_key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method != "POST" or raw_key is None:
            return run(request, *args, **kwargs)
        user = authenticate(request)
        if user is None:
            return run(request, *args, **kwargs)  # answers 401
        api: NinjaAPI = _api_of(run)
        key = raw_key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return error_response(
                api,
                request,
                422,
                "validation_error",
                _("Some fields are not valid."),
                {"idempotency_key": [_("Give 1 to %(n)d characters.") % {"n": MAX_KEY_LENGTH}]},
            )
        path = request.path[:MAX_PATH_LENGTH]
        fingerprint = hashlib.sha256(request.body).hexdigest()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(user=user, key=key, path=path)
            except IntegrityError:
                stored = IdempotencyKey.objects.get(user=user, key=key, path=path)
                return _replay(api, request, stored, fingerprint)
            response = run(request, *args, **kwargs)
            if 200 <= response.status_code < 300 and isinstance(response, HttpResponse):
                record.status_code = response.status_code
                record.response = {
                    "request_sha256": fingerprint,
                    "body": json.loads(response.content) if response.content else None,
                }
                record.save(update_fields=["status_code", "response"])
            else:
                # Nothing of a refused request is kept, its key included: retry with it.
                transaction.set_rollback(True)
            return response

    return wrapper


def _api_of(run: Callable[..., HttpResponseBase]) -> NinjaAPI:
    operation = getattr(run, "__self__", None)
    api = getattr(operation, "api", None)
    if isinstance(api, NinjaAPI):
        return api
    from config.api import api as default_api

    return default_api


def _replay(
    api: NinjaAPI, request: HttpRequest, stored: IdempotencyKey, fingerprint: str
) -> HttpResponse:
    data = stored.response or {}
    if data.get("request_sha256") != fingerprint:
        return error_response(
            api,
            request,
            422,
            "idempotency_key_reused",
            _(
                "This Idempotency-Key was already used for a different request to this "
                "address. Use a new key for a new request."
            ),
            {"idempotency_key": [_("Already used for a different request.")]},
        )
    response = HttpResponse(
        json.dumps(data.get("body"), ensure_ascii=False),
        status=stored.status_code,
        content_type=api.get_content_type(),
    )
    response["Idempotent-Replayed"] = "true"
    return response


def document_idempotency(routers: Iterable[Router]) -> None:
    """Show the Idempotency-Key header on every POST operation of the OpenAPI document."""
    for router in routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if "POST" not in operation.methods or operation.auth_param is None:
                    continue  # public operations have no user to key the replay on
                extra = dict(operation.openapi_extra or {})
                params = list(extra.get("parameters", []))
                if IDEMPOTENCY_PARAMETER not in params:
                    params.append(IDEMPOTENCY_PARAMETER)
                extra["parameters"] = params
                operation.openapi_extra = extra
