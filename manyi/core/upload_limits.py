"""A size limit on the requests of the public pages, checked before Django reads the body.

Django writes a multipart body to memory or a temporary file while it parses it, before any
view could look at the photos' sizes; on the pages anybody may post to (the public complaint
page under /complain/ and the public API under /api/v1/public/) that would let a stranger make
the server store as much as they like. So this middleware looks at the declared length first:

- longer than MANYI_UPLOAD_MAX_FILES × MANYI_UPLOAD_MAX_BYTES + 64 KB (room for the form
  fields and the multipart framing) → 413 `too_large`;
- a POST/PUT/PATCH whose length is unknown (a `Transfer-Encoding` body without a
  Content-Length, or a Content-Length that is not a number) → 411 `length_required`. (Django
  itself reads no body without a Content-Length; refusing it says so instead of taking an
  empty form.);
- a multipart form within the size is parsed here, so that more files than
  DATA_UPLOAD_MAX_NUMBER_FILES (the photos + 2) answer 400 `too_many_files`, and a body that
  cannot be parsed 400 `bad_request`, instead of an error inside the view or the API.

The public API gets the API's error shape (`{"error": {"code", "message", "fields"}}`) in the
language of Accept-Language; the HTML pages a short plain-text answer in the page's language.
Other addresses are not limited here (staff pages are behind a login; put a body limit on the
reverse proxy too, e.g. nginx `client_max_body_size`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

GUARDED_PREFIXES = ("/complain/", "/api/v1/public/")
API_PREFIX = "/api/v1/public/"
FORM_OVERHEAD = 64 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def max_request_bytes() -> int:
    """The largest body accepted on the public pages: every photo at its largest + 64 KB."""
    return int(settings.MANYI_UPLOAD_MAX_FILES) * int(settings.MANYI_UPLOAD_MAX_BYTES) + (
        FORM_OVERHEAD
    )


def _declared_length(request: HttpRequest) -> int | None:
    """The Content-Length, 0 when the request has no body, None when the length is unknown."""
    raw = str(request.META.get("CONTENT_LENGTH", "") or "").strip()
    if not raw:
        return None if request.META.get("HTTP_TRANSFER_ENCODING") else 0
    if not raw.isdigit():
        return None
    return int(raw)


class PublicRequestSizeMiddleware:
    """413 for a too large, 411 for an unmeasured and 400 for an unreadable body or too many
    files on the public pages (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(GUARDED_PREFIXES):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        length = _declared_length(request)
        limit = max_request_bytes()
        if length is None:
            if request.method not in BODY_METHODS:
                return None
            return self._answer(
                request,
                411,
                "length_required",
                lambda: _(
                    "The size of the request is unknown. Please send it again with a "
                    "Content-Length header."
                ),
            )
        if length > limit:
            return self._answer(
                request,
                413,
                "too_large",
                lambda: (
                    _(
                        "What you sent is too large. Send at most %(files)d photos of at most "
                        "%(size)s each."
                    )
                    % {
                        "files": int(settings.MANYI_UPLOAD_MAX_FILES),
                        "size": filesizeformat(int(settings.MANYI_UPLOAD_MAX_BYTES)),
                    }
                ),
            )
        if request.method in BODY_METHODS and request.content_type == "multipart/form-data":
            return self._parse(request)
        return None

    def _parse(self, request: HttpRequest) -> HttpResponse | None:
        """Parse the (size-checked) form here, so that too many files or a broken body get
        this page's answer instead of an error deep inside the API or the CSRF check."""
        try:
            request.FILES  # noqa: B018 - parsing is the point; the view reads the cached result
        except TooManyFilesSent:
            return self._answer(
                request,
                400,
                "too_many_files",
                lambda: (
                    _("Too many files. Send at most %(files)d photos.")
                    % {"files": int(settings.MANYI_UPLOAD_MAX_FILES)}
                ),
            )
        except (MultiPartParserError, SuspiciousOperation, RequestDataTooBig):
            return self._answer(
                request,
                400,
                "bad_request",
                lambda: _("The form could not be read. Please fill it in and send it again."),
            )
        return None

    def _answer(
        self, request: HttpRequest, status: int, code: str, message: Callable[[], str]
    ) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            from manyi.core.api_support import error_body, request_language

            language = request_language(request) or translation.get_language()
            with translation.override(language):
                text = message()
            response: HttpResponse = JsonResponse(
                error_body(code, text), status=status, json_dumps_params={"ensure_ascii": False}
            )
        else:
            language = translation.get_language()
            response = HttpResponse(
                message(), status=status, content_type="text/plain; charset=utf-8"
            )
        response.headers["Content-Language"] = language or settings.LANGUAGE_CODE
        return response
