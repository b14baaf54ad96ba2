"""Runs the new services: one of them, or all of them on one port.

    python examples/fastapi-services/main.py --service all --port 8001
    python examples/fastapi-services/main.py --service users --port 8101
"""
import argparse
import os
import sys

import uvicorn
from fastapi import FastAPI

sys.path.insert(0, os.path.dirname(__file__))
import catalog  # noqa: E402
import orders  # noqa: E402
import reports  # noqa: E402
import users  # noqa: E402
from common import install_common  # noqa: E402

SERVICES = {"users": users, "orders": orders, "catalog": catalog, "reports": reports}


def create_app(service: str) -> FastAPI:
    if service != "all":
        return SERVICES[service].create_app()
    app = install_common(FastAPI(title="new services (all)"))
    app.include_router(users.router)
    app.include_router(orders.router)
    app.include_router(catalog.router)
    app.include_router(reports.router)
    app.include_router(reports.admin)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The example new services (FastAPI).")
    parser.add_argument("--service", choices=["all", *SERVICES], default="all")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    print(f"new services ({args.service}) on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(create_app(args.service), host=args.host, port=args.port, log_level="warning", access_log=False)
