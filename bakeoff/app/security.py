"""Who may talk to the App: a per-launch token, same-origin writes, body limits and browser headers.

The App runs next to other people's accounts on shared machines, and binding
127.0.0.1 keeps out the network, not the next user on the box. So every request
but the page's static code must carry the App's token, which ``launch_app``
makes (``secrets.token_urlsafe``) and puts in the URL it opens:

- ``GET /?token=T`` serves the page and sets an ``HttpOnly; SameSite=Strict``
  cookie, so the browser sends the token from then on (the page drops it from
  the address bar);
- scripts send ``Authorization: Bearer T``;
- a page framed by another site (a notebook on ``localhost:8888`` showing the
  App on ``127.0.0.1:5151``) may not get its cookie: it keeps the token for its
  tab and sends it as the bearer header (``?token=`` on image URLs).

A request with no token gets 401, a wrong one 403. Requests that change
anything (every method but GET/HEAD) also need the ``X-Bakeoff-Request``
header the page sets, or a bearer token, and any ``Origin`` must be the App's
own: a page on another site can neither send such a header nor forge the
Origin, so it cannot start, cancel or change anything even with the cookie.
Bodies are capped at :data:`MAX_BODY_BYTES` and must be JSON.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from html import escape
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from bakeoff.errors import AppTokenError

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: request bodies larger than this get 413 (the largest real body, a JSON class list, is far smaller)
MAX_BODY_BYTES = 1024 * 1024
#: the header the page sets on requests that change something (a cross-site page cannot set it)
REQUEST_HEADER = "x-bakeoff-request"
#: who may frame the App: itself and notebooks served from this machine (Jupyter, VS Code); CSP has no
#: syntax for IPv6 literals (browsers reject "http://[::1]:*"), so a notebook must be opened on localhost
FRAME_ANCESTORS = ("'self'", "http://localhost:*", "http://127.0.0.1:*",
                   "https://localhost:*", "https://127.0.0.1:*", "vscode-webview:")
#: paths served without the token: the page's own code and style, the same for every user
PUBLIC_PREFIXES = ("/static/",)
_SAFE_METHODS = ("GET", "HEAD")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9._~-]{8,256}$")


def make_token(token: str | None = None) -> str:
    """The App's token: ``token``, else ``BAKEOFF_APP_TOKEN``, else a new random one.

    Example::

        >>> len(make_token())
        43
        >>> make_token("my-fixed-token-for-scripts")
        'my-fixed-token-for-scripts'
    """
    if token is None:
        token = os.environ.get("BAKEOFF_APP_TOKEN") or None
    if token is None:
        return secrets.token_urlsafe(32)
    if not isinstance(token, str) or not _TOKEN_CHARS.match(token):
        raise AppTokenError(
            "the App token (launch_app(token=...) or BAKEOFF_APP_TOKEN) must be 8 to 256 characters of A-Z, a-z, "
            "0-9 and . _ ~ - (it travels in URLs and headers); leave it unset for a random one, or make one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    if len(token) < 16:
        logger.warning("the App token is only %d characters long: anyone on this machine who guesses it can use "
                       "the App; prefer 32 random characters", len(token))
    return token


def cookie_name(port: int | None) -> str:
    """Cookies are not kept apart by port: each App names its cookie after its own."""
    return f"bakeoff_token_{port or 0}"


def content_security_policy(frame_ancestors: tuple[str, ...] = FRAME_ANCESTORS) -> str:
    """The page loads only its own scripts and styles, talks only to its server, and is framed only by notebooks."""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {' '.join(frame_ancestors)}")


class AccessMiddleware:
    """ASGI middleware in front of the whole App: limits, token, same-origin writes, headers."""

    def __init__(self, app: Callable, token: str, frame_ancestors: tuple[str, ...] = FRAME_ANCESTORS,
                 max_body: int = MAX_BODY_BYTES) -> None:
        self.app, self.token, self.max_body = app, token, max_body
        self.headers = [
            (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _reply(send, *refusal, html=scope["path"] == "/")
            return
        body = await self._read_body(receive, headers)
        if body is None:
            await _reply(send, 413, f"the request body is larger than {self.max_body} bytes; send less (a view, "
                                    "not data)", "RequestTooLarge")
            return
        if body and scope["method"] not in _SAFE_METHODS and not _is_json(headers):
            await _reply(send, 415, "the request body must be JSON (Content-Type: application/json)",
                         "UnsupportedMediaType")
            return
        await self.app(scope, _replay(body, receive), self._with_cookie(send, scope, headers))

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, str] | None:
        path = scope["path"]
        if path.startswith(PUBLIC_PREFIXES) and scope["method"] in _SAFE_METHODS:
            return None
        given, how = self._credentials(scope, headers)
        if given is None:
            return 401, ("this bakeoff App needs its token: open the URL launch_app gave (http://HOST:PORT/?token=...)"
                         " or send 'Authorization: Bearer <token>'"), "Unauthorized"
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            return 403, "wrong App token: use the URL or token this App printed when it started", "Forbidden"
        if scope["method"] in _SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and origin != _own_origin(scope, headers):
            return 403, f"requests from {origin[:100]!r} may not change this App (cross-site request)", "Forbidden"
        if how != "bearer" and REQUEST_HEADER not in headers:
            return 403, (f"a request that changes something needs the {REQUEST_HEADER!r} header (the page sets it) "
                         "or 'Authorization: Bearer <token>'"), "Forbidden"
        return None

    def _credentials(self, scope: Scope, headers: dict[str, str]) -> tuple[str | None, str]:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip(), "bearer"
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is no cookie
            cookie = SimpleCookie()
        name = cookie_name(_port(scope))
        if name in cookie:
            return cookie[name].value, "cookie"
        if scope["method"] in _SAFE_METHODS:  # the URL launch_app opens, and images of a framed page
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if query.get("token"):
                return query["token"][0], "query"
        return None, ""

    async def _read_body(self, receive: Receive, headers: dict[str, str]) -> bytes | None:
        try:
            if int(headers.get("content-length") or 0) > self.max_body:
                return None
        except ValueError:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _with_headers(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.headers if k not in names]
            await send(message)
        return wrapped

    def _with_cookie(self, send: Send, scope: Scope, headers: dict[str, str]) -> Send:
        """Answering the token URL (``/?token=``) also sets the cookie, so the page needs no token itself."""
        if scope["path"] != "/" or b"token=" not in scope.get("query_string", b""):
            return send
        name = cookie_name(_port(scope))
        value = f"{name}={self.token}; HttpOnly; SameSite=Strict; Path=/".encode()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", value)]
            await send(message)
        return wrapped


def _port(scope: Scope) -> int | None:
    server = scope.get("server")
    return server[1] if server else None


def _own_origin(scope: Scope, headers: dict[str, str]) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


def _is_json(headers: dict[str, str]) -> bool:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read already, then the client's own messages (a disconnect comes when it really happens)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


async def _reply(send: Send, status: int, detail: str, error: str, html: bool = False) -> None:
    if html:  # someone opened the App's address without the token: tell them, in the browser
        kind = b"text/html; charset=utf-8"
        body = (f"<!doctype html><title>bakeoff</title><h1>bakeoff App: {status} {error}</h1>"
                f"<p>{escape(detail)}</p>").encode()
    else:
        kind = b"application/json"
        body = json.dumps({"detail": detail, "error": error}).encode()
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="bakeoff App"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
