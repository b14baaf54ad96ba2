"""What every new service shares: the seed data, error bodies in the legacy shape, request ids."""
import os
import sys
import uuid
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from shared_data import build  # noqa: E402

USERS, PRODUCTS, ORDERS = build()


def meta():
    return {"generated_at": datetime.now(timezone.utc).isoformat(), "request_id": str(uuid.uuid4())}


def error(status, code, message, **extra):
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def install_common(app: FastAPI) -> FastAPI:
    """Legacy-shaped errors, an X-Request-Id header and /healthz on a service app."""

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return error(404, "not_found", f"no route for {request.method} {request.url.path}")
        if exc.status_code == 405:
            return error(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")
        return error(exc.status_code, "error", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return error(400, "bad_request", "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])} {e['msg']}" for e in exc.errors()))

    @app.get("/healthz")
    async def healthz():
        return {"ok": True}

    return app
