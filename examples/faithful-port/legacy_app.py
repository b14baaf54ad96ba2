"""The legacy greenhouse service (Flask): greenhouses, their zones, plants and climate, sensors
and their readings, growers and alerts, all in memory from greenhouse_data.py.

Run: python examples/faithful-port/legacy_app.py --port 5100
"""
import argparse
import json
import logging
import random
import secrets
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, jsonify, request

from greenhouse_data import build, climate, energy, firmware, forecast

DATA = build()
GREENHOUSES = {g["id"]: g for g in DATA["greenhouses"]}
PLANTS = {p["id"]: p for p in DATA["plants"]}
SENSORS = {s["id"]: s for s in DATA["sensors"]}
GROWERS = {g["id"]: g for g in DATA["growers"]}
ALERTS = {a["id"]: a for a in DATA["alerts"]}
READINGS = []
ACKS = []

app = Flask("greenhouse-legacy")


def now():
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def error(status, code, message):
    return jsonify({"error": {"code": code, "message": message}}), status


def greenhouse_or_404(gh_id):
    gh = GREENHOUSES.get(gh_id)
    if gh is None:
        return None, error(404, "not_found", f"no greenhouse {gh_id}")
    return gh, None


def sensor_summary(s):
    return {"id": s["id"], "greenhouse_id": s["greenhouse_id"], "kind": s["kind"], "unit": s["unit"], "model": s["model"]}


@app.get("/api/greenhouses")
def list_greenhouses():
    items = [{"id": g["id"], "name": g["name"], "area_m2": g["area_m2"]} for g in GREENHOUSES.values()]
    return jsonify({"items": items, "total": len(items)})


@app.get("/api/greenhouses/<int:gh_id>")
def get_greenhouse(gh_id):
    gh, err = greenhouse_or_404(gh_id)
    if err:
        return err
    resp = jsonify(gh)
    resp.headers["Cache-Control"] = "max-age=60"
    return resp


# The canonical URL has a trailing slash: /zones redirects (308) to /zones/.
@app.get("/api/greenhouses/<int:gh_id>/zones/")
def list_zones(gh_id):
    gh, err = greenhouse_or_404(gh_id)
    if err:
        return err
    return jsonify({"greenhouse_id": gh_id, "zones": DATA["zones"][gh_id]})


@app.get("/api/greenhouses/<int:gh_id>/plants")
def list_plants(gh_id):
    gh, err = greenhouse_or_404(gh_id)
    if err:
        return err
    plants = [{"id": p["id"], "crop": p["crop"], "variety": p["variety"]} for p in PLANTS.values() if p["greenhouse_id"] == gh_id]
    # The inspection round is drawn at random on every request.
    random.shuffle(plants)
    return jsonify({"greenhouse_id": gh_id, "plants": plants})


@app.get("/api/greenhouses/<int:gh_id>/climate")
def get_climate(gh_id):
    gh, err = greenhouse_or_404(gh_id)
    if err:
        return err
    return jsonify({"greenhouse_id": gh_id, **climate(gh_id), "generated_at": now()})


@app.get("/api/greenhouses/<int:gh_id>/energy")
def get_energy(gh_id):
    gh, err = greenhouse_or_404(gh_id)
    if err:
        return err
    return jsonify({"greenhouse_id": gh_id, **energy(gh_id)})


@app.get("/api/greenhouses/<int:gh_id>/forecast")
def get_forecast(gh_id):
    gh, err = greenhouse_or_404(gh_id)
    if err:
        return err
    days = request.args.get("days", 7, type=int)
    if days not in (1, 3, 7, 14):
        return error(400, "bad_request", "days must be 1, 3, 7 or 14")
    return jsonify({"greenhouse_id": gh_id, "days": days, "highs": forecast(gh_id, days)})


@app.get("/api/greenhouses/<int:gh_id>/export")
def export_greenhouse(gh_id):
    gh, err = greenhouse_or_404(gh_id)
    if err:
        return err
    doc = {"greenhouse": gh, "zones": DATA["zones"][gh_id], "plant_ids": sorted(p["id"] for p in PLANTS.values() if p["greenhouse_id"] == gh_id)}
    return Response(json.dumps(doc, sort_keys=True), mimetype="application/json")


@app.get("/api/plants/<int:plant_id>")
def get_plant(plant_id):
    p = PLANTS.get(plant_id)
    if p is None:
        return error(404, "not_found", f"no plant {plant_id}")
    return jsonify(p)


@app.get("/api/sensors")
def list_sensors():
    try:
        page = int(request.args.get("page", "1"))
        per_page = int(request.args.get("per_page", "10"))
    except ValueError:
        return error(400, "bad_request", "page and per_page must be whole numbers")
    if page < 1 or per_page < 1 or per_page > 50:
        return error(400, "bad_request", "page must be ≥ 1 and per_page between 1 and 50")
    items = [sensor_summary(s) for s in SENSORS.values()]
    start = (page - 1) * per_page
    return jsonify({"items": items[start:start + per_page], "page": page, "per_page": per_page, "total": len(items)})


@app.get("/api/sensors/<int:sensor_id>")
def get_sensor(sensor_id):
    s = SENSORS.get(sensor_id)
    if s is None:
        return error(404, "not_found", f"no sensor {sensor_id}")
    return jsonify({
        **sensor_summary(s),
        "installed_at": s["installed_at"].isoformat(),
        "last_calibrated_at": s["last_calibrated_at"].isoformat(),
    })


@app.get("/api/sensors/<int:sensor_id>/firmware")
def get_firmware(sensor_id):
    s = SENSORS.get(sensor_id)
    if s is None:
        return error(404, "not_found", f"no sensor {sensor_id}")
    return jsonify({"sensor_id": sensor_id, **firmware(sensor_id)})


@app.get("/api/sensors/<int:sensor_id>/latest")
def latest_reading(sensor_id):
    s = SENSORS.get(sensor_id)
    if s is None:
        return error(404, "not_found", f"no sensor {sensor_id}")
    latest = s["latest"]
    return jsonify({
        "sensor_id": sensor_id,
        "reading": {"value": latest["value"], "unit": s["unit"], "taken_at": latest["taken_at"].isoformat()},
    })


@app.post("/api/readings")
def create_reading():
    body = request.get_json(silent=True) or {}
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
    return jsonify({**reading, "request_id": str(uuid.uuid4())}), 201


@app.get("/api/growers/<int:grower_id>")
def get_grower(grower_id):
    g = GROWERS.get(grower_id)
    if g is None:
        return error(404, "not_found", f"no grower {grower_id}")
    return jsonify(g)


@app.get("/api/alerts/<alert_id>")
def get_alert(alert_id):
    if not alert_id.isdigit():
        return error(400, "bad_request", f"alert id must be a number, got {alert_id!r}")
    a = ALERTS.get(int(alert_id))
    if a is None:
        return error(404, "not_found", f"no alert {alert_id}")
    return jsonify({**a, "raised_at": a["raised_at"].isoformat()})


@app.post("/api/alerts/<int:alert_id>/ack")
def ack_alert(alert_id):
    if alert_id not in ALERTS:
        return error(404, "not_found", f"no alert {alert_id}")
    body = request.get_json(silent=True) or {}
    by = body.get("by")
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
    return jsonify(ack), 201


@app.get("/healthz")
def healthz():
    return jsonify({"ok": True})


@app.errorhandler(404)
def not_found(_e):
    return error(404, "not_found", f"no route for {request.method} {request.path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The legacy greenhouse service (Flask).")
    parser.add_argument("--port", type=int, default=5100)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"legacy greenhouse service on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, threaded=True)
