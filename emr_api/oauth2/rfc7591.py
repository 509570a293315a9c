"""Dynamic client registration (RFC 7591), open as OpenEMR's. The metadata rules are an
Authlib claims class: each `validate_<name>` checks one field and settles its value."""

from __future__ import annotations

import json
import secrets
from urllib.parse import quote, urlsplit

from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError, InvalidRedirectURIError

from emr_api import scopes as scope_rules
from emr_api.codegen import scope_catalogue
from emr_api.db.models import OAuthClient
from emr_api.oauth2 import call
from emr_api.oauth2.storage import new_secret, sha256

GRANT_TYPES = ["authorization_code", "refresh_token", "password"]


def _bad(message: str):
    raise InvalidClientMetadataError(message)


def _shown(text: str) -> str:
    """Client text in an error description: RFC 6749 allows printable ASCII only there."""
    return quote(text[:200], safe=" :/.*$")


class ClientMetadata(BaseClaims):
    """OpenEMR's registration rules. What it returns is what the client is registered with."""

    REGISTERED_CLAIMS = [
        "client_name", "application_type", "token_endpoint_auth_method", "redirect_uris",
        "post_logout_redirect_uris", "scope", "contacts", "grant_types", "response_types",
        "client_role",
    ]

    def validate(self, now=None, leeway=0):
        if not self:
            _bad("The registration body must be a JSON object")
        for name in self.REGISTERED_CLAIMS:
            getattr(self, f"validate_{name}")()

    def validate_client_name(self):
        name = self.get("client_name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255 or \
                any(c < " " for c in name):
            _bad("client_name is required (1-255 characters, no control characters)")
        self["client_name"] = name.strip()

    def validate_application_type(self):
        self.setdefault("application_type", "private")
        if self["application_type"] not in ("private", "public"):
            _bad("application_type must be 'private' or 'public'")

    def validate_token_endpoint_auth_method(self):
        public = self["application_type"] == "public"
        method = self.setdefault("token_endpoint_auth_method",
                                 "none" if public else "client_secret_post")
        if method not in ("client_secret_post", "client_secret_basic", "none"):
            _bad("token_endpoint_auth_method must be client_secret_post, client_secret_basic or none")
        if (method == "none") != public:
            _bad("public apps use token_endpoint_auth_method 'none'; private apps a client secret")

    def validate_redirect_uris(self):
        uris = self.get("redirect_uris")
        if not isinstance(uris, list) or not uris:
            raise InvalidRedirectURIError("redirect_uris must be a non-empty list")
        for uri in uris:
            check_redirect_uri(uri)

    def validate_post_logout_redirect_uris(self):
        uris = self.get("post_logout_redirect_uris") or []
        for uri in uris:
            check_redirect_uri(uri)
        self["post_logout_redirect_uris"] = list(uris)

    def validate_contacts(self):
        contacts = self.get("contacts") or []
        if not isinstance(contacts, list) or not all(isinstance(c, str) for c in contacts):
            _bad("contacts must be a list of strings")
        self["contacts"] = contacts

    def validate_scope(self):
        scope = self.get("scope", "")
        if not isinstance(scope, str):
            _bad("scope must be a space-separated string")
        clamped = {s: scope_catalogue.clamp(s) for s in scope_rules.split(scope)}
        unknown = [s for s, kept in clamped.items() if kept is None]
        if unknown:
            _bad(f"Scope(s) not in scopes_supported: {_shown(' '.join(unknown))}")
        requested = list(dict.fromkeys(clamped.values()))
        contexts = {parsed[0]: s for s in requested if (parsed := scope_rules.parse(s))}
        if "system" in contexts:
            # Backend services authenticate with a registered key set (SMART); registration
            # takes no `jwks` or `jwks_uri` yet, so no client can hold system/ scopes.
            _bad(f"{_shown(contexts['system'])}: system/ scopes are for backend services "
                 "registered with a JWKS, which this server does not register yet")
        if self["application_type"] == "public" and "user" in contexts:
            # A public app keeps no secret: anyone could act as it with a user's standing.
            _bad(f"{_shown(contexts['user'])}: user/ scopes need a confidential app "
                 "(application_type private, with a client secret)")
        self["scope"] = " ".join(requested)

    def validate_grant_types(self):
        self["grant_types"] = list(GRANT_TYPES)

    def validate_response_types(self):
        self["response_types"] = ["code"]

    def validate_client_role(self):
        requested = scope_rules.split(self["scope"])
        only_portal = "api:port" in requested and "api:oemr" not in requested
        public = self["application_type"] == "public"  # holds no user/ scopes
        self["client_role"] = "patient" if only_portal or public else "user"


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


class Registration(ClientRegistrationEndpoint):
    def __init__(self, server=None):
        super().__init__(server, claims_classes=[ClientMetadata])

    def authenticate_token(self, request):
        return True  # open dynamic registration, as OpenEMR

    def get_server_metadata(self):
        return None

    def extract_client_metadata(self, request):
        if not isinstance(request.payload.data, dict) or not request.payload.data:
            raise InvalidClientMetadataError("The registration body must be a JSON object")
        return super().extract_client_metadata(request)

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
        current = call.current()
        registration_access_token = new_secret(32)
        secret = client_info["client_secret"]
        row = OAuthClient(
            client_id=client_info["client_id"],
            client_secret_hash=sha256(secret) if secret else None,
            registration_access_token_hash=sha256(registration_access_token),
            client_name=client_metadata["client_name"],
            metadata_json=json.dumps(client_metadata),
            is_confidential=secret is not None,
            is_enabled=not current.site.flag("oauth_app_manual_approval"),
            issued_at=client_info["client_id_issued_at"],
        )
        current.session.add(row)
        current.client_id = row.client_id
        request.registration_access_token = registration_access_token
        return row

    def generate_client_registration_info(self, client, request):
        return {
            "registration_access_token": request.registration_access_token,
            "registration_client_uri": f"{call.current().site.issuer}/client/{client.client_id}",
        }
