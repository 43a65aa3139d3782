"""The App's HTTP server: a FastAPI application over :class:`AppState`.

Every request but the page's static files needs the App's token (see
:mod:`bakeoff.app.security`). Bad requests get a 4xx JSON body
``{"detail": ..., "error": ...}`` that says what was wrong; the OpenAPI
description is at ``/openapi.json`` (``/docs`` is off: its page loads scripts
from a CDN, and the App works offline and loads nothing from elsewhere).
"""

from __future__ import annotations

import logging
import os
import time
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from bakeoff.app import api_brain, api_compare, api_data, api_jobs, media
from bakeoff.app.page_files import PageFiles
from bakeoff.app.security import FRAME_ANCESTORS, MAX_BODY_BYTES, AccessMiddleware, make_token
from bakeoff.app.state import AppState
from bakeoff.errors import BakeoffError

logger = logging.getLogger(__name__)
MAX_DETAIL = 2000
STATIC = resources.files("bakeoff.app") / "static"


class ErrorBody(BaseModel):
    detail: str
    error: str


#: the answers every route may give besides its own (documented in /openapi.json)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request: an unknown field, a malformed view, a bad value"},
    401: {"model": ErrorBody, "description": "No App token: open the URL launch_app gave, or send a bearer token"},
    403: {"model": ErrorBody, "description": "Wrong token, a cross-site request, or a model folder the App may not "
                                             "load"},
    404: {"model": ErrorBody, "description": "No such dataset, sample, job or image"},
    413: {"model": ErrorBody, "description": f"Request body over {MAX_BODY_BYTES} bytes"},
    415: {"model": ErrorBody, "description": "A body that is not JSON, or a sample file that is not an image"},
}


def create_app(state: AppState | None = None, allowed_hosts: list[str] | None = None, token: str | None = None,
               frame_ancestors: tuple[str, ...] = FRAME_ANCESTORS) -> FastAPI:
    """The App as an ASGI application (``uvicorn bakeoff.app.server:create_app --factory`` serves it).

    ``token`` is what every request must carry (default: ``BAKEOFF_APP_TOKEN``,
    else a random one, logged so that you can open the App). ``allowed_hosts``
    limits the ``Host`` header (the App on 127.0.0.1 answers only to local names,
    which stops DNS-rebinding pages from reading it); ``frame_ancestors`` are
    the sites that may show the App in a frame (notebooks on this machine).
    """
    generated = token is None and not os.environ.get("BAKEOFF_APP_TOKEN")
    token = make_token(token)
    if generated:  # served by another server (uvicorn --factory): nobody else can tell you the token
        logger.warning("the App's token is %s: open http://HOST:PORT/?token=%s", token, token)
    app = FastAPI(title="bakeoff App", version="1", summary="Browse, filter, compare and run zero-shot classifiers",
                  docs_url=None, redoc_url=None, responses=ERROR_RESPONSES)
    app.state.bakeoff = state or AppState()
    app.add_middleware(AccessMiddleware, token=token, frame_ancestors=tuple(frame_ancestors))
    if allowed_hosts:  # outermost: a DNS-rebinding page learns nothing, not even that a token is needed
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.middleware("http")
    async def server_timing(request: Request, call_next):
        # the time spent in the server, for the browser's network panel and the benchmark
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    for router in (api_data.router, api_compare.router, api_jobs.router, api_brain.router, media.router):
        app.include_router(router)
    app.mount("/static", PageFiles(directory=str(STATIC)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"),
                            headers={"Cache-Control": "no-cache"})

    @app.get("/api/health", tags=["data"], summary="200 when the server is up")
    def health() -> dict:
        return {"ok": True}

    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    def reply(status: int, error: Exception) -> JSONResponse:
        detail = str(error)
        if len(detail) > MAX_DETAIL:  # a message that quotes a huge client value
            detail = f"{detail[:MAX_DETAIL]}... ({len(detail)} characters)"
        return JSONResponse({"detail": detail, "error": type(error).__name__}, status_code=status)

    @app.exception_handler(BakeoffError)
    async def bakeoff_error(request: Request, error: BakeoffError) -> JSONResponse:
        return reply(error.http_status, error)

    # anything else (a builtin ValueError/KeyError included) is a bug: FastAPI answers 500 and logs the traceback

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors()]
        return JSONResponse({"detail": details, "error": "RequestValidationError"}, status_code=422)
