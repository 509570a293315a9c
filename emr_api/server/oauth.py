"""The OAuth2 / OpenID Connect authorization server: Authlib's protocol core, adapted to
our app (requests come from Connexion handlers, storage is the site's database).

What is ours: where clients, users, patients and tokens live; OpenEMR's password grant
(user_role users|patient, a per-site switch); refresh-token rotation with reuse
detection; redirect-URI and scope rules at registration; id_token on the token answer."""

from __future__ import annotations

import contextvars
import hmac
import json
import secrets
import time
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc6749.requests import (
    BasicOAuth2Payload,
    JsonPayload,
    JsonRequest,
    OAuth2Request,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError, InvalidRedirectURIError
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from emr_api.db.models import (
    OAuthAccessToken,
    OAuthClient,
    OAuthRefreshToken,
    Patient,
    User,
    utcnow,
)
from emr_api.server import scopes as scope_rules
from emr_api.server.sites import Site
from emr_api.server.tokens import (
    InvalidToken,
    Subject,
    issue_access_token,
    issue_refresh_token,
    live_token_row,
    new_secret,
    revoke_access_token,
    revoke_refresh_family,
    sha256,
    sign_id_token,
    verify_signature,
)

password_hasher = PasswordHasher()
# A real hash to compare against when the user does not exist, so a miss costs the same.
_DUMMY_HASH = password_hasher.hash(secrets.token_hex(8))

# The resource names scopes may mention; filled from the YAML security requirements.
KNOWN_RESOURCES: set[str] = set()


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


# --- the request being served: its site and its one database transaction -------------

class _Call:
    """One Authlib call: its site, its transaction, and the refresh family it continues."""

    def __init__(self, site: Site, session: Session):
        self.site = site
        self.session = session
        self.family_id: str | None = None


_state: contextvars.ContextVar[_Call] = contextvars.ContextVar("oauth_call")


def _site() -> Site:
    return _state.get().site


def _session() -> Session:
    return _state.get().session


class FormRequest(OAuth2Request):
    def __init__(self, method: str, uri: str, headers, form: dict, args: dict | None = None):
        super().__init__(method, uri, headers=headers)
        self._form = {k: v for k, v in form.items() if isinstance(v, str)}
        self._args = args or {}
        self.payload = BasicOAuth2Payload(self._form)

    @property
    def form(self):
        return self._form

    @property
    def args(self):
        return self._args


class _Json(JsonPayload):
    def __init__(self, data):
        self._data = data

    @property
    def data(self):
        return self._data


class BodyJsonRequest(JsonRequest):
    def __init__(self, method, uri, headers, data):
        super().__init__(method, uri, headers)
        self.payload = _Json(data)


# --- models Authlib asks about --------------------------------------------------------

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
        uris = self.metadata.get("redirect_uris") or []
        return uris[0] if uris else None

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


class RefreshCredential:
    def __init__(self, row: OAuthRefreshToken):
        self.row = row

    def check_client(self, client):
        return self.row.client_id == client.get_client_id()

    def get_scope(self):
        return self.row.scope

    def get_expires_in(self):
        return int((self.row.expires_at - utcnow()).total_seconds())

    def is_expired(self):
        return self.row.expires_at <= utcnow()

    def is_revoked(self):
        return self.row.revoked


class AccessCredential:
    """An access token found for introspection or revocation."""

    def __init__(self, row, claims):
        self.row = row
        self.claims = claims

    def check_client(self, client):
        return self.row.client_id == client.get_client_id()


def authenticate(session: Session, role: str | None, username: str, password: str,
                 email: str = "") -> Subject | None:
    """Who these credentials belong to: a staff user (`users`), or a portal patient
    (`patient`, whose email must match too). Used by the password grant and the login page."""
    if role == "users":
        user = session.execute(
            select(User).where(User.username == username, User.active.is_(True))
        ).scalar_one_or_none()
        if check_password(user.password_hash if user else None, password) and user:
            return Subject(role="users", user_uuid=user.uuid)
        return None
    if role != "patient":
        return None
    patient = session.execute(
        select(Patient).where(Patient.portal_username == username)
    ).scalar_one_or_none()
    ok = check_password(patient.portal_password_hash if patient else None, password)
    if ok and patient and email and (patient.email or "").lower() == email.lower():
        return Subject(role="patient", user_uuid=patient.uuid, patient_uuid=patient.uuid)
    return None


# --- grants ---------------------------------------------------------------------------

def grantable_scope(requested: str | None, client: Client, role: str) -> str:
    """What a role may be granted of what was asked and the client registered:
    users get user/ scopes, patients patient/ scopes; system/ only via client credentials."""
    wanted = client.get_allowed_scope(requested or "")
    kept = []
    for s in scope_rules.split(wanted):
        parsed = scope_rules.parse(s)
        if parsed is None or parsed[0] == {"users": "user", "patient": "patient"}[role]:
            kept.append(s)
    if not kept:
        raise InvalidScopeError("None of the requested scopes can be granted")
    return " ".join(kept)


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    """OpenEMR's password grant: `user_role=users` (username, password) or
    `user_role=patient` (username, password, email). Off unless the site turns it on."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def validate_token_request(self):
        if not _site().flag("oauth_password_grant"):
            raise UnsupportedGrantTypeError("The password grant is turned off on this site")
        role = self.request.form.get("user_role")
        if role not in ("users", "patient"):
            raise InvalidRequestError("user_role must be 'users' or 'patient'")
        if role == "patient" and not self.request.form.get("email"):
            raise InvalidRequestError("Missing 'email' for user_role=patient")
        super().validate_token_request()
        self.request.scope = grantable_scope(self.request.payload.scope, self.request.client, role)

    def authenticate_user(self, username, password):
        form = self.request.form
        return authenticate(_session(), form.get("user_role"), username, password,
                            form.get("email", ""))

    def create_token_response(self):
        token = self.generate_token(user=self.request.user, scope=self.request.scope)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class RefreshGrant(grants.RefreshTokenGrant):
    """Rotation: every use returns a new refresh token and retires the old one; a retired
    token used again means it leaked, so its whole family and their access tokens die."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        session = _session()
        # Locked from the first read: concurrent exchanges of one token queue here, so
        # each sees the last one's outcome and none holds other family rows while waiting
        # (which deadlocked PostgreSQL when several losers revoked the family at once).
        row = session.execute(
            select(OAuthRefreshToken)
            .where(OAuthRefreshToken.token_hash == sha256(refresh_token))
            .with_for_update()
        ).scalar_one_or_none()
        if row is None or row.revoked or row.expires_at <= utcnow():
            return None
        if row.used_at is not None:
            revoke_refresh_family(session, row.family_id)
            session.flush()
            return None
        return RefreshCredential(row)

    def authenticate_user(self, refresh_token):
        row = refresh_token.row
        if row.user_role == "users":
            user = _session().execute(
                select(User).where(User.uuid == row.user_uuid, User.active.is_(True))
            ).scalar_one_or_none()
            if user is None:
                return None
        return Subject(role=row.user_role, user_uuid=row.user_uuid, patient_uuid=row.patient_uuid)

    def issue_token(self, user, refresh_token):
        _state.get().family_id = refresh_token.row.family_id
        return super().issue_token(user, refresh_token)

    def revoke_old_credential(self, refresh_token):
        """Retire the token with one conditional UPDATE, so that of concurrent uses only
        one wins (the row lock makes the others see it used); a loser is a reuse."""
        row = refresh_token.row
        session = _session()
        claimed = session.execute(
            update(OAuthRefreshToken)
            .where(OAuthRefreshToken.id == row.id, OAuthRefreshToken.used_at.is_(None),
                   OAuthRefreshToken.revoked.is_(False))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            revoke_refresh_family(session, row.family_id)
            raise InvalidGrantError("The refresh token has already been used")

    def create_token_response(self):
        # The old token is retired before the new one is written, in one transaction.
        refresh_token = self.request.refresh_token
        user = self.authenticate_user(refresh_token)
        if not user:
            raise InvalidGrantError("The user of this refresh token is no longer active")
        self.revoke_old_credential(refresh_token)
        self.request.user = user
        token = self.issue_token(user, refresh_token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


# --- endpoints ------------------------------------------------------------------------

def _client_authenticated_token(request, client):
    """Find an access token (a JWT of this site) or a refresh token, for any client."""
    token = request.form.get("token") or ""
    hint = request.form.get("token_type_hint")
    session = _session()
    if hint != "refresh_token" and token.count(".") == 2:
        try:
            claims = verify_signature(_site(), token)
        except InvalidToken:
            claims = None
        if claims is not None:
            found = live_token_row(session, claims["jti"])
            row = found[0] if found else session.get(OAuthAccessToken, claims["jti"])
            if row is not None:
                return AccessCredential(row, claims)
    row = session.execute(
        select(OAuthRefreshToken).where(OAuthRefreshToken.token_hash == sha256(token))
    ).scalar_one_or_none()
    return RefreshCredential(row) if row is not None else None


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return None  # unused: authenticate_token below finds the token

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = _client_authenticated_token(request, client)
        if token is not None and token.check_client(client):
            return token
        return None

    def create_introspection_payload(self, token):
        if token is None:
            return {"active": False}
        if isinstance(token, AccessCredential):
            row = token.row
            if live_token_row(_session(), row.jti) is None:
                return {"active": False}
            c = token.claims
            return {"active": True, "token_type": "Bearer", "scope": row.scope,
                    "client_id": row.client_id, "sub": c.get("sub"), "aud": c.get("aud"),
                    "iss": c.get("iss"), "exp": c.get("exp"), "iat": c.get("iat"),
                    "jti": row.jti}
        row = token.row
        if row.revoked or row.used_at is not None or row.expires_at <= utcnow():
            return {"active": False}
        return {"active": True, "token_type": "refresh_token", "scope": row.scope,
                "client_id": row.client_id, "sub": row.user_uuid,
                "exp": int(row.expires_at.timestamp()), "iss": _site().issuer}

    def check_permission(self, token, client, request):
        return token.check_client(client)

    def introspect_token(self, token):
        return self.create_introspection_payload(token)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return None

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = _client_authenticated_token(request, client)
        if token is not None and token.check_client(client):
            return token
        return None

    def revoke_token(self, token, request):
        if isinstance(token, AccessCredential):
            revoke_access_token(_session(), token.row.jti)
        else:
            revoke_refresh_family(_session(), token.row.family_id)


class Registration(ClientRegistrationEndpoint):
    def authenticate_token(self, request):
        return True  # open dynamic registration, as OpenEMR

    def get_server_metadata(self):
        return None

    def extract_client_metadata(self, request):
        data = request.payload.data
        if not isinstance(data, dict) or not data:
            raise InvalidClientMetadataError("The registration body must be a JSON object")
        return validate_client_metadata(data)

    def generate_client_info(self, request):
        info = super().generate_client_info(request)
        if request.payload.data.get("token_endpoint_auth_method") == "none" or \
                request.payload.data.get("application_type") == "public":
            info["client_secret"] = None
        return info

    def generate_client_id(self, request):
        return secrets.token_urlsafe(32)

    def generate_client_secret(self, request):
        return new_secret(64)

    def save_client(self, client_info, client_metadata, request):
        site = _site()
        registration_access_token = new_secret(32)
        row = OAuthClient(
            client_id=client_info["client_id"],
            client_secret_hash=sha256(client_info["client_secret"]) if client_info["client_secret"] else None,
            registration_access_token_hash=sha256(registration_access_token),
            client_name=client_metadata["client_name"],
            metadata_json=json.dumps(client_metadata),
            is_confidential=client_info["client_secret"] is not None,
            is_enabled=not site.flag("oauth_app_manual_approval"),
            issued_at=client_info["client_id_issued_at"],
        )
        _session().add(row)
        request.registration_access_token = registration_access_token
        return row

    def generate_client_registration_info(self, client, request):
        return {
            "registration_access_token": request.registration_access_token,
            "registration_client_uri": f"{_site().issuer}/client/{client.client_id}",
        }


def validate_client_metadata(data: dict) -> dict:
    """RFC 7591 metadata with OpenEMR's rules; the accepted metadata is returned."""
    def bad(message):
        raise InvalidClientMetadataError(message)

    name = data.get("client_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255 or \
            any(c < " " for c in name):
        bad("client_name is required (1-255 characters, no control characters)")
    app_type = data.get("application_type", "private")
    if app_type not in ("private", "public"):
        bad("application_type must be 'private' or 'public'")
    method = data.get("token_endpoint_auth_method",
                      "none" if app_type == "public" else "client_secret_post")
    if method not in ("client_secret_post", "client_secret_basic", "none"):
        bad("token_endpoint_auth_method must be client_secret_post, client_secret_basic or none")
    if (method == "none") != (app_type == "public"):
        bad("public apps use token_endpoint_auth_method 'none'; private apps a client secret")
    redirect_uris = data.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris:
        raise InvalidRedirectURIError("redirect_uris must be a non-empty list")
    for uri in redirect_uris + list(data.get("post_logout_redirect_uris") or []):
        check_redirect_uri(uri)
    scope = data.get("scope", "")
    if not isinstance(scope, str):
        bad("scope must be a space-separated string")
    requested = scope_rules.split(scope)
    unknown = [s for s in requested if not scope_rules.is_known(s, KNOWN_RESOURCES)]
    if unknown:
        bad(f"Unknown scope(s): {quote(' '.join(unknown)[:200], safe=' :/.*$')}")
    contacts = data.get("contacts") or []
    if not isinstance(contacts, list) or not all(isinstance(c, str) for c in contacts):
        bad("contacts must be a list of strings")
    grant_types = ["authorization_code", "refresh_token", "password"]
    return {
        "client_name": name.strip(),
        "application_type": app_type,
        "token_endpoint_auth_method": method,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": list(data.get("post_logout_redirect_uris") or []),
        "contacts": contacts,
        "scope": " ".join(requested),
        "grant_types": grant_types,
        "response_types": ["code"],
        "client_role": "patient" if "api:port" in requested and "api:oemr" not in requested else "user",
    }


def check_redirect_uri(uri) -> None:
    if not isinstance(uri, str) or len(uri) > 2048:
        raise InvalidRedirectURIError("A redirect URI must be a string")
    # RFC 6749 allows only printable ASCII without '"' and '\\' in error_description
    # (Authlib raises otherwise): show the URI percent-encoded.
    shown = quote(uri[:200], safe=":/?#[]@!$&'()*+,;=%~")
    try:
        parts = urlsplit(uri)
        hostname = parts.hostname or ""
    except ValueError:
        raise InvalidRedirectURIError(f"Not a valid URI: {shown}") from None
    scheme = parts.scheme.lower()
    if scheme in ("javascript", "data", "vbscript", "file") or not scheme:
        raise InvalidRedirectURIError(f"Redirect URI scheme not allowed: {shown}")
    if parts.fragment or "#" in uri:
        raise InvalidRedirectURIError(f"A redirect URI must not have a fragment: {shown}")
    if scheme == "http" and hostname not in ("localhost", "127.0.0.1", "::1"):
        raise InvalidRedirectURIError(f"Plain http is allowed only for loopback hosts: {shown}")
    if scheme in ("http", "https") and not hostname:
        raise InvalidRedirectURIError(f"A redirect URI needs a host: {shown}")


def grant_types_supported(site: Site) -> list[str]:
    return ["authorization_code"] + (["password"] if site.flag("oauth_password_grant") else []) + [
        "refresh_token"]


# --- the server -----------------------------------------------------------------------

class EmrAuthorizationServer(AuthorizationServer):
    def __init__(self):
        super().__init__()
        # The authorization code grant (PKCE, OIDC) and end-session logout are registered
        # by emr_api.server.authorize, imported at the end of this module.
        self.register_grant(PasswordGrant)
        self.register_grant(RefreshGrant)
        self.register_endpoint(Introspection)
        self.register_endpoint(Revocation)
        self.register_endpoint(Registration)

    def query_client(self, client_id):
        row = _session().get(OAuthClient, client_id) if client_id else None
        return Client(row) if row is not None and row.is_enabled else None

    def save_token(self, token, request):
        pass  # tokens are recorded as they are generated, in generate_token

    def generate_token(self, grant_type, client, user=None, scope=None, expires_in=None,
                       include_refresh_token=True):
        site, session = _site(), _session()
        granted = scope_rules.split(scope)
        refresh_token = refresh_id = None
        if include_refresh_token and "offline_access" in granted:
            family = _state.get().family_id
            refresh_token, refresh_id = issue_refresh_token(
                session, site, client_id=client.get_client_id(), subject=user, scope=scope,
                family_id=family)
        access_token, lifetime = issue_access_token(
            session, site, client_id=client.get_client_id(), subject=user, scope=scope,
            refresh_token_id=refresh_id)
        token = {"token_type": "Bearer", "access_token": access_token,
                 "expires_in": lifetime, "scope": scope}
        if refresh_token:
            token["refresh_token"] = refresh_token
        if "openid" in granted:
            now = int(time.time())
            token["id_token"] = sign_id_token(site, {
                "iss": site.issuer, "sub": user.user_uuid, "aud": client.get_client_id(),
                "iat": now, "exp": now + lifetime, "auth_time": now,
            })
        return token

    def create_oauth2_request(self, request):
        return request

    def create_json_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, dict(headers)

    def send_signal(self, name, *args, **kwargs):
        pass


SERVER = EmrAuthorizationServer()


def run(site: Site, session: Session, call, request):
    """Run one Authlib call with this request's site and transaction."""
    token = _state.set(_Call(site, session))
    try:
        return call(request)
    finally:
        _state.reset(token)


# The browser half (authorization code + PKCE + OIDC, logout) registers itself on SERVER
# when it loads; imported last so either module may be imported first.
from emr_api.server import authorize as _authorize  # noqa: E402,F401
