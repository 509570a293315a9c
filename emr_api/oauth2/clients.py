"""Registered clients, as Authlib asks about them, and who may sign in to each."""

from __future__ import annotations

import hmac
import json

from authlib.oauth2.rfc6749 import ClientMixin
from sqlalchemy.orm import Session

from emr_api import scopes as scope_rules
from emr_api.db.models import OAuthClient
from emr_api.identity import Role
from emr_api.oauth2.storage import sha256


class Client(ClientMixin):
    def __init__(self, row: OAuthClient):
        self.row = row
        self.metadata = json.loads(row.metadata_json)

    @property
    def client_id(self) -> str:
        return self.row.client_id

    def get_client_id(self):
        return self.row.client_id

    @property
    def client_metadata(self) -> dict:
        return self.metadata

    def get_default_redirect_uri(self):
        # RFC 6749 §3.1.2.3: with several registered, the request must name one.
        uris = self.metadata.get("redirect_uris") or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope):
        registered = scope_rules.split(self.metadata.get("scope"))
        return " ".join(s for s in scope_rules.split(scope) if scope_rules.covered(registered, s))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in (self.metadata.get("redirect_uris") or [])

    def check_client_secret(self, client_secret):
        stored = self.row.client_secret_hash
        return bool(stored) and hmac.compare_digest(stored, sha256(client_secret))

    def check_endpoint_auth_method(self, method, endpoint):
        if not self.row.is_enabled:
            return False
        if self.row.is_confidential:
            return method in ("client_secret_basic", "client_secret_post")
        return method == "none"

    def check_response_type(self, response_type):
        return response_type in (self.metadata.get("response_types") or ["code"])

    def check_grant_type(self, grant_type):
        return grant_type in (self.metadata.get("grant_types") or [])

    def roles(self) -> list[Role]:
        """Who may sign in to this client: staff unless it is a patient-only app (or a public
        one); patients when it registered `api:port` or a patient/ scope."""
        registered = scope_rules.split(self.metadata.get("scope"))
        roles = [] if self.metadata.get("client_role") == "patient" else [Role.USER]
        if "api:port" in registered or any(s.startswith("patient/") for s in registered):
            roles.append(Role.PATIENT)
        return roles


def find_client(session: Session, client_id: str | None) -> Client | None:
    """An enabled client by id, or None (also for an id no client can have: one holding
    U+0000, which may come Basic-encoded)."""
    row = session.get(OAuthClient, client_id) if client_id and "\x00" not in client_id else None
    return Client(row) if row is not None and row.is_enabled else None
