"""The browser half of the authorization server: the login and consent pages of the
authorization code flow, and RP-initiated logout's signed-out page.

The validated authorization request travels through the forms as a ticket (`tickets.py`).
Errors follow RFC 6749 section 4.1.2.1: until the client and its redirect URI are known to
be good, the error is shown on a page and never redirected; afterwards the user agent goes
back to the client with `error` and `state`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidScopeError, OAuth2Error
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api import scopes as scope_rules
from emr_api.db.models import OAuthAuthorizationCode
from emr_api.identity import Identity, Role
from emr_api.oauth2 import call
from emr_api.oauth2.clients import Client, find_client
from emr_api.oauth2.requests import FormRequest
from emr_api.oauth2.server import SERVER
from emr_api.oauth2.subjects import authenticate, grantable_scope
from emr_api.oauth2.tickets import (
    CONSENT_TICKET_SECONDS,
    LOGIN_TICKET_SECONDS,
    BadTicket,
    read_ticket,
    sign_ticket,
)
from emr_api.sites import Site

# The authorization request parameters this server reads (and carries in the ticket).
AUTHORIZE_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                    "code_challenge", "code_challenge_method", "nonce", "aud", "prompt",
                    "login_hint", "response_mode")

STALE_TICKET = ("This sign-in request is invalid or has expired. "
                "Go back to the app and start again.")
ROLE_LABELS = {Role.USER: "Staff member", Role.PATIENT: "Patient (portal account)"}

_templates = Environment(loader=PackageLoader("emr_api.oauth2", "templates"),
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


FOUND, SEE_OTHER = 302, 303


def redirect(location: str, status: int = FOUND) -> Answer:
    """A redirect; 303 when it answers a POST (RFC 9700 §4.12: a 302 or 307 could make the
    browser post the form, password included, to the client)."""
    # A media type even with no body: these operations also document JSON errors, and an
    # answer must say which of its operation's types it is.
    return Answer(status, "", {"Location": location, "Content-Type": "text/html",
                            "Cache-Control": "no-store", "Pragma": "no-cache"})


def error_page(error: str, description: str, status: int = 400) -> Answer:
    return page("error.html", status, error=error, description=description)


def oauth_error(error: OAuth2Error, redirect_status: int = FOUND) -> Answer:
    """Redirect when the error knows a validated redirect URI, else show it."""
    if error.redirect_uri:
        _, _, headers = error()
        return redirect(dict(headers)["Location"], redirect_status)
    return error_page(error.error or "invalid_request", error.description or "")


def _action(site: Site, step: str) -> str:
    return f"{site.issuer}/authorize/{step}"


def _login_page(site: Site, ticket: str, client: Client, *, status: int = 200,
                error: str | None = None, username: str = "", role: str | None = None) -> Answer:
    roles = client.roles()
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
    request = FormRequest("GET", uri, {}, params)
    try:
        grant, _ = call.run(site, session, SERVER.get_consent_grant, request)
    except OAuth2Error as error:
        return oauth_error(error)
    client = grant.request.client
    if not client.roles():
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
        return error_page("invalid_request", STALE_TICKET)
    params, redirect_uri = claims["req"], claims["ru"]
    client = find_client(session, params.get("client_id"))
    if client is None:
        return error_page("invalid_client", "The app is not (or no longer) registered here.")
    roles = client.roles()
    role = form.get("user_role") or roles[0]
    username = (form.get("username") or "").strip()
    if role not in roles:
        return _login_page(site, form["ticket"], client, status=400, username=username,
                           error="Choose how you sign in.")
    subject = authenticate(session, role, username, form.get("password") or "",
                           (form.get("email") or "").strip())
    if subject is None:
        return _login_page(site, form["ticket"], client, status=401, username=username, role=role,
                           error="The username, password or email is not right.")
    try:
        offered = grantable_scope(params.get("scope"), client, Role(role))
    except InvalidScopeError as error:
        error.redirect_uri, error.state = redirect_uri, params.get("state")
        return oauth_error(error, SEE_OTHER)
    ticket = sign_ticket(site, "consent", CONSENT_TICKET_SECONDS, req=params, ru=redirect_uri,
                         who={"role": subject.role.value, "user_uuid": subject.user_uuid,
                              "patient_uuid": subject.patient_uuid},
                         scope=offered, at=int(time.time()))
    return page("consent.html", action=_action(site, "consent"), ticket=ticket,
                client_name=client.row.client_name, username=username,
                scopes=[(s, scope_rules.describe(s)) for s in scope_rules.split(offered)])


def consent(site: Site, session: Session, uri: str, form: dict) -> Answer:
    """POST /authorize/consent: approve (some of) the scopes, or deny."""
    try:
        claims = read_ticket(site, form.get("ticket"), "consent")
    except BadTicket:
        return error_page("invalid_request", STALE_TICKET)
    params, redirect_uri = claims["req"], claims["ru"]
    ticked = form.get("scope") or []
    ticked = {ticked} if isinstance(ticked, str) else set(ticked)
    approved = [s for s in scope_rules.split(claims.get("scope")) if s in ticked]
    if form.get("decision") != "approve" or not approved:
        return oauth_error(AccessDeniedError(redirect_uri=redirect_uri, state=params.get("state")),
                           SEE_OTHER)
    if session.execute(select(OAuthAuthorizationCode.id).where(
            OAuthAuthorizationCode.ticket_jti == claims["jti"])).first() is not None:
        return error_page("invalid_request", "This request was already answered. "
                          "Go back to the app and start again.")
    subject = Identity(**claims["who"])

    def issue(request):
        grant = SERVER.get_consent_grant(request, end_user=subject)  # validated again
        request.scope = " ".join(approved)
        request.ticket_jti = claims["jti"]
        request.auth_time = claims["at"]
        return grant.create_authorization_response(grant.redirect_uri, subject)

    try:
        (_, _, headers), _ = call.run(site, session, issue, FormRequest("GET", uri, {}, params))
    except OAuth2Error as error:
        return oauth_error(error, SEE_OTHER)
    return redirect(dict(headers)["Location"], SEE_OTHER)


def logout(site: Site, session: Session, uri: str, params: dict) -> Answer:
    """GET /logout: OpenID Connect RP-initiated logout."""
    request = FormRequest("GET", uri, {}, params)

    def end(req):
        validated = SERVER.validate_endpoint_request("end_session", req)
        return SERVER.create_endpoint_response("end_session", validated)

    try:
        answer, _ = call.run(site, session, end, request)
    except OAuth2Error as error:
        return error_page(error.error or "invalid_request", error.description or "")
    if answer is not None:
        status, _, headers = answer
        if status == 302:
            return redirect(headers["Location"])
    return page("signed_out.html", signed_out=bool(params.get("id_token_hint")))
