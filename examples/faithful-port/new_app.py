"""The greenhouse service ported to FastAPI: the same routes and data as legacy_app.py, written
the way a FastAPI service usually is (typed path parameters, timestamps ending in "Z", lower-case
header names, no trailing-slash URLs). Some routes are faithful, some are not; README.md lists
which.

Run: python examples/faithful-port/new_app.py --port 8100
"""
import argparse
import asyncio
import json
import random
import secrets
import uuid
from datetime import datetime, timezone

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from greenhouse_data import build, climate, energy, firmware, forecast

DATA = build()
GREENHOUSES = {g["id"]: g for g in DATA["greenhouses"]}
PLANTS = {p["id"]: p for p in DATA["plants"]}
SENSORS = {s["id"]: s for s in DATA["sensors"]}
GROWERS = {g["id"]: g for g in DATA["growers"]}
ALERTS = {a["id"]: a for a in DATA["alerts"]}
READINGS = []
ACKS = []

app = FastAPI(title="greenhouse service")


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def now() -> str:
    return iso(datetime.now(timezone.utc).replace(microsecond=0))


def error(status, code, message):
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def no_greenhouse(gh_id):
    return error(404, "not_found", f"no greenhouse {gh_id}")


def sensor_summary(s):
    return {"id": s["id"], "kind": s["kind"], "unit": s["unit"], "model": s["model"], "greenhouse_id": s["greenhouse_id"]}


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException):
    if exc.status_code == 404:
        return error(404, "not_found", f"no route for {request.method} {request.url.path}")
    return error(exc.status_code, "error", str(exc.detail))


@app.get("/api/greenhouses")
async def list_greenhouses():
    items = [{"id": g["id"], "name": g["name"], "area_m2": g["area_m2"]} for g in GREENHOUSES.values()]
    return {"total": len(items), "items": items}


@app.get("/api/greenhouses/{gh_id}")
async def get_greenhouse(gh_id: int):
    gh = GREENHOUSES.get(gh_id)
    if gh is None:
        return no_greenhouse(gh_id)
    body = {
        "id": gh["id"],
        "name": gh["name"],
        "location": {"row": gh["location"]["row"], "site": gh["location"]["site"]},
        "heated": gh["heated"],
        "area_m2": gh["area_m2"],
        "opened_on": gh["opened_on"],
    }
    return JSONResponse(body, headers={"cache-control": "max-age=60"})


# No trailing slash here: /zones/ redirects (307) to /zones.
@app.get("/api/greenhouses/{gh_id}/zones")
async def list_zones(gh_id: int):
    if gh_id not in GREENHOUSES:
        return no_greenhouse(gh_id)
    return {"zones": DATA["zones"][gh_id], "greenhouse_id": gh_id}


@app.get("/api/greenhouses/{gh_id}/plants")
async def list_plants(gh_id: int):
    if gh_id not in GREENHOUSES:
        return no_greenhouse(gh_id)
    plants = [{"id": p["id"], "crop": p["crop"], "variety": p["variety"]} for p in PLANTS.values() if p["greenhouse_id"] == gh_id]
    random.shuffle(plants)
    return {"greenhouse_id": gh_id, "plants": plants}


@app.get("/api/greenhouses/{gh_id}/climate")
async def get_climate(gh_id: int):
    if gh_id not in GREENHOUSES:
        return no_greenhouse(gh_id)
    return {"generated_at": now(), "greenhouse_id": gh_id, **climate(gh_id)}


@app.get("/api/greenhouses/{gh_id}/energy")
async def get_energy(gh_id: int):
    if gh_id not in GREENHOUSES:
        return no_greenhouse(gh_id)
    # Reads seven daily meter files where legacy read one summary: same answer, 150 ms later.
    await asyncio.sleep(0.15)
    return {"greenhouse_id": gh_id, **energy(gh_id)}


@app.get("/api/greenhouses/{gh_id}/forecast")
async def get_forecast(gh_id: int, days: int = 7):
    if gh_id not in GREENHOUSES:
        return no_greenhouse(gh_id)
    if days not in (1, 3, 7, 14):
        return error(400, "bad_request", "days must be 1, 3, 7 or 14")
    # The two-week forecast now asks the weather service for the second week: same answer, 120 ms
    # later, and only for days=14.
    if days == 14:
        await asyncio.sleep(0.12)
    return {"greenhouse_id": gh_id, "days": days, "highs": forecast(gh_id, days)}


@app.get("/api/greenhouses/{gh_id}/export")
async def export_greenhouse(gh_id: int):
    gh = GREENHOUSES.get(gh_id)
    if gh is None:
        return no_greenhouse(gh_id)
    doc = {"greenhouse": gh, "zones": DATA["zones"][gh_id], "plant_ids": sorted(p["id"] for p in PLANTS.values() if p["greenhouse_id"] == gh_id)}
    return Response(content=json.dumps(doc, sort_keys=True), media_type="text/plain")


@app.get("/api/plants/{plant_id}")
async def get_plant(plant_id: int):
    p = PLANTS.get(plant_id)
    if p is None:
        return error(404, "not_found", f"no plant {plant_id}")
    care = {"water_ml": p["care"]["water_ml"], "light_hours": p["care"]["light_hours"]}
    return {**p, "care": care}


@app.get("/api/sensors")
async def list_sensors(request: Request):
    try:
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("per_page", "10"))
    except ValueError:
        return error(400, "bad_request", "page and per_page must be whole numbers")
    if page < 1 or per_page < 1 or per_page > 50:
        return error(400, "bad_request", "page must be ≥ 1 and per_page between 1 and 50")
    items = [sensor_summary(s) for s in SENSORS.values()]
    start = (page - 1) * per_page + (1 if page > 1 else 0)
    return {"items": items[start:start + per_page], "page": page, "per_page": per_page, "total": len(items)}


@app.get("/api/sensors/{sensor_id}")
async def get_sensor(sensor_id: int):
    s = SENSORS.get(sensor_id)
    if s is None:
        return error(404, "not_found", f"no sensor {sensor_id}")
    return {**sensor_summary(s), "installed_at": iso(s["installed_at"]), "last_calibrated_at": iso(s["last_calibrated_at"])}


@app.get("/api/sensors/{sensor_id}/firmware")
async def get_firmware(sensor_id: int):
    s = SENSORS.get(sensor_id)
    if s is None:
        return error(404, "not_found", f"no sensor {sensor_id}")
    fw = firmware(sensor_id)
    # The build number now comes from a YAML inventory read as a float for the sensors of the
    # beta ring (every third one): its last digit moves.
    if sensor_id % 3 == 0:
        fw["build"] = int(float(fw["build"]))
    return {"sensor_id": sensor_id, **fw}


@app.get("/api/sensors/{sensor_id}/latest")
async def latest_reading(sensor_id: int):
    s = SENSORS.get(sensor_id)
    if s is None:
        return error(404, "not_found", f"no sensor {sensor_id}")
    latest = s["latest"]
    return {"sensor_id": sensor_id, "reading": {"value": str(latest["value"]), "unit": s["unit"], "taken_at": iso(latest["taken_at"])}}


@app.post("/api/readings", status_code=201)
async def create_reading(request: Request):
    try:
        body = await request.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    sensor_id, value = body.get("sensor_id"), body.get("value")
    if not isinstance(sensor_id, int) or sensor_id not in SENSORS:
        return error(400, "bad_request", "sensor_id must name a known sensor")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return error(400, "bad_request", "value must be a number")
    reading = {
        "id": str(uuid.uuid4()),
        "sensor_id": sensor_id,
        "value": value,
        "unit": SENSORS[sensor_id]["unit"],
        "received_at": now(),
    }
    READINGS.append(reading)
    return {"request_id": str(uuid.uuid4()), **reading}


@app.get("/api/growers/{grower_id}")
async def get_grower(grower_id: int):
    g = GROWERS.get(grower_id)
    if g is None:
        return error(404, "not_found", f"no grower {grower_id}")
    # Unset fields are left out, as the service's response models do.
    return {k: v for k, v in g.items() if v is not None}


@app.get("/api/alerts/{alert_id}")
async def get_alert(alert_id: int):
    a = ALERTS.get(alert_id)
    if a is None:
        return error(404, "not_found", f"no alert {alert_id}")
    return {**a, "raised_at": iso(a["raised_at"])}


@app.post("/api/alerts/{alert_id}/ack", status_code=201)
async def ack_alert(alert_id: int, request: Request):
    if alert_id not in ALERTS:
        return error(404, "not_found", f"no alert {alert_id}")
    try:
        body = await request.json()
    except ValueError:
        body = {}
    by = body.get("by") if isinstance(body, dict) else None
    if not isinstance(by, str) or not by:
        return error(400, "bad_request", "by must name who acknowledges the alert")
    ack = {
        "ack_id": str(uuid.uuid4()),
        "alert_id": alert_id,
        "by": by,
        "acknowledged_at": now(),
        "receipt": secrets.token_hex(16),
    }
    ACKS.append(ack)
    return ack


@app.get("/healthz")
async def healthz():
    return {"ok": True}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The greenhouse service, ported to FastAPI.")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    print(f"new greenhouse service on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
