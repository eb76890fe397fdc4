"""Business-rule errors. One handler turns them into API errors and form errors."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request.

    `field` names the input the message is about (None for the request as a whole);
    `code` is a stable machine-readable identifier.
    """

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.code = code

    def as_fields(self) -> dict[str, list[str]]:
        return {self.field or "__all__": [self.message]}


class ValidationFailed(DomainError):
    """Several field-level messages at once."""

    def __init__(self, fields: dict[str, list[str]], *, message: str = "") -> None:
        super().__init__(message or "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields
        self.code = "validation_error"

    def as_fields(self) -> dict[str, list[str]]:
        return self.fields


class ConflictError(DomainError):
    """The record changed since the caller read it (optimistic locking)."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, field="version", code="conflict")


class NotFound(DomainError):
    """The record does not exist or is outside the caller's scope; both answer 404."""

    status_code = 404

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message, code="not_found")
