"""The server application: ``create_app(index_dir, token=...)`` gives the FastAPI app that
``cari serve`` runs on uvicorn (and tests drive with their client).

It wires the parts together: the API routes (``search.server.api``), the pages
(``search.server.pages``), the static files, the guards (``search.server.security``) and the error
handlers, which answer every error in one shape (``search.server.errors``): JSON
``{"error", "code"}`` for programs, an HTML page for a browser asking for a page. Nothing here
writes the index.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from search import __version__
from search.errors import CariError
from search.server.api import api, health
from search.server.errors import ApiError, error_body, error_status
from search.server.pages import pages, render, request_language
from search.server.security import SecurityMiddleware
from search.server.state import IndexHolder

__all__ = ["create_app", "create_app_from_environment"]

log = logging.getLogger("search.server")

DESCRIPTION = """\
Full-text search over a cari index of Indonesian news. Every answer is JSON; errors are
`{"error": "one line", "code": "snake_case"}` with status 400 (bad query or parameter), 401 (token
missing), 404 (unknown article or route) or 503 (no index, or one to rebuild).
`/api/search` answers the object `cari search --json` prints: `total` and `facets` count the
articles the query names (every plain word; `any=true`: some too), the partial matches follow as a
marked `tail`, near-duplicate copies are folded into a hit's `duplicates`. `/api/export` streams every
article of the query (CSV or JSON lines, no cap), `/api/timeline` counts them per period and
`/api/kwic` lists each occurrence of the query's words in context."""

# FastAPI's own Swagger UI assets (its defaults, so their address is kept in one place: FastAPI).
_SWAGGER_DEFAULTS = inspect.signature(get_swagger_ui_html).parameters
SWAGGER_JS = _SWAGGER_DEFAULTS["swagger_js_url"].default
SWAGGER_CSS = _SWAGGER_DEFAULTS["swagger_css_url"].default
_ASSET_ORIGIN = "/".join(SWAGGER_JS.split("/")[:3])
# /docs loads Swagger UI from its CDN, and still runs no inline script (static/docs.js starts it).
DOCS_POLICY = (f"default-src 'none'; script-src 'self' {_ASSET_ORIGIN}; style-src 'self' "
               f"{_ASSET_ORIGIN}; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
               "frame-ancestors 'none'")

# Paths whose errors are JSON whatever the client accepts.
_JSON_PATHS = ("/api/", "/healthz", "/openapi.json")


def create_app(index_dir: str | os.PathLike[str], *, token: str | None = None,
               time_limit: float | None = None, cluster: str | None = None, replicas: int = 1) -> FastAPI:
    """The app serving the index at ``index_dir`` (opened on first use, refreshed on commits);
    with ``token``, every request must carry it. ``time_limit`` bounds a query's matching
    (seconds; the library's default when None). ``cluster``: a sharded index searched on that
    Dask scheduler's workers, ``replicas`` copies of each shard."""
    holder = IndexHolder(index_dir, time_limit=time_limit, cluster=cluster, replicas=replicas)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        holder.close()

    app = FastAPI(title="cari", version=__version__, description=DESCRIPTION, docs_url=None,
                  redoc_url=None, lifespan=lifespan)
    app.state.holder = holder
    app.state.token = token
    app.include_router(api)
    app.include_router(health)
    app.include_router(pages)
    app.mount("/static", StaticFiles(packages=[("search.server", "static")]), name="static")
    _add_docs(app)
    _add_error_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    def render_login(scope: Any, back_to: str, wrong: bool) -> str:
        request = Request(scope)
        response = render("login.html", request, request_language(request), back_to=back_to,
                          wrong=wrong)
        return bytes(response.body).decode("utf-8")

    app.add_middleware(SecurityMiddleware, token=token, render_login=render_login,
                       policies={"/docs": DOCS_POLICY})
    return app


def create_app_from_environment() -> FastAPI:
    """The app for ``cari serve`` (uvicorn's factory, in each worker): the index from
    ``$CARI_INDEX``, the token from ``$CARI_TOKEN``."""
    from search.cli import default_index_dir

    return create_app(default_index_dir(), token=os.environ.get("CARI_TOKEN") or None,
                      cluster=os.environ.get("CARI_CLUSTER") or None,
                      replicas=int(os.environ.get("CARI_REPLICAS") or 1))


def _wants_page(request: Request) -> bool:
    return (not request.url.path.startswith(_JSON_PATHS)
            and "text/html" in request.headers.get("accept", ""))


def _error(request: Request, status: int, body: dict[str, str]) -> Response:
    """The error answer: the JSON body, or for a browser asking for a page, the error page."""
    if _wants_page(request):
        language = request_language(request)
        return render("error.html", request, language, status=status, status_code=status,
                      message=body["error"], code=body["code"])
    return JSONResponse(body, status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    holder: IndexHolder = app.state.holder

    @app.exception_handler(CariError)
    async def library_error(request: Request, error: CariError) -> Response:
        holder.forget_after(error)
        return _error(request, error_status(error), error_body(error, holder.index_dir))

    @app.exception_handler(ApiError)
    async def refused(request: Request, error: ApiError) -> Response:
        return _error(request, error.status, {"error": error.message, "code": error.code})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return _error(request, 400, {"error": _validation_message(error), "code": "invalid_parameter"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        response = _error(request, error.status_code, {"error": str(error.detail).lower(), "code": code})
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # A bug, not bad input (bad input raises CariError): logged with its traceback, answered
        # without it.
        log.error("unexpected error on %s", request.url.path, exc_info=error)
        return _error(request, 500, {"error": "internal error (see the server log)", "code": "internal"})


def _validation_message(error: RequestValidationError) -> str:
    """One line from FastAPI's validation errors: ``limit: Input should be less than or equal
    to 100``."""
    parts = []
    for item in error.errors()[:3]:
        location = [str(p) for p in item.get("loc", ()) if p not in ("query", "path", "body")]
        parts.append(f"{'.'.join(location) or 'request'}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _add_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return render("docs.html", request, request_language(request), swagger_js=SWAGGER_JS,
                      swagger_css=SWAGGER_CSS)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema, with the validation errors documented as they are answered (400 with
    the error shape) rather than FastAPI's 422, and the bearer token when the server has one."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    components = schema.setdefault("components", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(name, None)
    if app.state.token:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema

