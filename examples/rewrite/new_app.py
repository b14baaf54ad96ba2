"""The lending library rewritten in FastAPI, independently of the Flask service: its own JWT
secret and login answer, FastAPI's error shape (`{"detail": ...}`), REST statuses (201 on
create, 204 on delete, 403 for a role that may not), a numeric `id` on books and loans,
timestamps ending in "Z", and `available` fixed to count only loans still out.

Run: python examples/rewrite/new_app.py --port 8200
Its JWT secret comes from LIBRARY_NEW_SECRET (default "new-dev-secret").

A regression can be switched on at run time, to show triage catching what nobody accepted:
POST /__admin/regression {"mode": "off"|"no-author"|"late-due"|"clock-ahead"} (initial mode from
LIBRARY_REGRESSION). `no-author` drops `author` from books, a field both sides answered the same
way before. `late-due` makes new loans due a day later than legacy's (an off-by-one loan period).
`clock-ahead` is not a regression: new stamps loans and returns 2 seconds later, as a mirror that
lags does, which the plan's `timestampTolerance` accepts.
"""
import argparse
import os
import threading
from datetime import datetime, timedelta, timezone

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response

import hs256
from library_data import LOAN_DAYS, T0, build

SECRET = os.environ.get("LIBRARY_NEW_SECRET", "new-dev-secret")
DATA = build()
BOOKS = {b["isbn"]: dict(b, id=i) for i, b in enumerate(DATA["books"], start=1)}
MEMBERS = {m["username"]: m for m in DATA["members"]}
LOANS = DATA["loans"]
LOCK = threading.Lock()
REPORT_DAY = T0 + timedelta(days=20)
REGRESSIONS = ("off", "no-author", "late-due", "clock-ahead")
state = {"regression": os.environ.get("LIBRARY_REGRESSION", "off")}
if state["regression"] not in REGRESSIONS:
    state["regression"] = "off"

app = FastAPI(title="lending library")


def stamp():
    """The clock a write is stamped with (seconds), 2 s ahead under `clock-ahead`."""
    at = datetime.now(timezone.utc).replace(microsecond=0)
    return at + timedelta(seconds=2) if state["regression"] == "clock-ahead" else at


def iso(t):
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if t is not None else None


def book_json(b):
    out = sum(1 for l in LOANS if l["isbn"] == b["isbn"] and l["returned_at"] is None)
    book = {
        "id": b["id"],
        "isbn": b["isbn"],
        "title": b["title"],
        "author": b["author"],
        "year": b["year"],
        "copies": b["copies"],
        "available": b["copies"] - out,
    }
    if state["regression"] == "no-author":
        del book["author"]
    return book


def loan_json(l):
    return {
        "id": l["n"],
        "loan_ref": l["loan_ref"],
        "isbn": l["isbn"],
        "member": l["member"],
        "loaned_at": iso(l["loaned_at"]),
        "due_at": iso(l["due_at"]),
        "returned_at": iso(l["returned_at"]),
    }


def user(request: Request):
    claims = hs256.verify(hs256.bearer(request.headers.get("authorization")) or "", SECRET)
    if claims is None or claims.get("sub") not in MEMBERS:
        raise HTTPException(401, "authentication required")
    return MEMBERS[claims["sub"]]


@app.post("/api/auth/login")
async def login(request: Request):
    body = await request.json()
    m = MEMBERS.get(body.get("username"))
    if m is None or m["password"] != body.get("password"):
        raise HTTPException(401, "wrong username or password")
    return {"access_token": hs256.issue({"sub": m["username"], "role": m["role"]}, SECRET), "token_type": "bearer"}


@app.get("/api/books")
def books(_u=Depends(user)):
    with LOCK:
        return {"books": [book_json(b) for b in BOOKS.values()]}


@app.get("/api/books/{isbn}")
def book(isbn: str, _u=Depends(user)):
    b = BOOKS.get(isbn)
    if b is None:
        raise HTTPException(404, f"no book with isbn {isbn}")
    with LOCK:
        return book_json(b)


@app.get("/api/loans")
def my_loans(u=Depends(user)):
    with LOCK:
        return {"loans": [loan_json(l) for l in LOANS if l["member"] == u["username"]]}


@app.post("/api/loans", status_code=201)
async def borrow(request: Request, u=Depends(user)):
    body = await request.json()
    b = BOOKS.get(body.get("isbn"))
    if b is None:
        raise HTTPException(404, f"no book with isbn {body.get('isbn')}")
    with LOCK:
        active = sum(1 for l in LOANS if l["isbn"] == b["isbn"] and l["returned_at"] is None)
        if active >= b["copies"]:
            raise HTTPException(409, "no copy available")
        n = len(LOANS) + 1
        at = stamp()
        days = LOAN_DAYS + 1 if state["regression"] == "late-due" else LOAN_DAYS
        loan = {
            "n": n,
            "loan_ref": f"L-{n:04d}",
            "isbn": b["isbn"],
            "member": u["username"],
            "loaned_at": at,
            "due_at": at + timedelta(days=days),
            "returned_at": None,
        }
        LOANS.append(loan)
        return loan_json(loan)


@app.delete("/api/loans/{ref}", status_code=204)
def give_back(ref: str, u=Depends(user)):
    with LOCK:
        loan = next((l for l in LOANS if l["loan_ref"] == ref and l["member"] == u["username"]), None)
        if loan is None or loan["returned_at"] is not None:
            raise HTTPException(404, f"no open loan {ref}")
        loan["returned_at"] = stamp()
    return Response(status_code=204)


@app.get("/api/reports/overdue")
def overdue(u=Depends(user)):
    if u["role"] != "librarian":
        raise HTTPException(403, "librarians only")
    with LOCK:
        late = [loan_json(l) for l in LOANS if l["returned_at"] is None and l["due_at"] < REPORT_DAY]
    return {"as_of": iso(REPORT_DAY), "loans": late}


@app.get("/__admin/regression")
def get_regression():
    return {"mode": state["regression"]}


@app.post("/__admin/regression")
async def set_regression(request: Request):
    try:
        body = await request.json()
    except ValueError:
        body = None
    mode = body.get("mode") if isinstance(body, dict) else None
    if mode not in REGRESSIONS:
        raise HTTPException(400, f"mode must be one of {', '.join(REGRESSIONS)}")
    state["regression"] = mode
    return {"mode": mode}


@app.get("/healthz")
def healthz():
    return {"ok": True}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The lending library, rewritten in FastAPI.")
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    print(f"new library on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
