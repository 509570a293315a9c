"""Discovery (OpenID Connect Discovery 1.0, RFC 8414): what this site's authorization
server offers, derived from the grants registered and the scope catalogue."""

from __future__ import annotations

from emr_api.codegen import scope_catalogue
from emr_api.oauth2.server import grant_types_supported
from emr_api.sites import Site
from emr_api.sites.keys import SIGNING_ALG


def openid_configuration(site: Site) -> dict:
    issuer = site.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwk",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "registration_endpoint": f"{issuer}/registration",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        "end_session_endpoint": f"{issuer}/logout",
        "scopes_supported": list(scope_catalogue.catalogue()),
        "response_types_supported": ["code"],
        "grant_types_supported": grant_types_supported(site),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "id_token_signing_alg_values_supported": [SIGNING_ALG],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name", "given_name",
                             "family_name", "email"],
    }


# SMART App Launch 2.2 capabilities the flows above support today.
SMART_CAPABILITIES = [
    "launch-standalone", "client-public", "client-confidential-symmetric",
    "sso-openid-connect", "permission-offline", "permission-patient", "permission-user",
    "permission-v1", "permission-v2",
]


def smart_configuration(site: Site) -> dict:
    """`.well-known/smart-configuration` of the site's FHIR API (SMART App Launch 2.2)."""
    server = openid_configuration(site)
    keys = ("issuer", "jwks_uri", "authorization_endpoint", "token_endpoint",
            "registration_endpoint", "introspection_endpoint", "revocation_endpoint",
            "scopes_supported", "response_types_supported", "grant_types_supported",
            "code_challenge_methods_supported", "token_endpoint_auth_methods_supported")
    return {**{key: server[key] for key in keys}, "capabilities": list(SMART_CAPABILITIES)}
