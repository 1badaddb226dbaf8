"""Security headers on every answer, and Secure cookies whenever we are on HTTPS."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(self), geolocation=(self), microphone=()",
}


_ENCODED = tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items())


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before-send hook: it sees every answer, unmatched routes and static files too.

    The names already set are read once: asking the mutable headers view for each one
    decoded and lowered every header of the answer ten times over.
    """
    if message["type"] != "http.response.start":
        return
    raw = message.setdefault("headers", [])
    present = {name.lower() for name, _ in raw}
    missing = [pair for pair in _ENCODED if pair[0] not in present]
    if isinstance(raw, list):
        raw.extend(missing)
    elif missing:
        message["headers"] = [*raw, *missing]
    if scope.get("scheme") == "https":
        headers = MutableScopeHeaders.from_message(message)
        headers["strict-transport-security"] = "max-age=31536000"
        cookies = headers.getall("set-cookie", [])
        if cookies:
            del headers["set-cookie"]
            for cookie in cookies:
                secure = "secure" in cookie.lower()
                headers.add("set-cookie", cookie if secure else f"{cookie}; Secure")
