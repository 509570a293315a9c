"""OpenID Connect: the id_token of the code flow (signed with the site key, carrying the
request's nonce) and of the password grant, and RP-initiated logout."""

from __future__ import annotations

import time

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.core import grants as oidc_grants
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import select

from emr_api.db.models import OAuthAuthorizationCode
from emr_api.identity import Identity
from emr_api.oauth2 import call
from emr_api.oauth2.storage import revoke_subject_tokens
from emr_api.sites import Site
from emr_api.sites.keys import SIGNING_ALG


def sign_id_token(site: Site, claims: dict) -> str:
    key = site.keys.signing_key
    return jwt.encode({"alg": SIGNING_ALG, "kid": key.kid, "typ": "JWT"}, claims, key)


def id_token_claims(site: Site, identity: Identity, client_id: str, lifetime: int) -> dict:
    now = int(time.time())
    return {"iss": site.issuer, "sub": identity.subject, "aud": client_id,
            "iat": now, "exp": now + lifetime, "auth_time": now}


class OpenIDCodeFlow(oidc_grants.OpenIDCode):
    """id_token for `openid` requests of the code flow."""

    def exists_nonce(self, nonce, request):
        found = call.current().session.execute(
            select(OAuthAuthorizationCode.id).where(
                OAuthAuthorizationCode.client_id == request.payload.client_id,
                OAuthAuthorizationCode.nonce == nonce).limit(1)).first()
        return found is not None

    def resolve_client_private_key(self, client):
        return call.current().site.keys.signing_key

    def get_client_algorithm(self, client):
        return SIGNING_ALG

    def get_encode_header(self, client):
        return {"alg": SIGNING_ALG, "kid": call.current().site.keys.signing_key.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        site = call.current().site
        return {"iss": site.issuer, "aud": client.get_client_id(),
                "exp": int(time.time()) + site.int_global("access_token_lifetime")}

    def generate_user_info(self, user, scope):
        return {"sub": user.subject}


class EndSession(EndSessionEndpoint):
    """RP-initiated logout: the id_token_hint must be an ID token of this site; logging
    out revokes that subject's access and refresh tokens for that client."""

    def validate_request(self, request):
        hint = request.payload.data.get("id_token_hint")
        if hint:
            try:
                header = jws.extract_compact(hint.encode()).protected
            except (JoseError, ValueError, UnicodeError):
                raise InvalidRequestError("'id_token_hint' is not a JWT") from None
            if header.get("typ") != "JWT":
                raise InvalidRequestError("'id_token_hint' is not an ID token")
        validated = super().validate_request(request)
        claims = validated.id_token_claims
        if claims is not None:
            if claims.get("iss") != call.current().site.issuer or not isinstance(claims.get("sub"), str):
                raise InvalidRequestError("'id_token_hint' was not issued by this site")
            if not isinstance(claims.get("aud"), str):
                raise InvalidRequestError("'id_token_hint' has no single audience")
        return validated

    def get_server_jwks(self):
        return call.current().site.keys.key_set()

    def get_algorithms(self):
        return [SIGNING_ALG]

    def end_session(self, end_session_request):
        claims = end_session_request.id_token_claims
        if claims is not None:
            revoke_subject_tokens(call.current().session, client_id=claims["aud"],
                                  subject=claims["sub"])
