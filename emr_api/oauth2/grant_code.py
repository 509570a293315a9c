"""The authorization code grant (RFC 6749 section 4.1): where codes live, and the checks
beyond Authlib's. PKCE is `rfc7636.py`, OpenID Connect on top of it `oidc.py`; the login
and consent pages that lead to a code are `pages.py`."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oidc.core.models import AuthorizationCodeMixin
from joserfc import jws
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from emr_api.auth.tokens import audience_of
from emr_api.codegen.apis import APIS
from emr_api.db.models import OAuthAuthorizationCode, utcnow
from emr_api.identity import Identity
from emr_api.oauth2 import call
from emr_api.oauth2.storage import revoke_access_token, revoke_refresh_family, sha256
from emr_api.oauth2.subjects import still_valid

CODE_LIFETIME_SECONDS = 120
MAX_NONCE_LENGTH = 255


class IssuedCode(AuthorizationCodeMixin):
    """A stored authorization code, as Authlib asks about it."""

    def __init__(self, row: OAuthAuthorizationCode):
        self.row = row

    def get_redirect_uri(self):
        return self.row.redirect_uri

    def get_scope(self):
        return self.row.scope

    def get_nonce(self):
        return self.row.nonce

    def get_auth_time(self):
        return self.row.auth_time


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        try:
            self._validate_extras()
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def _validate_extras(self):
        data = self.request.payload.data
        if data.get("response_mode", "query") != "query":
            raise InvalidRequestError("Only response_mode=query is supported")
        if len(data.get("nonce") or "") > MAX_NONCE_LENGTH:
            raise InvalidRequestError(f"'nonce' is longer than {MAX_NONCE_LENGTH} characters")
        aud = data.get("aud")
        site = call.current().site
        if aud and aud.rstrip("/") not in {audience_of(site, api) for api in APIS
                                           if api.prefix == "apis"}:
            raise InvalidRequestError("'aud' is not an API of this site")

    def save_authorization_code(self, code, request):
        session = call.current().session
        now = utcnow()
        # Codes are kept a day past expiry (replay detection), then swept on the way.
        session.execute(delete(OAuthAuthorizationCode).where(
            OAuthAuthorizationCode.expires_at < now - timedelta(days=1)))
        data = request.payload.data
        user: Identity = request.user
        row = OAuthAuthorizationCode(
            id=secrets.token_hex(16), code_hash=sha256(code), ticket_jti=request.ticket_jti,
            client_id=request.client.get_client_id(), redirect_uri=request.payload.redirect_uri,
            scope=request.scope, user_role=user.role.value, user_uuid=user.user_uuid,
            patient_uuid=user.patient_uuid, code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            nonce=data.get("nonce") or None, auth_time=request.auth_time,
            created_at=now, expires_at=now + timedelta(seconds=CODE_LIFETIME_SECONDS))
        try:
            with session.begin_nested():  # a savepoint: a double submit must not end in a 500
                session.add(row)
        except IntegrityError:
            raise InvalidRequestError("This request was already answered") from None

    def query_authorization_code(self, code, client):
        """The code, claimed for this exchange. Claiming is a conditional UPDATE, so of
        two concurrent exchanges only one wins; a code seen again revokes what it gave."""
        session = call.current().session
        row = session.execute(select(OAuthAuthorizationCode).where(
            OAuthAuthorizationCode.code_hash == sha256(code or ""))).scalar_one_or_none()
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            if row.token_jti:
                revoke_access_token(session, row.token_jti)
            revoke_refresh_family(session, row.id)
            return None
        if row.expires_at <= utcnow():
            return None
        claimed = session.execute(
            update(OAuthAuthorizationCode)
            .where(OAuthAuthorizationCode.id == row.id, OAuthAuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow()).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            return None
        return IssuedCode(row)

    def delete_authorization_code(self, authorization_code):
        pass  # already marked used when claimed; the row stays for replay detection

    def authenticate_user(self, authorization_code):
        row = authorization_code.row
        # Refresh tokens from this code form a family named by the code's row, so that a
        # replayed code can revoke them.
        call.current().family_id = row.id
        identity = Identity(role=row.user_role, user_uuid=row.user_uuid,
                            patient_uuid=row.patient_uuid)
        return identity if still_valid(call.current().session, identity) else None

    def save_token(self, token):
        payload = jws.extract_compact(token["access_token"].encode()).payload
        self.request.authorization_code.row.token_jti = json.loads(payload)["jti"]
        return super().save_token(token)
