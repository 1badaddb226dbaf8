"""Domain errors: services raise them, the web layer maps them to answers in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base class; `message` is an English msgid, `params` fill its placeholders."""

    def __init__(self, message: str = "", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    """The record does not exist, or it is not this person's to see (same answer)."""


class Forbidden(DomainError):
    """The person may see the record but not do this to it."""


class ValidationFailed(DomainError):
    """Field-level problems: field name -> (msgid, params)."""

    def __init__(self, errors: dict[str, tuple[str, dict]]) -> None:
        super().__init__("invalid input")
        self.errors = errors


def invalid(field: str, message: str, **params: object) -> ValidationFailed:
    return ValidationFailed({field: (message, params)})
