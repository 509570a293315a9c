"""Standard API: /user. The fields shown are named here, so a password hash can never leak
into an answer; `active` answers as 0/1, as OpenEMR's."""

from emr_api.handlers.standard import fields_of
from emr_api.handlers.standard.resource import ResourceOperations
from emr_api.services import users

SHOWN = ("id", "uuid", "username", "fname", "lname", "email", "acl_group")


def to_api(u) -> dict:
    return {**fields_of(u, SHOWN), "active": 1 if u.active else 0}


_ops = ResourceOperations(users.SPEC, "/user", represent=to_api)
search_users = _ops.search
get_user = _ops.get
