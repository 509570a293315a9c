"""Discovery and the JWKS: facts about the site's authorization server."""

from emr_api import request_context
from emr_api.oauth2 import metadata


def openid_configuration():
    return metadata.openid_configuration(request_context.current().site)


def jwks():
    return request_context.current().site.keys.jwks()
