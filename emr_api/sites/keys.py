"""A site's RSA signing keys: generated at first start, stored in the site's database,
published at `/oauth2/{site}/jwk`. Only the public halves are kept in memory for
verification; the private key is loaded once for signing."""

from __future__ import annotations

import json
import threading
import time

from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select

from emr_api.db.engine import Database
from emr_api.db.models import SiteKey

SIGNING_ALG = "RS256"
RELOAD_AFTER_SECONDS = 10.0


class KeyRing:
    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()
        self._signing: RSAKey | None = None
        self._public: dict[str, RSAKey] = {}
        self._jwks: list[dict] = []
        self._loaded_at = 0.0

    def ensure(self) -> None:
        """Create the site's first key if it has none, then load keys."""
        with self.db.write() as s:
            if s.execute(select(SiteKey.kid).limit(1)).first() is None:
                key = RSAKey.generate_key(2048, private=True)
                kid = key.thumbprint()
                public = {**key.as_dict(private=False), "kid": kid, "use": "sig",
                          "alg": SIGNING_ALG}
                s.add(SiteKey(kid=kid, private_pem=key.as_pem(private=True).decode(),
                              public_jwk=json.dumps(public), active=True))
        self.reload()

    def reload(self) -> None:
        with self.db.read() as s:
            rows = s.execute(select(SiteKey).order_by(SiteKey.created_at)).scalars().all()
            public = {r.kid: RSAKey.import_key(json.loads(r.public_jwk)) for r in rows}
            active = [r for r in rows if r.active]
            signing = None
            if active:
                signing = RSAKey.import_key(active[-1].private_pem,
                                            parameters={"kid": active[-1].kid})
            jwks = [json.loads(r.public_jwk) for r in rows]
        with self._lock:
            self._public = public
            self._signing = signing
            self._jwks = jwks
            self._loaded_at = time.monotonic()

    @property
    def signing_key(self) -> RSAKey:
        assert self._signing is not None
        return self._signing

    def public_key(self, kid: str) -> RSAKey | None:
        """The public key for `kid`; an unknown kid re-reads the database once (another
        process may have rotated), then gives up."""
        key = self._public.get(kid)
        if key is None and time.monotonic() - self._loaded_at > RELOAD_AFTER_SECONDS:
            # Bounded, so a stream of forged kids cannot turn into a query per request.
            self.reload()
            key = self._public.get(kid)
        return key

    def key_set(self) -> KeySet:
        return KeySet(list(self._public.values()))

    def jwks(self) -> dict:
        return {"keys": list(self._jwks)}
