"""The legacy lending library (Flask): books, loans and an overdue report behind its own JWT
login. Written as the service was before its rewrite, including a bug: a book's `available`
counts returned loans as still out.

Run: python examples/rewrite/legacy_app.py --port 5200
Its JWT secret comes from LIBRARY_LEGACY_SECRET (default "legacy-dev-secret").
"""
import argparse
import logging
import os
import threading
from datetime import datetime, timedelta, timezone

from flask import Flask, g, jsonify, request

import hs256
from library_data import LOAN_DAYS, T0, build

SECRET = os.environ.get("LIBRARY_LEGACY_SECRET", "legacy-dev-secret")
DATA = build()
BOOKS = {b["isbn"]: b for b in DATA["books"]}
MEMBERS = {m["username"]: m for m in DATA["members"]}
LOANS = DATA["loans"]
LOCK = threading.Lock()
REPORT_DAY = T0 + timedelta(days=20)

app = Flask("library-legacy")


def iso(t):
    return t.isoformat() if t is not None else None


def error(status, message):
    return jsonify({"error": {"message": message}}), status


def book_json(b):
    # The bug: every loan ever made counts against the copies, returned or not.
    out = sum(1 for l in LOANS if l["isbn"] == b["isbn"])
    return {
        "isbn": b["isbn"],
        "title": b["title"],
        "author": b["author"],
        "year": b["year"],
        "copies": b["copies"],
        "available": max(0, b["copies"] - out),
    }


def loan_json(l):
    return {
        "loan_ref": l["loan_ref"],
        "isbn": l["isbn"],
        "member": l["member"],
        "loaned_at": iso(l["loaned_at"]),
        "due_at": iso(l["due_at"]),
        "returned_at": iso(l["returned_at"]),
    }


@app.before_request
def authenticate():
    if not request.path.startswith("/api/") or request.path == "/api/auth/login":
        return None
    claims = hs256.verify(hs256.bearer(request.headers.get("Authorization")) or "", SECRET)
    if claims is None or claims.get("sub") not in MEMBERS:
        return error(401, "authentication required")
    g.user = MEMBERS[claims["sub"]]
    return None


@app.post("/api/auth/login")
def login():
    body = request.get_json(silent=True) or {}
    m = MEMBERS.get(body.get("username"))
    if m is None or m["password"] != body.get("password"):
        return error(401, "wrong username or password")
    return jsonify({"token": hs256.issue({"sub": m["username"], "role": m["role"]}, SECRET)})


@app.get("/api/books")
def books():
    with LOCK:
        return jsonify({"books": [book_json(b) for b in BOOKS.values()]})


@app.get("/api/books/<isbn>")
def book(isbn):
    b = BOOKS.get(isbn)
    if b is None:
        return error(404, f"no book with isbn {isbn}")
    with LOCK:
        return jsonify(book_json(b))


@app.get("/api/loans")
def my_loans():
    with LOCK:
        return jsonify({"loans": [loan_json(l) for l in LOANS if l["member"] == g.user["username"]]})


@app.post("/api/loans")
def borrow():
    body = request.get_json(silent=True) or {}
    b = BOOKS.get(body.get("isbn"))
    if b is None:
        return error(404, f"no book with isbn {body.get('isbn')}")
    with LOCK:
        active = sum(1 for l in LOANS if l["isbn"] == b["isbn"] and l["returned_at"] is None)
        if active >= b["copies"]:
            return error(409, "no copy available")
        n = len(LOANS) + 1
        at = datetime.now(timezone.utc).replace(microsecond=0)
        loan = {
            "n": n,
            "loan_ref": f"L-{n:04d}",
            "isbn": b["isbn"],
            "member": g.user["username"],
            "loaned_at": at,
            "due_at": at + timedelta(days=LOAN_DAYS),
            "returned_at": None,
        }
        LOANS.append(loan)
        return jsonify(loan_json(loan))


@app.delete("/api/loans/<ref>")
def give_back(ref):
    with LOCK:
        loan = next((l for l in LOANS if l["loan_ref"] == ref and l["member"] == g.user["username"]), None)
        if loan is None or loan["returned_at"] is not None:
            return error(404, f"no open loan {ref}")
        loan["returned_at"] = datetime.now(timezone.utc).replace(microsecond=0)
        return jsonify({"returned": True, "loan_ref": ref})


@app.get("/api/reports/overdue")
def overdue():
    if g.user["role"] != "librarian":
        return error(401, "librarians only")
    with LOCK:
        late = [loan_json(l) for l in LOANS if l["returned_at"] is None and l["due_at"] < REPORT_DAY]
    return jsonify({"as_of": iso(REPORT_DAY), "loans": late})


@app.get("/healthz")
def healthz():
    return jsonify({"ok": True})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The legacy lending library (Flask).")
    parser.add_argument("--port", type=int, default=5200)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"legacy library on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, threaded=True)
