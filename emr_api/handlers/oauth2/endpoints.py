"""The protocol endpoints: registration, token, introspection, revocation, userinfo."""

from emr_api import request_context
from emr_api.handlers.oauth2 import run
from emr_api.oauth2.server import SERVER
from emr_api.services import people


def register(body):
    return run(lambda r: SERVER.create_endpoint_response("client_registration", r),
               json_body=body)


def token(body):
    return run(SERVER.create_token_response, form=body)


def introspect(body):
    return run(lambda r: SERVER.create_endpoint_response("introspection", r), form=body)


def revoke(body):
    return run(lambda r: SERVER.create_endpoint_response("revocation", r), form=body)


def userinfo():
    info = request_context.current()  # read in the transaction that read the token
    return people.userinfo(info.session, info.caller())
