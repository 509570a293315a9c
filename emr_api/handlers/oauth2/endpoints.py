"""The protocol endpoints: registration, token, introspection, revocation, userinfo."""

from emr_api.handlers.oauth2 import run
from emr_api.server import oauth
from emr_api.server.security import current_caller
from emr_api.services import people


def register(body):
    return run(lambda r: oauth.SERVER.create_endpoint_response("client_registration", r),
               json_body=body)


def token(body):
    return run(oauth.SERVER.create_token_response, form=body)


def introspect(body):
    return run(lambda r: oauth.SERVER.create_endpoint_response("introspection", r), form=body)


def revoke(body):
    return run(lambda r: oauth.SERVER.create_endpoint_response("revocation", r), form=body)


def userinfo():
    return people.userinfo(current_caller())
