"""OpenEMR's password grant (RFC 6749 section 4.3): `user_role=users` (username, password)
or `user_role=patient` (username, password, email). Off unless the site turns it on."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    UnsupportedGrantTypeError,
)

from emr_api.identity import Role
from emr_api.oauth2 import call
from emr_api.oauth2.subjects import authenticate, grantable_scope


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def validate_token_request(self):
        if not call.current().site.flag("oauth_password_grant"):
            raise UnsupportedGrantTypeError("The password grant is turned off on this site")
        role = self.request.form.get("user_role")
        if role not in (Role.USER.value, Role.PATIENT.value):
            raise InvalidRequestError("user_role must be 'users' or 'patient'")
        if role == Role.PATIENT and not self.request.form.get("email"):
            raise InvalidRequestError("Missing 'email' for user_role=patient")
        super().validate_token_request()
        self.request.scope = grantable_scope(self.request.payload.scope, self.request.client,
                                             Role(role))

    def authenticate_user(self, username, password):
        form = self.request.form
        subject = authenticate(call.current().session, form.get("user_role"), username,
                               password, form.get("email", ""))
        if subject is None:
            # RFC 6749 §5.2: bad resource owner credentials are invalid_grant (Authlib says
            # invalid_request), and one answer for every cause, so none reveals a user.
            raise InvalidGrantError("The username, password or email is not right")
        return subject

    def create_token_response(self):
        token = self.generate_token(user=self.request.user, scope=self.request.scope)
        return 200, token, self.TOKEN_RESPONSE_HEADER
