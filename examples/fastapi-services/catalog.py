"""The catalog service: a redesigned API. A product comes wrapped in a `data` envelope and its
`name` is called `title`; the plan's adapters (unwrap `$.data`, rename `$.title` to `$.name`)
give legacy clients their contract back."""
from fastapi import APIRouter, FastAPI, Request

from common import PRODUCTS, error, install_common
from shared_data import paginate

router = APIRouter(prefix="/api/catalog")


@router.get("/products")
async def list_products(request: Request):
    items = PRODUCTS
    category = request.query_params.get("category")
    if category:
        items = [p for p in items if p["category"] == category]
    q = request.query_params.get("q")
    if q:
        items = [p for p in items if q.lower() in p["name"].lower()]
    page, per_page, chunk, err = paginate(items, request.query_params)
    if err:
        return error(400, "bad_request", err)
    return {"items": chunk, "page": page, "per_page": per_page, "total": len(items)}


@router.get("/products/{product_id}")
async def get_product(product_id: int):
    product = next((p for p in PRODUCTS if p["id"] == product_id), None)
    if product is None:
        return error(404, "not_found", f"no product {product_id}")
    redesigned = {("title" if k == "name" else k): v for k, v in product.items()}
    return {"data": redesigned}


@router.get("/categories")
async def categories():
    counts = {}
    for p in PRODUCTS:
        counts[p["category"]] = counts.get(p["category"], 0) + 1
    return {"categories": [{"name": c, "products": counts[c]} for c in sorted(counts)]}


def create_app() -> FastAPI:
    app = install_common(FastAPI(title="catalog service"))
    app.include_router(router)
    return app
