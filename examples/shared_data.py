"""Deterministic seed data shared by the legacy monolith and the new services.

Both sides build the same users, products and orders from a fixed seed, so their answers can be
compared field by field; only the deliberate differences and the noise (timestamps, request ids,
random recommendations) differ.
"""
import random

SEED = 20261124
ROLES = ["admin", "customer", "support"]
CATEGORIES = ["books", "garden", "kitchen", "music", "toys"]
STATUSES = ["open", "paid", "shipped", "cancelled"]
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Greta", "Hugo", "Ines", "Jonas"]
LAST = ["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Garcia"]
ADJ = ["Classic", "Compact", "Deluxe", "Eco", "Golden", "Handy", "Modern", "Rustic"]
NOUN = ["Lamp", "Kettle", "Novel", "Rake", "Guitar", "Puzzle", "Teapot", "Shovel", "Atlas", "Drum"]


def build():
    rng = random.Random(SEED)
    users = []
    for i in range(1, 51):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        users.append({
            "id": i,
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{i}@example.com",
            "role": ROLES[i % len(ROLES)],
            "address": {"city": rng.choice(["Lyon", "Paris", "Nantes", "Lille"]), "zip": f"{rng.randint(10, 95)}{rng.randint(0, 999):03d}"},
            "created": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        })
    products = []
    for i in range(1, 41):
        products.append({
            "id": i,
            "name": f"{rng.choice(ADJ)} {rng.choice(NOUN)}",
            "category": CATEGORIES[i % len(CATEGORIES)],
            "price": round(rng.uniform(3, 120), 2),
            "stock": rng.randint(0, 50),
        })
    orders = []
    for i in range(1, 121):
        lines = []
        for _ in range(rng.randint(1, 4)):
            p = rng.choice(products)
            lines.append({"product_id": p["id"], "quantity": rng.randint(1, 3), "unit_price": p["price"]})
        orders.append({
            "id": i,
            "user_id": rng.randint(1, 50),
            "status": rng.choice(STATUSES),
            "items": lines,
            "total": round(sum(line["quantity"] * line["unit_price"] for line in lines), 2),
            "placed": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        })
    return users, products, orders


def paginate(items, args, default_per_page=10):
    """(page, per_page, slice, error) from query args; error is a message for a 400."""
    try:
        page = int(args.get("page", 1))
        per_page = int(args.get("per_page", default_per_page))
    except (TypeError, ValueError):
        return None, None, None, "page and per_page must be whole numbers"
    if page < 1 or per_page < 1 or per_page > 100:
        return None, None, None, "page must be >= 1 and per_page between 1 and 100"
    start = (page - 1) * per_page
    return page, per_page, items[start:start + per_page], None


def sales_report(orders, products):
    by_category = {}
    for o in orders:
        if o["status"] == "cancelled":
            continue
        for line in o["items"]:
            cat = next(p["category"] for p in products if p["id"] == line["product_id"])
            by_category[cat] = round(by_category.get(cat, 0) + line["quantity"] * line["unit_price"], 2)
    counted = [o for o in orders if o["status"] != "cancelled"]
    return {
        "totals": {"orders": len(counted), "revenue": round(sum(o["total"] for o in counted), 2)},
        "by_category": [{"category": c, "revenue": by_category[c]} for c in sorted(by_category)],
    }


def top_products(orders, products, limit):
    qty = {}
    for o in orders:
        for line in o["items"]:
            qty[line["product_id"]] = qty.get(line["product_id"], 0) + line["quantity"]
    ranked = sorted(qty.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    names = {p["id"]: p["name"] for p in products}
    return [{"product_id": pid, "name": names[pid], "quantity": q} for pid, q in ranked]


def validate_user(body):
    errors = {}
    if not isinstance(body, dict):
        return {"body": "expected a JSON object"}
    if not isinstance(body.get("name"), str) or not body.get("name", "").strip():
        errors["name"] = "required"
    if not isinstance(body.get("email"), str) or "@" not in body.get("email", ""):
        errors["email"] = "a valid email is required"
    if body.get("role", "customer") not in ROLES:
        errors["role"] = f"one of {', '.join(ROLES)}"
    return errors


def validate_order(body, users, products):
    errors = {}
    if not isinstance(body, dict):
        return {"body": "expected a JSON object"}
    if not any(u["id"] == body.get("user_id") for u in users):
        errors["user_id"] = "unknown user"
    items = body.get("items")
    if not isinstance(items, list) or not items:
        errors["items"] = "at least one item"
    else:
        for i, line in enumerate(items):
            if not isinstance(line, dict) or not any(p["id"] == line.get("product_id") for p in products):
                errors[f"items[{i}].product_id"] = "unknown product"
            elif not isinstance(line.get("quantity"), int) or line["quantity"] < 1:
                errors[f"items[{i}].quantity"] = "a whole number >= 1"
    return errors
