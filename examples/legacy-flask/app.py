"""The legacy monolith: one Flask app with four endpoint families (users, orders, catalog,
reports) as blueprints, with realistic behaviour — pagination and filters, 404s, validation
errors, a CSV export, POSTs with side effects — and realistic noise: generated timestamps,
request ids and a random recommendations list.

Run: python examples/legacy-flask/app.py --port 5000
"""
import argparse
import csv
import io
import logging
import os
import random
import sys
import uuid
from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, g, jsonify, request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from shared_data import build, paginate, sales_report, top_products, validate_order, validate_user  # noqa: E402

USERS, PRODUCTS, ORDERS = build()


def meta():
    return {"generated_at": datetime.now(timezone.utc).isoformat(), "request_id": g.request_id}


def error(status, code, message, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    return jsonify(body), status


users = Blueprint("users", __name__, url_prefix="/api/users")


@users.get("")
def list_users():
    items = USERS
    role = request.args.get("role")
    if role:
        items = [u for u in items if u["role"] == role]
    page, per_page, chunk, err = paginate(items, request.args)
    if err:
        return error(400, "bad_request", err)
    return jsonify({"items": chunk, "page": page, "per_page": per_page, "total": len(items), "meta": meta()})


@users.get("/<int:user_id>")
def get_user(user_id):
    user = next((u for u in USERS if u["id"] == user_id), None)
    if user is None:
        return error(404, "not_found", f"no user {user_id}")
    return jsonify(user)


@users.post("")
def create_user():
    body = request.get_json(silent=True)
    errors = validate_user(body)
    if errors:
        return error(400, "validation_failed", "the user is not valid", fields=errors)
    user = {"id": len(USERS) + 1, "name": body["name"].strip(), "email": body["email"], "role": body.get("role", "customer"), "address": None, "created": datetime.now(timezone.utc).date().isoformat()}
    USERS.append(user)
    return jsonify(user), 201


@users.get("/<int:user_id>/recommendations")
def recommendations(user_id):
    if not any(u["id"] == user_id for u in USERS):
        return error(404, "not_found", f"no user {user_id}")
    picks = random.sample(PRODUCTS, 3)
    return jsonify({"user_id": user_id, "recommendations": [{"id": p["id"], "name": p["name"]} for p in picks], "meta": meta()})


orders = Blueprint("orders", __name__, url_prefix="/api/orders")


@orders.get("")
def list_orders():
    items = ORDERS
    status = request.args.get("status")
    if status:
        items = [o for o in items if o["status"] == status]
    page, per_page, chunk, err = paginate(items, request.args)
    if err:
        return error(400, "bad_request", err)
    summary = [{"id": o["id"], "user_id": o["user_id"], "status": o["status"], "total": o["total"]} for o in chunk]
    return jsonify({"items": summary, "page": page, "per_page": per_page, "total": len(items), "meta": meta()})


@orders.get("/<int:order_id>")
def get_order(order_id):
    order = next((o for o in ORDERS if o["id"] == order_id), None)
    if order is None:
        return error(404, "not_found", f"no order {order_id}")
    return jsonify(order)


@orders.get("/<int:order_id>/items")
def order_items(order_id):
    order = next((o for o in ORDERS if o["id"] == order_id), None)
    if order is None:
        return error(404, "not_found", f"no order {order_id}")
    return jsonify({"order_id": order_id, "items": order["items"]})


@orders.post("")
def create_order():
    body = request.get_json(silent=True)
    errors = validate_order(body, USERS, PRODUCTS)
    if errors:
        return error(400, "validation_failed", "the order is not valid", fields=errors)
    by_id = {p["id"]: p for p in PRODUCTS}
    lines = [{"product_id": i["product_id"], "quantity": i["quantity"], "unit_price": by_id[i["product_id"]]["price"]} for i in body["items"]]
    order = {"id": len(ORDERS) + 1, "user_id": body["user_id"], "status": "open", "items": lines,
             "total": round(sum(x["quantity"] * x["unit_price"] for x in lines), 2), "placed": datetime.now(timezone.utc).date().isoformat()}
    ORDERS.append(order)
    return jsonify(order), 201


catalog = Blueprint("catalog", __name__, url_prefix="/api/catalog")


@catalog.get("/products")
def list_products():
    items = PRODUCTS
    category = request.args.get("category")
    if category:
        items = [p for p in items if p["category"] == category]
    q = request.args.get("q")
    if q:
        items = [p for p in items if q.lower() in p["name"].lower()]
    page, per_page, chunk, err = paginate(items, request.args)
    if err:
        return error(400, "bad_request", err)
    return jsonify({"items": chunk, "page": page, "per_page": per_page, "total": len(items)})


@catalog.get("/products/<int:product_id>")
def get_product(product_id):
    product = next((p for p in PRODUCTS if p["id"] == product_id), None)
    if product is None:
        return error(404, "not_found", f"no product {product_id}")
    return jsonify(product)


@catalog.get("/categories")
def categories():
    counts = {}
    for p in PRODUCTS:
        counts[p["category"]] = counts.get(p["category"], 0) + 1
    return jsonify({"categories": [{"name": c, "products": counts[c]} for c in sorted(counts)]})


reports = Blueprint("reports", __name__, url_prefix="/api/reports")


@reports.get("/sales")
def sales():
    return jsonify({**sales_report(ORDERS, PRODUCTS), "meta": meta()})


@reports.get("/sales.csv")
def sales_csv():
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["category", "revenue"])
    for row in sales_report(ORDERS, PRODUCTS)["by_category"]:
        w.writerow([row["category"], f"{row['revenue']:.2f}"])
    return Response(out.getvalue(), mimetype="text/csv")


@reports.get("/top-products")
def top():
    try:
        limit = int(request.args.get("limit", 5))
    except ValueError:
        return error(400, "bad_request", "limit must be a whole number")
    if limit < 1 or limit > 40:
        return error(400, "bad_request", "limit must be between 1 and 40")
    return jsonify({"items": top_products(ORDERS, PRODUCTS, limit), "meta": meta()})


def create_app():
    app = Flask("legacy-monolith")
    for bp in (users, orders, catalog, reports):
        app.register_blueprint(bp)

    @app.before_request
    def assign_request_id():
        g.request_id = str(uuid.uuid4())

    @app.after_request
    def add_request_id(resp):
        resp.headers["X-Request-Id"] = g.get("request_id", "")
        return resp

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True})

    @app.errorhandler(404)
    def not_found(_e):
        return error(404, "not_found", f"no route for {request.method} {request.path}")

    @app.errorhandler(405)
    def not_allowed(_e):
        return error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")

    return app


app = create_app()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The example legacy monolith (Flask).")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"legacy monolith on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, threaded=True)
