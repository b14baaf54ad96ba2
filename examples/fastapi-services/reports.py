"""The reports service: faithful to legacy, with a regression that can be switched on at run
time so a rollback can be shown: POST /__admin/regression {"mode": "off"|"errors"|"type"|"slow"}
(initial mode from REPORTS_REGRESSION). `errors` answers 500, `type` turns totals.revenue into a
string, `slow` adds 300 ms."""
import asyncio
import csv
import io
import os

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from common import ORDERS, PRODUCTS, error, install_common, meta
from shared_data import sales_report, top_products

MODES = ("off", "errors", "type", "slow")
state = {"mode": os.environ.get("REPORTS_REGRESSION", "off") if os.environ.get("REPORTS_REGRESSION", "off") in MODES else "off"}

router = APIRouter(prefix="/api/reports")
admin = APIRouter(prefix="/__admin")


async def regression():
    """A response to send instead, if the regression says so."""
    if state["mode"] == "errors":
        return error(500, "internal_error", "the reports service failed")
    if state["mode"] == "slow":
        await asyncio.sleep(0.3)
    return None


@router.get("/sales")
async def sales():
    failed = await regression()
    if failed:
        return failed
    report = sales_report(ORDERS, PRODUCTS)
    if state["mode"] == "type":
        report["totals"]["revenue"] = f"{report['totals']['revenue']:.2f}"
    return {**report, "meta": meta()}


@router.get("/sales.csv")
async def sales_csv():
    failed = await regression()
    if failed:
        return failed
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["category", "revenue"])
    for row in sales_report(ORDERS, PRODUCTS)["by_category"]:
        w.writerow([row["category"], f"{row['revenue']:.2f}"])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/top-products")
async def top(request: Request):
    failed = await regression()
    if failed:
        return failed
    try:
        limit = int(request.query_params.get("limit", 5))
    except ValueError:
        return error(400, "bad_request", "limit must be a whole number")
    if limit < 1 or limit > 40:
        return error(400, "bad_request", "limit must be between 1 and 40")
    return {"items": top_products(ORDERS, PRODUCTS, limit), "meta": meta()}


@admin.get("/regression")
async def get_regression():
    return {"mode": state["mode"]}


@admin.post("/regression")
async def set_regression(request: Request):
    try:
        body = await request.json()
    except Exception:
        body = None
    mode = body.get("mode") if isinstance(body, dict) else None
    if mode not in MODES:
        return error(400, "bad_request", f"mode must be one of {', '.join(MODES)}")
    state["mode"] = mode
    return {"mode": mode}


def create_app() -> FastAPI:
    app = install_common(FastAPI(title="reports service"))
    app.include_router(router)
    app.include_router(admin)
    return app
