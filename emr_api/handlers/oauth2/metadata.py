"""Discovery and the JWKS: facts about the site's authorization server."""

from emr_api.server import context, oauth
from emr_api.server.specs import scopes_supported


def openid_configuration():
    site = context.site()
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
        "scopes_supported": list(scopes_supported()),
        "response_types_supported": ["code"],
        "grant_types_supported": oauth.grant_types_supported(site),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name", "given_name",
                             "family_name", "email"],
    }


def jwks():
    return context.site().keys.jwks()
