"""A minimal HS256 JWT (RFC 7519) with the standard library only. Each app signs and checks its
own tokens with its own secret; nothing here is shared between the two sides but the code.
"""
import base64
import hashlib
import hmac
import json
import time


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(claims: dict, secret: str, ttl_s: int = 3600) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = dict(claims, exp=int(time.time()) + ttl_s)
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(sig)}"


def verify(token: str, secret: str):
    """The token's claims, or None when its signature, form or expiry is wrong."""
    try:
        header, payload, sig = token.split(".")
        want = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(want, _unb64(sig)):
            return None
        claims = json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError):
        return None
    if claims.get("exp", 0) < time.time():
        return None
    return claims


def bearer(header_value):
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not header_value or not header_value.startswith("Bearer "):
        return None
    return header_value[len("Bearer "):].strip()
