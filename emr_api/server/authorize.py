"""The browser half of the authorization server: the authorization code grant with PKCE
(S256 only, required for every client), OpenID Connect on top of it (id_token with the
request's nonce), the login and consent pages, and RP-initiated logout.

Protocol checks are Authlib's (`AuthorizationCodeGrant`, `CodeChallenge`, `OpenIDCode`,
`EndSessionEndpoint`); what is ours is where codes live, who may sign in, and how the
pages carry the request from one form to the next.

No server memory between pages. The validated authorization request travels through
the forms as a *ticket*: a short-lived JWT signed with the site key (header typ
`emr-authz+jwt`, audience `<issuer>/authorize`), so any server process can continue a
flow another began. The login ticket names the request; the consent ticket adds who
signed in and what may be offered. A ticket cannot be forged or altered, and it is the
only authority the POSTs accept: there is no session cookie for a cross-site form to
ride on, and a consent ticket is only obtained by submitting the password. A consent
ticket yields at most one code (its `jti` is unique among codes), and a code injected
into another browser's flow is useless without that flow's PKCE verifier.

Errors follow RFC 6749 section 4.1.2.1: until the client and its redirect URI are known
to be good, the error is shown on a page and never redirected; afterwards the user agent
goes back to the client with `error` and `state`."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core import grants as oidc_grants
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.rpinitiated import EndSessionEndpoint
from jinja2 import Environment, PackageLoader, select_autoescape
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from emr_api.db.models import (
    OAuthAccessToken,
    OAuthAuthorizationCode,
    OAuthClient,
    OAuthRefreshToken,
    Patient,
    User,
    utcnow,
)
from emr_api.server import oauth
from emr_api.server import scopes as scope_rules
from emr_api.server.keys import SIGNING_ALG
from emr_api.server.sites import Site
from emr_api.server.tokens import Subject, revoke_access_token, revoke_refresh_family, sha256

CODE_LIFETIME_SECONDS = 120
LOGIN_TICKET_SECONDS = 600
CONSENT_TICKET_SECONDS = 300
TICKET_TYP = "emr-authz+jwt"
MAX_NONCE_LENGTH = 255

# The authorization request parameters this server reads (and carries in the ticket).
AUTHORIZE_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                    "code_challenge", "code_challenge_method", "nonce", "aud", "prompt",
                    "login_hint", "response_mode")

ROLE_LABELS = {"users": "Staff member", "patient": "Patient (portal account)"}


# --- storage of codes, and the grant ------------------------------------------------

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


class S256Challenge(CodeChallenge):
    """PKCE required for every client, S256 only: Authlib's default also takes `plain`
    and treats a missing method as `plain`; both are refused here."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with "
                                      "'code_challenge_method=S256'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.row.code_challenge_method


class OpenIDCodeFlow(oidc_grants.OpenIDCode):
    """id_token for `openid` requests, signed with the site key, carrying the nonce."""

    def exists_nonce(self, nonce, request):
        found = oauth._session().execute(
            select(OAuthAuthorizationCode.id).where(
                OAuthAuthorizationCode.client_id == request.payload.client_id,
                OAuthAuthorizationCode.nonce == nonce).limit(1)).first()
        return found is not None

    def resolve_client_private_key(self, client):
        return oauth._site().keys.signing_key

    def get_client_algorithm(self, client):
        return SIGNING_ALG

    def get_encode_header(self, client):
        return {"alg": SIGNING_ALG, "kid": oauth._site().keys.signing_key.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        site = oauth._site()
        return {"iss": site.issuer, "aud": client.get_client_id(),
                "exp": int(time.time()) + site.int_global("access_token_lifetime")}

    def generate_user_info(self, user, scope):
        return {"sub": user.user_uuid}


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
        if aud:
            site = oauth._site()
            served = {site.api_url(api) for api in ("api", "fhir", "portal")}
            if aud.rstrip("/") not in served:
                raise InvalidRequestError("'aud' is not an API of this site")

    def save_authorization_code(self, code, request):
        session = oauth._session()
        now = utcnow()
        # Codes are kept a day past expiry (replay detection), then swept on the way.
        session.execute(delete(OAuthAuthorizationCode).where(
            OAuthAuthorizationCode.expires_at < now - timedelta(days=1)))
        data = request.payload.data
        user: Subject = request.user
        row = OAuthAuthorizationCode(
            id=secrets.token_hex(16), code_hash=sha256(code), ticket_jti=request.ticket_jti,
            client_id=request.client.get_client_id(), redirect_uri=request.payload.redirect_uri,
            scope=request.scope, user_role=user.role, user_uuid=user.user_uuid,
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
        session = oauth._session()
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
        oauth._state.get().family_id = row.id
        session = oauth._session()
        if row.user_role == "users":
            user = session.execute(select(User).where(
                User.uuid == row.user_uuid, User.active.is_(True))).scalar_one_or_none()
            if user is None:
                return None
        elif session.execute(select(Patient.pid).where(
                Patient.uuid == row.patient_uuid)).first() is None:
            return None
        return Subject(role=row.user_role, user_uuid=row.user_uuid, patient_uuid=row.patient_uuid)

    def save_token(self, token):
        payload = jws.extract_compact(token["access_token"].encode()).payload
        self.request.authorization_code.row.token_jti = json.loads(payload)["jti"]
        return super().save_token(token)


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
            if claims.get("iss") != oauth._site().issuer or not isinstance(claims.get("sub"), str):
                raise InvalidRequestError("'id_token_hint' was not issued by this site")
            if not isinstance(claims.get("aud"), str):
                raise InvalidRequestError("'id_token_hint' has no single audience")
        return validated

    def get_server_jwks(self):
        return oauth._site().keys.key_set()

    def get_algorithms(self):
        return [SIGNING_ALG]

    def end_session(self, end_session_request):
        claims = end_session_request.id_token_claims
        if claims is not None:
            revoke_subject_tokens(oauth._session(), client_id=claims["aud"], subject=claims["sub"])


def revoke_subject_tokens(session: Session, *, client_id: str, subject: str) -> None:
    """Revoke every access and refresh token this client holds for this user or patient."""
    session.execute(
        update(OAuthAccessToken)
        .where(OAuthAccessToken.client_id == client_id,
               or_(OAuthAccessToken.user_uuid == subject, OAuthAccessToken.patient_uuid == subject))
        .values(revoked=True).execution_options(synchronize_session=False))
    session.execute(
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.client_id == client_id, OAuthRefreshToken.user_uuid == subject)
        .values(revoked=True).execution_options(synchronize_session=False))


def install(server) -> None:
    server.register_grant(CodeGrant, [S256Challenge(required=True), OpenIDCodeFlow()])
    server.register_endpoint(EndSession)


# --- tickets ------------------------------------------------------------------------

class BadTicket(Exception):
    pass


def _ticket_audience(site: Site) -> str:
    return f"{site.issuer}/authorize"


def sign_ticket(site: Site, stage: str, lifetime: int, **claims) -> str:
    now = int(time.time())
    key = site.keys.signing_key
    body = {"iss": site.issuer, "aud": _ticket_audience(site), "iat": now,
            "exp": now + lifetime, "jti": secrets.token_hex(16), "stg": stage, **claims}
    return jwt.encode({"alg": SIGNING_ALG, "kid": key.kid, "typ": TICKET_TYP}, body, key)


def read_ticket(site: Site, ticket: str | None, stage: str) -> dict:
    if not ticket:
        raise BadTicket("missing")
    try:
        header = jws.extract_compact(ticket.encode()).protected
        key = site.keys.public_key(header.get("kid") or "")
        if header.get("typ") != TICKET_TYP or header.get("alg") != SIGNING_ALG or key is None:
            raise BadTicket("not a ticket of this site")
        claims = jwt.decode(ticket, key, algorithms=[SIGNING_ALG]).claims
        JWTClaimsRegistry(
            iss={"essential": True, "value": site.issuer},
            aud={"essential": True, "value": _ticket_audience(site)},
            exp={"essential": True},
            stg={"essential": True, "value": stage},
            jti={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise BadTicket(str(exc)) from None
    if not isinstance(claims.get("req"), dict) or not isinstance(claims.get("ru"), str):
        raise BadTicket("incomplete")
    return claims


# --- pages --------------------------------------------------------------------------

_templates = Environment(loader=PackageLoader("emr_api", "templates"),
                         autoescape=select_autoescape(["html"]))

PAGE_HEADERS = {
    "Content-Type": "text/html",  # the page declares utf-8 itself
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class Answer:
    status: int
    body: str = ""
    headers: dict = field(default_factory=dict)


def page(template: str, status: int = 200, **context) -> Answer:
    return Answer(status, _templates.get_template(template).render(**context), dict(PAGE_HEADERS))


def redirect(location: str) -> Answer:
    return Answer(302, "", {"Location": location, "Cache-Control": "no-store",
                            "Pragma": "no-cache"})


def error_page(error: str, description: str, status: int = 400) -> Answer:
    return page("error.html", status, error=error, description=description)


def oauth_error(error: OAuth2Error) -> Answer:
    """Redirect when the error knows a validated redirect URI, else show it."""
    if error.redirect_uri:
        _, _, headers = error()
        return redirect(dict(headers)["Location"])
    return error_page(error.error or "invalid_request", error.description or "")


_PLAIN_SCOPES = {
    "openid": "Confirm who you are to the app",
    "fhirUser": "Tell the app which user or patient record is yours",
    "profile": "See your name",
    "email": "See your email address",
    "offline_access": "Stay connected when you are not using the app, until you sign out",
    "online_access": "Stay connected while you are using the app",
    "launch": "Start from within the health record",
    "launch/patient": "Ask which patient to work with when it starts",
    "api:oemr": "Use the standard API",
    "api:fhir": "Use the FHIR API",
    "api:port": "Use the patient portal API",
}
_VERBS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
_WHOSE = {"user": "that you can see", "patient": "about you", "system": "in the whole system"}


def describe_scope(scope: str) -> str:
    """A scope in plain words, for the consent page."""
    if scope in _PLAIN_SCOPES:
        return _PLAIN_SCOPES[scope]
    parsed = scope_rules.parse(scope)
    if parsed is None:
        return scope
    context, resource, letters = parsed
    what = "all records" if resource == "*" else f"{resource.replace('_', ' ')} records"
    if "$export" in letters:
        return f"Export {what} {_WHOSE[context]} in bulk"
    verbs = [_VERBS[c] for c in "cruds" if c in letters]
    said = verbs[0] if len(verbs) == 1 else ", ".join(verbs[:-1]) + " and " + verbs[-1]
    return f"{said.capitalize()} {what} {_WHOSE[context]}"


def _action(site: Site, step: str) -> str:
    return f"{site.issuer}/authorize/{step}"


def _client_row(session: Session, client_id: str | None) -> OAuthClient | None:
    row = session.get(OAuthClient, client_id) if client_id else None
    return row if row is not None and row.is_enabled else None


def roles_for(client: oauth.Client) -> list[str]:
    """Who may sign in to this client: staff unless it is a patient-only app; portal
    patients when it registered `api:port`."""
    registered = scope_rules.split(client.metadata.get("scope"))
    roles = [] if client.metadata.get("client_role") == "patient" else ["users"]
    if "api:port" in registered:
        roles.append("patient")
    return roles


def _login_page(site: Site, ticket: str, client: oauth.Client, *, status: int = 200,
                error: str | None = None, username: str = "", role: str | None = None) -> Answer:
    roles = roles_for(client)
    return page("login.html", status, action=_action(site, "login"), ticket=ticket,
                client_name=client.row.client_name, roles=[(r, ROLE_LABELS[r]) for r in roles],
                role=role or roles[0], username=username, error=error,
                ask_email="patient" in roles)


def start(site: Site, session: Session, uri: str, query: list[tuple[str, str]]) -> Answer:
    """GET /authorize: validate the request, then show the login page."""
    seen: dict[str, str] = {}
    for name, value in query:
        if name in seen and name in AUTHORIZE_PARAMS:
            return error_page("invalid_request", f"The parameter '{name}' was sent twice")
        seen[name] = value
    params = {k: v for k, v in seen.items() if k in AUTHORIZE_PARAMS}
    request = oauth.FormRequest("GET", uri, {}, params)
    try:
        grant = oauth.run(site, session, oauth.SERVER.get_consent_grant, request)
    except OAuth2Error as error:
        return oauth_error(error)
    client = grant.request.client
    if not roles_for(client):
        return oauth_error(AccessDeniedError("Nobody can sign in to this app",
                                             redirect_uri=grant.redirect_uri,
                                             state=params.get("state")))
    ticket = sign_ticket(site, "login", LOGIN_TICKET_SECONDS, req=params, ru=grant.redirect_uri)
    return _login_page(site, ticket, client, username=params.get("login_hint", ""))


def login(site: Site, session: Session, form: dict) -> Answer:
    """POST /authorize/login: check the credentials, then show the consent page."""
    try:
        claims = read_ticket(site, form.get("ticket"), "login")
    except BadTicket:
        return error_page("invalid_request", "This sign-in request is invalid or has expired. "
                          "Go back to the app and start again.")
    params, redirect_uri = claims["req"], claims["ru"]
    row = _client_row(session, params.get("client_id"))
    if row is None:
        return error_page("invalid_client", "The app is not (or no longer) registered here.")
    client = oauth.Client(row)
    roles = roles_for(client)
    role = form.get("user_role") or roles[0]
    username = (form.get("username") or "").strip()
    if role not in roles:
        return _login_page(site, form["ticket"], client, status=400, username=username,
                           error="Choose how you sign in.")
    subject = oauth.authenticate(session, role, username, form.get("password") or "",
                            (form.get("email") or "").strip())
    if subject is None:
        return _login_page(site, form["ticket"], client, status=401, username=username, role=role,
                           error="The username, password or email is not right.")
    try:
        offered = oauth.grantable_scope(params.get("scope"), client, role)
    except InvalidScopeError as error:
        error.redirect_uri, error.state = redirect_uri, params.get("state")
        return oauth_error(error)
    ticket = sign_ticket(site, "consent", CONSENT_TICKET_SECONDS, req=params, ru=redirect_uri,
                         who={"role": subject.role, "user_uuid": subject.user_uuid,
                              "patient_uuid": subject.patient_uuid},
                         scope=offered, at=int(time.time()))
    return page("consent.html", action=_action(site, "consent"), ticket=ticket,
                client_name=row.client_name, username=username,
                scopes=[(s, describe_scope(s)) for s in scope_rules.split(offered)])


def consent(site: Site, session: Session, uri: str, form: dict) -> Answer:
    """POST /authorize/consent: approve (some of) the scopes, or deny."""
    try:
        claims = read_ticket(site, form.get("ticket"), "consent")
    except BadTicket:
        return error_page("invalid_request", "This sign-in request is invalid or has expired. "
                          "Go back to the app and start again.")
    params, redirect_uri = claims["req"], claims["ru"]
    ticked = form.get("scope") or []
    ticked = {ticked} if isinstance(ticked, str) else set(ticked)
    approved = [s for s in scope_rules.split(claims.get("scope")) if s in ticked]
    if form.get("decision") != "approve" or not approved:
        return oauth_error(AccessDeniedError(redirect_uri=redirect_uri, state=params.get("state")))
    if session.execute(select(OAuthAuthorizationCode.id).where(
            OAuthAuthorizationCode.ticket_jti == claims["jti"])).first() is not None:
        return error_page("invalid_request", "This request was already answered. "
                          "Go back to the app and start again.")
    subject = Subject(**claims["who"])

    def issue(request):
        grant = oauth.SERVER.get_consent_grant(request, end_user=subject)  # validated again
        request.scope = " ".join(approved)
        request.ticket_jti = claims["jti"]
        request.auth_time = claims["at"]
        return grant.create_authorization_response(grant.redirect_uri, subject)

    try:
        _, _, headers = oauth.run(site, session, issue,
                                       oauth.FormRequest("GET", uri, {}, params))
    except OAuth2Error as error:
        return oauth_error(error)
    return redirect(dict(headers)["Location"])


def logout(site: Site, session: Session, uri: str, params: dict) -> Answer:
    """GET /logout: OpenID Connect RP-initiated logout."""
    request = oauth.FormRequest("GET", uri, {}, params)

    def end(req):
        validated = oauth.SERVER.validate_endpoint_request("end_session", req)
        return oauth.SERVER.create_endpoint_response("end_session", validated)

    try:
        answer = oauth.run(site, session, end, request)
    except OAuth2Error as error:
        return error_page(error.error or "invalid_request", error.description or "")
    if answer is not None:
        status, _, headers = answer
        if status == 302:
            return redirect(headers["Location"])
    return page("signed_out.html", signed_out=bool(params.get("id_token_hint")))


install(oauth.SERVER)
