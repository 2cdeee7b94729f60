"""The server's guards: security headers on every answer, and the bearer token when one is set.

With a token, every request needs ``Authorization: Bearer TOKEN`` or the cookie the sign-in form sets
(HttpOnly, SameSite=Strict); without either the answer is 401: the JSON error for programs, the
sign-in form for a browser asking for a page. The cookie holds a digest of the token, not the token.
Only the stylesheet and script under ``/static/`` (no data) and the form's ``POST /login`` are open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["COOKIE_NAME", "SecurityMiddleware", "cookie_value", "is_local_path"]

COOKIE_NAME = "cari_token"
LOGIN_PATH = "/login"
OPEN_PREFIXES = ("/static/",)
MAX_FORM_BYTES = 4096

# No inline script, no script or style from elsewhere; inline SVG needs no exception.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def cookie_value(token: str) -> str:
    """What the sign-in cookie holds for ``token``: a digest, so the browser never stores it."""
    return hashlib.sha256(b"cari-cookie\x00" + token.encode("utf-8")).hexdigest()


def is_local_path(target: str) -> bool:
    """Is ``target`` a path on this server (not ``//host`` or ``https://...``: no open redirect)?"""
    parts = urlsplit(target)
    return (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not parts.scheme and not parts.netloc)


class SecurityMiddleware:
    """Adds the security headers (``policies`` maps a path prefix to its Content-Security-Policy)
    and, when ``token`` is set, lets through only requests that carry it."""

    def __init__(self, app: ASGIApp, *, token: str | None,
                 render_login: Callable[[Scope, str, bool], str],
                 policies: dict[str, str] | None = None) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_value(token) if token else None
        self.render_login = render_login
        self.policies = policies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = next((p for prefix, p in self.policies.items() if path.startswith(prefix)), PAGE_POLICY)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        if self.token is None or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send_with_headers)
            return
        if path == LOGIN_PATH and scope.get("method") == "POST":
            await self._sign_in(scope, receive, send_with_headers)
            return
        if self._authorized(scope):
            await self.app(scope, receive, send_with_headers)
            return
        await self._refuse(scope, send_with_headers)

    def _authorized(self, scope: Scope) -> bool:
        assert self.token is not None and self.cookie is not None
        headers = _headers(scope)
        scheme, _, supplied = headers.get("authorization", "").partition(" ")
        # header bytes as sent (decoded as latin-1 above), against the token's UTF-8 bytes
        if scheme.lower() == "bearer" and hmac.compare_digest(supplied.strip().encode("latin-1"),
                                                              self.token.encode("utf-8")):
            return True
        cookie = _cookies(headers.get("cookie", "")).get(COOKIE_NAME, "")
        return hmac.compare_digest(cookie.encode(), self.cookie.encode())

    async def _refuse(self, scope: Scope, send: Send, *, back_to: str | None = None,
                      wrong: bool = False) -> None:
        """401: the sign-in form for a browser asking for a page, else the JSON error. After a
        wrong token the form comes back (``wrong``), to go on to ``back_to``."""
        headers = _headers(scope)
        path = scope.get("path", "")
        wants_page = wrong or ("text/html" in headers.get("accept", "") and not path.startswith("/api/"))
        if wants_page:
            if back_to is None:
                query = scope.get("query_string") or b""
                back_to = path + ("?" + query.decode("latin-1") if query else "")
            if not is_local_path(back_to) or back_to.startswith(LOGIN_PATH):
                back_to = "/"
            body = self.render_login(scope, back_to, wrong).encode()
            content_type = b"text/html; charset=utf-8"
        else:
            body = json.dumps({"error": "this server needs its token: Authorization: Bearer TOKEN",
                               "code": "unauthorized"}).encode()
            content_type = b"application/json"
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b'Bearer realm="cari"'), (b"cache-control", b"no-store"),
        ]})
        await send({"type": "http.response.body", "body": body})

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The sign-in form's POST: the right token sets the cookie and goes back to the page."""
        assert self.token is not None and self.cookie is not None
        body = b""
        more = True
        while more and len(body) <= MAX_FORM_BYTES:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        supplied = (form.get("token") or [""])[0]
        target = (form.get("next") or ["/"])[0]
        if not is_local_path(target):
            target = "/"
        if not hmac.compare_digest(supplied.encode("utf-8"), self.token.encode("utf-8")):
            await self._refuse(scope, send, back_to=target, wrong=True)
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE_NAME}={self.cookie}; Path=/; HttpOnly; SameSite=Strict{secure}"
        await send({"type": "http.response.start", "status": 303, "headers": [
            (b"location", target.encode("utf-8")), (b"set-cookie", cookie.encode()),
            (b"content-length", b"0"), (b"cache-control", b"no-store"),
        ]})
        await send({"type": "http.response.body", "body": b""})


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out
