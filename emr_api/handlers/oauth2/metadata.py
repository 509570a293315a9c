"""Discovery and the JWKS: facts about the site's authorization server."""

from emr_api import request_context
from emr_api.oauth2 import metadata


async def openid_configuration():  # from memory: no thread hop
    return metadata.openid_configuration(request_context.current().site)


async def jwks():
    return request_context.current().site.keys.jwks()
