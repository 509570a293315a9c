"""Fixtures for the security tests: a second site with its own database and keys, and a
way to read a token's claims."""

from __future__ import annotations

import base64
import json

import pytest

from emr_api.cli import demo
from tests.conftest import password_token, register_client

API = "/apis/default/api"


def claims_of(token: str | dict) -> dict:
    """A JWT's claims, unverified (the server is what verifies them here)."""
    value = token["access_token"] if isinstance(token, dict) else token
    payload = value.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture(scope="session")
def second_site(app):
    """Site `second`: its own database, keys and demo users; password grant turned on."""
    site = app.registry.create("second")
    demo.seed_users(site)
    site.set_global("oauth_password_grant", "1")
    return site


@pytest.fixture(scope="session")
def second_client(client, second_site) -> dict:
    return register_client(client, site="second")


@pytest.fixture(scope="session")
def second_token(client, second_client) -> dict:
    return password_token(client, second_client, site="second")


@pytest.fixture(scope="session")
def default_site(app):
    return app.registry.get("default")
