"""Fixtures: the real app, in-process, on a real database, with tokens from the real token
endpoint.

Every test that uses `app` (directly or through `client`) runs once per database:
SQLite always, plus each kind in EMR_API_TEST_DATABASES (postgresql, mariadb). Each
run creates its own uniquely named database and drops it at the end."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from emr_api.settings import Settings, test_database_kinds, test_database_server_url
from emr_api.cli import demo
from emr_api.codegen import scope_catalogue
from emr_api.server.app import create_app

# Every scope the specs offer in v1 form: what a fully trusted test app registers.
ALL_SCOPES = " ".join(
    ["openid", "offline_access", "api:oemr", "api:fhir", "api:port"]
    + [s for s in scope_catalogue.catalogue() if s.endswith((".read", ".write"))]
)
BASE_URL = "https://localhost:9300"


def _create_database(kind: str) -> tuple[str, callable]:
    server = test_database_server_url(kind)
    name = f"emr_test_{secrets.token_hex(6)}"
    admin = create_engine(server + ("/postgres" if kind == "postgresql" else "/"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if kind == "postgresql":
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    url = f"{server}/{name}" + ("?charset=utf8mb4" if kind == "mariadb" else "")

    def drop():
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()

    return url, drop


@contextmanager
def server_database(db_kind: str) -> Iterator[str | None]:
    """The URL of a new empty database on the server of this kind, dropped afterwards;
    None for SQLite (the caller's data folder holds its file)."""
    if db_kind == "sqlite":
        yield None
        return
    url, drop = _create_database(db_kind)
    try:
        yield url
    finally:
        drop()


def pytest_generate_tests(metafunc):
    if "db_kind" in metafunc.fixturenames:
        metafunc.parametrize("db_kind", ["sqlite", *test_database_kinds()], scope="session")


@pytest.fixture(scope="session")
def database_url(db_kind):
    with server_database(db_kind) as url:
        yield url


def demo_app(settings: Settings):
    """The app, with site `default` holding the demo users and the password grant on."""
    application = create_app(settings)
    site = application.registry.get("default")
    demo.seed_users(site)
    site.set_global("oauth_password_grant", "1")
    return application


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    application = demo_app(Settings(data_dir=tmp_path_factory.mktemp("var"),
                                    database_url=database_url, public_url=BASE_URL,
                                    validate_responses=True))
    yield application
    application.close()


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app, base_url=BASE_URL) as c:
        yield c


def register_client(client, scope=ALL_SCOPES, site="default", **extra) -> dict:
    body = {"application_type": "private", "client_name": "Test App",
            "redirect_uris": ["https://client.example.org/callback"],
            "token_endpoint_auth_method": "client_secret_post", "scope": scope, **extra}
    r = client.post(f"/oauth2/{site}/registration", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def password_token(client, app_client: dict, *, username="admin", password="pass",
                   scope=ALL_SCOPES, role="users", site="default", **extra) -> dict:
    form = {"grant_type": "password", "user_role": role, "username": username,
            "password": password, "scope": scope, "client_id": app_client["client_id"],
            **extra}
    if app_client.get("client_secret"):
        form["client_secret"] = app_client["client_secret"]
    r = client.post(f"/oauth2/{site}/token", data=form)
    assert r.status_code == 200, r.text
    return r.json()


def bearer(token: dict | str) -> dict:
    value = token["access_token"] if isinstance(token, dict) else token
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture(scope="session")
def app_client(client) -> dict:
    return register_client(client)


@pytest.fixture(scope="session")
def admin_token(client, app_client) -> dict:
    return password_token(client, app_client)


@pytest.fixture(scope="session")
def admin(admin_token) -> dict:
    """Headers of an administrator with every Standard API scope."""
    return bearer(admin_token)


@pytest.fixture(scope="session")
def front_office(client, app_client) -> dict:
    """Headers of a front-office user: all scopes, but an ACL without admin/*."""
    return bearer(password_token(client, app_client, username="receptionist",
                                 password="receptionist"))


@pytest.fixture()
def new_patient(client, admin) -> dict:
    body = {"fname": "Ada", "lname": "Lovelace", "sex": "Female", "DOB": "1815-12-10",
            "email": "ada@example.com", "city": "London"}
    r = client.post("/apis/default/api/patient", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]
