"""What every REST operation shares: bearer-token auth, the one error shape, Idempotency-Key
handling for POST, 404 lookups inside the caller's scope, pagination and local times.

Error shape (every non-2xx answer of /api/v1/):

    {"error": {"code": "validation_error", "message": "...", "fields": {"severity": ["..."]}}}

Idempotency-Key handling is in manyi/core/api_idempotency.py.
"""

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signals
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import BaseModel, ConfigDict

from manyi.accounts.models import User
from manyi.accounts.services import user_for_token
from manyi.core.errors import DomainError, NotFound, ValidationFailed

log = logging.getLogger("manyi.api")

# Above this many matching rows a list answers `total_is_exact: false` instead of counting
# every row: counting a million rows costs more than the page itself. A deployment may change
# it with the MANYI_API_COUNT_CAP setting.
COUNT_CAP = 1_000

M = TypeVar("M", bound=models.Model)

# --------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------

_UNSET = object()


def authenticate(request: HttpRequest) -> User | None:
    """The user of `Authorization: Bearer <token>`, looked up once per request."""
    cached = getattr(request, "_manyi_api_user", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]  # set below to User | None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
    request._manyi_api_user = user  # type: ignore[attr-defined]  # per-request cache
    if user is not None:
        request.user = user
    return user


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `manyi token` or the settings."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return authenticate(request)


def user_of(request: HttpRequest) -> User:
    """The authenticated user of an operation (ninja put it in `request.auth`)."""
    user = request.auth  # type: ignore[attr-defined]  # set by ninja's auth
    assert isinstance(user, User)
    return user


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class Forbidden(DomainError):
    """The caller's role may not do this (whatever the record)."""

    status_code = 403

    def __init__(self, message: str = "") -> None:
        super().__init__(message or _("Your role may not do this."), code="forbidden")

    def as_fields(self) -> dict[str, list[str]]:
        return {}


def org_id(user: User) -> int:
    """The caller's organisation; a user without one (the platform superuser) sees nothing."""
    if user.organisation_id is None:
        raise not_found()
    return user.organisation_id


def require_org_admin(user: User) -> None:
    if not user.is_org_admin:
        raise Forbidden(_("Only an organisation admin may do this."))


def not_found() -> NotFound:
    return NotFound(_("Not found."))


def get_or_404(qs: models.QuerySet[M], pk: int) -> M:
    """A record inside the caller's scope; anything else (absent or not yours) is 404."""
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise not_found()
    return obj


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> Any:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, fields), status=status)


_PYDANTIC_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: _("This field is required."),
    "string_too_long": lambda ctx: _("At most %(n)d characters.") % {"n": ctx["max_length"]},
    "string_too_short": lambda ctx: _("At least %(n)d characters.") % {"n": ctx["min_length"]},
    "too_long": lambda ctx: _("At most %(n)d items.") % {"n": ctx["max_length"]},
    "enum": lambda ctx: _("Not one of the allowed values."),
    "literal_error": lambda ctx: _("Not one of the allowed values."),
    "int_parsing": lambda ctx: _("Enter a whole number."),
    "int_type": lambda ctx: _("Enter a whole number."),
    "int_from_float": lambda ctx: _("Enter a whole number."),
    "decimal_parsing": lambda ctx: _("Enter an amount in yuan."),
    "decimal_type": lambda ctx: _("Enter an amount in yuan."),
    "decimal_max_places": lambda ctx: (
        _("At most %(n)d decimal places.") % {"n": ctx["decimal_places"]}
    ),
    "decimal_max_digits": lambda ctx: _("The amount is too large."),
    "bool_parsing": lambda ctx: _("Enter true or false."),
    "bool_type": lambda ctx: _("Enter true or false."),
    "string_type": lambda ctx: _("Enter text."),
    "list_type": lambda ctx: _("Enter a list."),
    "dict_type": lambda ctx: _("Enter an object."),
    "model_type": lambda ctx: _("Enter an object."),
    "model_attributes_type": lambda ctx: _("Enter an object."),
    "extra_forbidden": lambda ctx: _("Unknown field."),
    "datetime_parsing": lambda ctx: _datetime_message(),
    "datetime_from_date_parsing": lambda ctx: _datetime_message(),
    "datetime_type": lambda ctx: _datetime_message(),
    "date_parsing": lambda ctx: _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": lambda ctx: _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": lambda ctx: _("Enter a date as YYYY-MM-DD."),
    "date_type": lambda ctx: _("Enter a date as YYYY-MM-DD."),
    "greater_than": lambda ctx: _("Must be greater than %(n)s.") % {"n": ctx["gt"]},
    "greater_than_equal": lambda ctx: _("Must be at least %(n)s.") % {"n": ctx["ge"]},
    "less_than": lambda ctx: _("Must be less than %(n)s.") % {"n": ctx["lt"]},
    "less_than_equal": lambda ctx: _("Must be at most %(n)s.") % {"n": ctx["le"]},
    "json_invalid": lambda ctx: _("The body is not valid JSON."),
}


def _datetime_message() -> str:
    return _("Enter a date and time in ISO 8601 with its offset, e.g. %(example)s.") % {
        "example": "2026-03-09T17:30:00+08:00"
    }


# Operations name their body `payload` and their query schema `filters` or `params`; those
# names are not fields of the request.
PARAM_NAMES = frozenset({"payload", "filters", "params"})


def field_name(loc: Iterable[Any]) -> str:
    """("body", "payload", "targets", 0, "minutes") → "targets.0.minutes";
    ("query", "filters", "status", 1) → "status.1"; the whole body → "__all__"."""
    parts = list(loc)[1:]  # drop the source: body, query, path, header
    if parts and parts[0] in PARAM_NAMES:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "__all__"


def fields_from_pydantic(errors: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in errors:
        name = field_name(err.get("loc", ()))
        translate = _PYDANTIC_MESSAGES.get(err.get("type", ""))
        try:
            message = translate(err.get("ctx") or {}) if translate else str(err.get("msg", ""))
        except (KeyError, TypeError):
            message = str(err.get("msg", ""))
        fields.setdefault(name, [])
        if message not in fields[name]:
            fields[name].append(message)
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error of the API in the one shape."""

    def domain_error(request: HttpRequest, exc: Any) -> HttpResponse:
        fields = exc.as_fields() if exc.status_code not in (403, 404) else {}
        message = exc.message
        if isinstance(exc, ValidationFailed) and set(fields) - {"__all__"}:
            # The fields carry the messages; the summary stays the same for every such error.
            message = _("Some fields are not valid.")
        return error_response(api, request, exc.status_code, exc.code, message, fields)

    def validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        fields = fields_from_pydantic(exc.errors)
        return error_response(
            api, request, 422, "validation_error", _("Some fields are not valid."), fields
        )

    def authentication_error(request: HttpRequest, exc: Any) -> HttpResponse:
        response = error_response(
            api,
            request,
            401,
            "unauthorized",
            _("Send a valid API token: Authorization: Bearer <token>."),
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "not_allowed"}
        message = _("The request body could not be read.") if exc.status_code == 400 else str(exc)
        return error_response(
            api, request, exc.status_code, codes.get(exc.status_code, "error"), message
        )

    def missing(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(api, request, 404, "not_found", _("Not found."))

    def permission_denied(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", _("Your role may not do this."))

    def server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        # Logged with its traceback and reported to Django's error hooks; the client only
        # learns that it happened, never what (no SQL, paths or values leak).
        log.error("API error on %s %s", request.method, request.path, exc_info=exc)
        signals.got_request_exception.send(sender=None, request=request)
        return error_response(
            api,
            request,
            500,
            "internal_error",
            _("Something went wrong on our side. It has been logged; please try again later."),
        )

    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, missing)
    api.add_exception_handler(ObjectDoesNotExist, missing)
    api.add_exception_handler(PermissionDenied, permission_denied)
    api.add_exception_handler(Exception, server_error)


def request_language(request: HttpRequest) -> str | None:
    """The first supported language of the Accept-Language header, if any: API clients have
    no language cookie, so the header chooses (default: the site's, Simplified Chinese)."""
    header = request.headers.get("Accept-Language", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class ManyiAPI(NinjaAPI):
    """NinjaAPI that speaks the language of the Accept-Language header and whose answers
    outside any operation keep the error shape too: a method the address does not accept
    (405) and an address that does not exist (404)."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        urls.append(re_path(r"^.*$", self._unknown_address))
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = self._api_view(url.callback)
        return urls

    def _api_view(self, view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            language = request_language(request) or translation.get_language()
            with translation.override(language):
                response = view(request, *args, **kwargs)
                if isinstance(response, HttpResponseNotAllowed):
                    allowed = response["Allow"]
                    response = error_response(
                        self,
                        request,
                        405,
                        "method_not_allowed",
                        _("This address accepts only %(methods)s.") % {"methods": allowed},
                    )
                    response["Allow"] = allowed
            response.headers["Content-Language"] = language
            return response

        return wrapper

    def _unknown_address(self, request: HttpRequest) -> HttpResponse:
        return error_response(self, request, 404, "not_found", _("Not found."))


# --------------------------------------------------------------------------------------
# Schemas, pagination and times
# --------------------------------------------------------------------------------------


class Input(Schema):
    """A request body: unknown fields are refused instead of silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """A response body, built from a dict. Plain pydantic: ninja's Schema would wrap every
    nested dict for attribute access, which costs more than the rest of a list page."""


class StoreRef(Output):
    id: int
    code: str
    name: str


class UserRef(Output):
    id: int
    username: str
    name: str


def page(
    qs: models.QuerySet[M],
    *,
    limit: int,
    offset: int,
    display: Callable[[models.QuerySet[M]], models.QuerySet[M]] | None = None,
) -> tuple[list[M], int, bool]:
    """One page of the ordered `qs` and the number of matching rows (exact up to the cap).

    With `display`, the page's ids are chosen on `qs` alone (its own indexes, no joins) and
    `display` adds what the rows show (select_related, annotations) to just those rows, in
    the same statement: `WHERE id IN (SELECT id … ORDER BY … LIMIT n)`. Sorting a million
    joined rows to keep fifty is what this avoids."""
    if display is None:
        rows = list(qs[offset : offset + limit])
    else:
        window = qs.values("pk")[offset : offset + limit]
        shown = display(qs.model._default_manager.filter(pk__in=window))
        rows = list(shown.order_by(*qs.query.order_by))
    if len(rows) < limit and (rows or offset == 0):
        return rows, offset + len(rows), True  # the last page: no need to count
    cap = int(getattr(settings, "MANYI_API_COUNT_CAP", COUNT_CAP))
    total = qs.order_by()[: cap + 1].count()
    if total > cap:
        return rows, cap, False
    return rows, total, True


@functools.lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ValueError, KeyError):
        return ZoneInfo(settings.TIME_ZONE)


def local(value: dt.datetime | None, tz: str | None = None) -> dt.datetime | None:
    """An instant in the given time zone (the store's; Asia/Shanghai by default), so that the
    JSON shows it with its offset: 2026-03-09T17:30:00+08:00."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, zone(None))
    return value.astimezone(zone(tz))


def aware(value: dt.datetime | None, tz: str | None = None) -> dt.datetime | None:
    """A datetime from a query string: one without an offset is read in `tz`."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, zone(tz))
