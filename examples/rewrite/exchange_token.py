"""Token exchange for the router (identity per side): reads the client's legacy credential from
PHOENIX_CLIENT_CREDENTIAL ("Bearer <legacy JWT>"), checks it with the legacy secret, and prints
a token for the same user signed with the new service's secret, as JSON {"token": ...}.
It exits non-zero for a credential legacy would refuse, so the router does not mirror it with
a made-up identity.

The router runs it as: exchange: { command: [python3, examples/rewrite/exchange_token.py] }
Secrets: LIBRARY_LEGACY_SECRET and LIBRARY_NEW_SECRET, as the two apps read them.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hs256  # noqa: E402

LEGACY = os.environ.get("LIBRARY_LEGACY_SECRET", "legacy-dev-secret")
NEW = os.environ.get("LIBRARY_NEW_SECRET", "new-dev-secret")

claims = hs256.verify(hs256.bearer(os.environ.get("PHOENIX_CLIENT_CREDENTIAL")) or "", LEGACY)
if claims is None:
    print("the credential is not a valid legacy token", file=sys.stderr)
    sys.exit(2)
print(json.dumps({"token": hs256.issue({"sub": claims["sub"], "role": claims.get("role")}, NEW, ttl_s=600)}))
