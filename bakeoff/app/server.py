"""The App's HTTP server: a FastAPI application over :class:`AppState`.

Bad requests get a 4xx JSON body ``{"detail": ...}`` that says what was wrong;
the OpenAPI description is at ``/openapi.json`` and ``/docs``.
"""

from __future__ import annotations

import time
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from bakeoff.app import api_compare, api_data, api_jobs, media
from bakeoff.app.state import AppState
from bakeoff.errors import BakeoffError, DatasetNotFoundError, SampleNotFoundError

STATIC = resources.files("bakeoff.app") / "static"


def create_app(state: AppState | None = None, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The App as an ASGI application (``uvicorn bakeoff.app.server:create_app --factory`` serves it).

    ``allowed_hosts`` limits the ``Host`` header (the App on 127.0.0.1 answers only
    to local names, which stops DNS-rebinding pages from reading it).
    """
    app = FastAPI(title="bakeoff App", version="1", summary="Browse, filter, compare and run zero-shot classifiers")
    app.state.bakeoff = state or AppState()
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.middleware("http")
    async def server_timing(request: Request, call_next):
        # the time spent in the server, for the browser's network panel and the benchmark
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    for router in (api_data.router, api_compare.router, api_jobs.router, media.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

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
        return JSONResponse({"detail": str(error), "error": type(error).__name__}, status_code=status)

    @app.exception_handler(DatasetNotFoundError)
    @app.exception_handler(SampleNotFoundError)
    async def not_found(request: Request, error: Exception) -> JSONResponse:
        return reply(404, error)

    @app.exception_handler(BakeoffError)
    async def bakeoff_error(request: Request, error: BakeoffError) -> JSONResponse:
        return reply(400, error)

    # views arrive as JSON and are rebuilt by the expression layer, which raises these for bad input
    @app.exception_handler(ValueError)
    @app.exception_handler(TypeError)
    @app.exception_handler(KeyError)
    async def bad_request(request: Request, error: Exception) -> JSONResponse:
        return reply(400, error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors()]
        return JSONResponse({"detail": details, "error": "RequestValidationError"}, status_code=422)
