"""Deterministic seed data for the greenhouse service, shared by the legacy app and its port.

Both apps build the same greenhouses, zones, plants, sensors, growers and alerts from a fixed
seed, so their answers can be compared field by field. Records are kept in the legacy storage
shape; each app renders them in its own way.
"""
import random
from datetime import datetime, timedelta, timezone

SEED = 20240501
CROPS = ["tomato", "basil", "pepper", "lettuce", "strawberry", "cucumber", "mint", "chili"]
VARIETIES = ["Roma", "Genovese", "Padron", "Butterhead", "Gariguette", "Marketmore", "Spearmint", "Habanero"]
FIRST = ["Ana", "Bram", "Chiara", "Dmitri", "Elif", "Femi", "Gosia", "Hana", "Ivo", "Jun", "Kasia", "Lior"]
MIDDLE = ["Maria", "Jan", "Noor"]
LAST = ["Okafor", "Lindqvist", "Moretti", "Novak", "Yilmaz", "Adeyemi", "Kowalska", "Sato"]
KINDS = ["temperature", "humidity", "co2", "light", "soil_moisture"]
UNITS = {"temperature": "C", "humidity": "%", "co2": "ppm", "light": "lux", "soil_moisture": "%"}
SEVERITIES = ["info", "warning", "critical"]
EPOCH = datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)


def build():
    rng = random.Random(SEED)
    greenhouses = []
    for i in range(1, 7):
        greenhouses.append({
            "id": i,
            "name": f"House {chr(64 + i)}",
            "area_m2": rng.choice([120, 180, 240, 300]),
            "heated": i % 2 == 0,
            "location": {"site": rng.choice(["north", "south", "east"]), "row": rng.randint(1, 9)},
            "opened_on": f"20{rng.randint(15, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        })
    zones = {gh["id"]: [
        {"code": f"{gh['id']}-{z}", "name": f"Bench {z}", "irrigated": rng.random() < 0.7}
        for z in range(1, 4)
    ] for gh in greenhouses}
    plants = []
    for i in range(1, 49):
        k = rng.randrange(len(CROPS))
        plants.append({
            "id": i,
            "greenhouse_id": (i - 1) % 6 + 1,
            "crop": CROPS[k],
            "variety": VARIETIES[k],
            "planted_on": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "care": {
                "water_ml": rng.choice([150, 250, 400, 600]),
                "light_hours": rng.choice([10, 12, 14, 16]),
                "fertiliser": rng.choice(["none", "nitrogen", "potash", "compost tea"]),
            },
        })
    sensors = []
    for i in range(1, 41):
        kind = KINDS[i % len(KINDS)]
        sensors.append({
            "id": i,
            "greenhouse_id": (i - 1) % 6 + 1,
            "kind": kind,
            "unit": UNITS[kind],
            "model": rng.choice(["SHT31", "SCD41", "BH1750", "TEROS-12"]),
            "installed_at": EPOCH - timedelta(days=rng.randint(100, 900), hours=rng.randint(0, 23)),
            "last_calibrated_at": EPOCH + timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 59) * 5),
            "latest": {
                "value": round(rng.uniform(5, 95), 1),
                "taken_at": EPOCH + timedelta(days=200, seconds=rng.randint(0, 86_399)),
            },
        })
    growers = []
    for i in range(1, 13):
        growers.append({
            "id": i,
            "first_name": FIRST[i - 1],
            # Most growers have no middle name; the legacy API always writes the key.
            "middle_name": MIDDLE[i % 3] if i % 4 == 0 else None,
            "last_name": rng.choice(LAST),
            "greenhouse_ids": sorted(rng.sample(range(1, 7), rng.randint(1, 3))),
        })
    alerts = []
    for i in range(1, 31):
        alerts.append({
            "id": i,
            "sensor_id": rng.randint(1, 40),
            "severity": rng.choice(SEVERITIES),
            "message": rng.choice(["above range", "below range", "no data for 10 min", "battery low"]),
            "raised_at": EPOCH + timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 1439)),
        })
    return {
        "greenhouses": greenhouses,
        "zones": zones,
        "plants": plants,
        "sensors": sensors,
        "growers": growers,
        "alerts": alerts,
    }


def climate(greenhouse_id):
    """The current climate of a greenhouse: fixed per greenhouse so both apps agree."""
    rng = random.Random(SEED * 7 + greenhouse_id)
    return {"temperature_c": round(rng.uniform(16, 29), 1), "humidity_pct": rng.randint(45, 90)}


def energy(greenhouse_id):
    """Energy use of the last seven days (kWh per day)."""
    rng = random.Random(SEED * 11 + greenhouse_id)
    days = [round(rng.uniform(20, 80), 2) for _ in range(7)]
    return {"days": days, "total_kwh": round(sum(days), 2)}


def forecast(greenhouse_id, days):
    """Expected daily highs (°C) for the next `days` days."""
    rng = random.Random(SEED * 13 + greenhouse_id)
    return [round(rng.uniform(14, 31), 1) for _ in range(days)]


def firmware(sensor_id):
    """The sensor's firmware: a 64-bit build number, past what a double holds exactly."""
    return {"version": f"4.{sensor_id % 7}.{sensor_id % 3}", "build": 2**53 + 2 * sensor_id + 1}
