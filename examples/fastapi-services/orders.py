"""The orders service: faithful to the legacy orders endpoints, up to noise."""
from datetime import datetime, timezone

from fastapi import APIRouter, FastAPI, Request

from common import ORDERS, PRODUCTS, USERS, error, install_common, meta
from shared_data import paginate, validate_order

router = APIRouter(prefix="/api/orders")


@router.get("")
async def list_orders(request: Request):
    items = ORDERS
    status = request.query_params.get("status")
    if status:
        items = [o for o in items if o["status"] == status]
    page, per_page, chunk, err = paginate(items, request.query_params)
    if err:
        return error(400, "bad_request", err)
    summary = [{"id": o["id"], "user_id": o["user_id"], "status": o["status"], "total": o["total"]} for o in chunk]
    return {"items": summary, "page": page, "per_page": per_page, "total": len(items), "meta": meta()}


@router.get("/{order_id}")
async def get_order(order_id: int):
    order = next((o for o in ORDERS if o["id"] == order_id), None)
    if order is None:
        return error(404, "not_found", f"no order {order_id}")
    return order


@router.get("/{order_id}/items")
async def order_items(order_id: int):
    order = next((o for o in ORDERS if o["id"] == order_id), None)
    if order is None:
        return error(404, "not_found", f"no order {order_id}")
    return {"order_id": order_id, "items": order["items"]}


@router.post("", status_code=201)
async def create_order(request: Request):
    try:
        body = await request.json()
    except Exception:
        body = None
    errors = validate_order(body, USERS, PRODUCTS)
    if errors:
        return error(400, "validation_failed", "the order is not valid", fields=errors)
    by_id = {p["id"]: p for p in PRODUCTS}
    lines = [{"product_id": i["product_id"], "quantity": i["quantity"], "unit_price": by_id[i["product_id"]]["price"]} for i in body["items"]]
    order = {"id": len(ORDERS) + 1, "user_id": body["user_id"], "status": "open", "items": lines,
             "total": round(sum(x["quantity"] * x["unit_price"] for x in lines), 2), "placed": datetime.now(timezone.utc).date().isoformat()}
    ORDERS.append(order)
    return order


def create_app() -> FastAPI:
    app = install_common(FastAPI(title="orders service"))
    app.include_router(router)
    return app
