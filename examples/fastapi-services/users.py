"""The users service: faithful to the legacy users endpoints, up to noise."""
import random
from datetime import datetime, timezone

from fastapi import APIRouter, FastAPI, Request

from common import PRODUCTS, USERS, error, install_common, meta
from shared_data import paginate, validate_user

router = APIRouter(prefix="/api/users")


@router.get("")
async def list_users(request: Request):
    items = USERS
    role = request.query_params.get("role")
    if role:
        items = [u for u in items if u["role"] == role]
    page, per_page, chunk, err = paginate(items, request.query_params)
    if err:
        return error(400, "bad_request", err)
    return {"items": chunk, "page": page, "per_page": per_page, "total": len(items), "meta": meta()}


@router.get("/{user_id}")
async def get_user(user_id: int):
    user = next((u for u in USERS if u["id"] == user_id), None)
    if user is None:
        return error(404, "not_found", f"no user {user_id}")
    return user


@router.post("", status_code=201)
async def create_user(request: Request):
    try:
        body = await request.json()
    except Exception:
        body = None
    errors = validate_user(body)
    if errors:
        return error(400, "validation_failed", "the user is not valid", fields=errors)
    user = {"id": len(USERS) + 1, "name": body["name"].strip(), "email": body["email"], "role": body.get("role", "customer"), "address": None, "created": datetime.now(timezone.utc).date().isoformat()}
    USERS.append(user)
    return user


@router.get("/{user_id}/recommendations")
async def recommendations(user_id: int):
    if not any(u["id"] == user_id for u in USERS):
        return error(404, "not_found", f"no user {user_id}")
    picks = random.sample(PRODUCTS, 3)
    return {"user_id": user_id, "recommendations": [{"id": p["id"], "name": p["name"]} for p in picks], "meta": meta()}


def create_app() -> FastAPI:
    app = install_common(FastAPI(title="users service"))
    app.include_router(router)
    return app
