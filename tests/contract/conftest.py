"""Fixtures for the Schemathesis contract runs.

Each database kind gets its own app on its own freshly created database (SQLite file,
or a uniquely named PostgreSQL/MariaDB database dropped at the end), seeded with demo
patients, encounters, facilities and practitioners. Generated data creates and edits
many records; keeping it apart from the shared `app` keeps the other tests' searches
exact. Tokens come from the real registration and token endpoints."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

import pytest
from schemathesis.core.parameters import ParameterLocation
from starlette.testclient import TestClient

from emr_api.settings import Settings
from emr_api.cli import demo
from tests.conftest import (
    BASE_URL,
    bearer,
    demo_app,
    password_token,
    register_client,
    server_database,
)

API_BASE = f"{BASE_URL}/apis/default/api"
OAUTH_BASE = f"{BASE_URL}/oauth2/default"
_PARAM = re.compile(r"\{([^}]+)\}")
# Path parameters read from another field of the listed items than their own name, by
# (collection, parameter): `eid` of `/patient/{pid}/encounter/{eid}/vital` is the
# encounter's number, as OpenEMR's routes mean it (an encounter row's own `eid` is its
# row id).
ITEM_FIELDS = {("encounter", "eid"): "encounter"}
# Operations that name a row of a collection in their query instead of their path, by
# path: (the row's own path template, the query parameter). `$swap-insurance` moves the
# policy `uuid` of `/patient/{puuid}/insurance` into another slot.
QUERY_ROWS = {"/patient/{puuid}/insurance/$swap-insurance":
              ("/patient/{puuid}/insurance/{uuid}", "uuid")}


def _messages_of(site, values: dict, scan: int) -> list[dict]:
    """The patient's messages not deleted (OpenEMR's API has no list of them)."""
    from sqlalchemy import select

    from emr_api.db.models import PatientMessage

    with site.db.read() as s:
        found = s.execute(select(PatientMessage.id).where(
            PatientMessage.pid == int(values["pid"]), PatientMessage.deleted == False)  # noqa: E712
            .order_by(PatientMessage.id).limit(scan)).scalars()
        return [{"id": mid} for mid in found]


def _transactions(site, values: dict, scan: int) -> list[dict]:
    """Every patient's transactions (the API lists them one patient at a time)."""
    from sqlalchemy import select

    from emr_api.db.models import Transaction

    with site.db.read() as s:
        found = s.execute(select(Transaction.id).order_by(Transaction.id).limit(scan)).scalars()
        return [{"id": tid} for tid in found]


# Collections the API cannot list at the ids found so far, by name: their items are read
# from the database instead, (site, {parameter: value so far}, how many) -> items.
UNLISTED = {"message": _messages_of, "transaction": _transactions}


@dataclass
class Contract:
    """What a contract test needs: the app, the base URLs, the admin's headers, and real
    ids to put into path parameters."""

    app: object
    client: TestClient
    auth: dict
    # path template -> list of real {param: value} assignments (nested ones consistent)
    real_ids: dict[str, list[dict]] = field(default_factory=dict)

    def ids_for(self, template: str) -> list[dict]:
        if template not in self.real_ids:
            self.real_ids[template] = self._discover(template)
        return self.real_ids[template]

    def _discover(self, template: str, per_level: int = 6, scan: int = 40) -> list[dict]:
        """Walk the path's collections: `/patient` lists patients, then
        `/patient/<real>/encounter` lists that patient's encounters, and so on, depth
        first, until `per_level` complete assignments are found (a parent whose
        collection is empty, say an encounter without vitals, is passed over). An item's
        id is the field named like the parameter (`euuid`), else its `uuid`; for a
        parameter naming an integer id rather than a uuid (`mid` of
        `/patient/{pid}/medication/{mid}`), its `id`. Some parameters are read from
        another field (`ITEM_FIELDS`). A collection that does not answer at the ids
        found (no `/patient/{pid}/encounter` exists) is listed at the items' uuids instead
        (`/patient/{puuid}/encounter`); one the API has no list of at all is read from the
        database (`UNLISTED`)."""
        segments = template.strip("/").split("/")
        found: list[dict] = []

        def walk(position: int, prefix: list[str], by_uuid: list[str], values: dict) -> None:
            # `prefix` is the path as the template names it, `by_uuid` the same by uuids.
            if position == len(segments):
                found.append(values)
                return
            segment = segments[position]
            match = _PARAM.fullmatch(segment)
            if not match:
                walk(position + 1, prefix + [segment], by_uuid + [segment], values)
                return
            name = match.group(1)
            key = ITEM_FIELDS.get((segments[position - 1] if position else "", name), name)
            fallback = "uuid" if name.endswith("uuid") else "id"
            items = self._list(prefix, scan)
            if items is None and by_uuid != prefix:
                items = self._list(by_uuid, scan)
            collection = segments[position - 1] if position else ""
            if items is None and collection in UNLISTED:
                items = UNLISTED[collection](self.app.registry.get("default"), values, scan)
            for item in items or []:
                if not isinstance(item, dict) or item.get(key, item.get(fallback)) is None:
                    continue
                value = str(item.get(key, item.get(fallback)))
                walk(position + 1, prefix + [value], by_uuid + [str(item.get("uuid", value))],
                     {**values, name: value})
                if len(found) >= per_level:
                    return

        walk(0, [], [], {})
        return found

    def _list(self, path: list[str], scan: int) -> list | None:
        """The items of a collection, or None when it does not answer 200."""
        r = self.client.get(f"{API_BASE}/{'/'.join(path)}", params={"_limit": scan},
                            headers=self.auth)
        return (r.json().get("data") or []) if r.status_code == 200 else None

    def use_real_ids(self, case) -> bool:
        """About half of the cases whose path parameters were generated valid get a real
        record's ids instead, so reads and updates reach existing rows. Schemathesis
        re-checks the case after the edit, so negative cases stay judged correctly."""
        if not case.path_parameters or case.meta is None:
            return False
        if case.meta.is_negative_at(ParameterLocation.PATH):
            return False
        # A digest of the whole case: deterministic (replays and shrinking see the same
        # choice) yet varied across cases that share their generated path parameters.
        digest = hashlib.sha256(repr((sorted(case.path_parameters.items()), case.query,
                                      case.body)).encode()).digest()
        if digest[0] % 2:
            return False
        row_template, row_param = QUERY_ROWS.get(case.operation.path, (None, None))
        choices = self.ids_for(row_template or case.operation.path)
        if not choices:
            return False
        chosen = dict(choices[digest[1] % len(choices)])
        if row_param is not None:  # a real row in the query too, unless that is the bad part
            row_id = chosen.pop(row_param)
            if not case.meta.is_negative_at(ParameterLocation.QUERY):
                case.query = {**(case.query or {}), row_param: row_id}
        case.path_parameters = {**case.path_parameters, **chosen}
        return True


@pytest.fixture(scope="session")
def contract(db_kind, tmp_path_factory):
    with server_database(db_kind) as database_url:
        settings = Settings(data_dir=tmp_path_factory.mktemp("contract"),
                            database_url=database_url, public_url=BASE_URL,
                            validate_responses=True)
        application = demo_app(settings)
        try:
            demo.generate(application.registry.get("default"), 12, seed=11)
            with TestClient(application, base_url=BASE_URL) as client:
                app_client = register_client(client)
                token = password_token(client, app_client)
                yield Contract(app=application, client=client, auth=bearer(token))
        finally:
            application.close()


@pytest.fixture()
def answers(request):
    """Status codes one operation's run received. The run must have reached the
    operation at least once (a 2xx): a broken token or a path that never routes would
    otherwise pass as an all-4xx run."""
    seen: Counter = Counter()
    yield seen
    if getattr(request.node, "_contract_failed", False):
        return
    assert seen, "no request was made"
    assert any(200 <= status < 300 for status in seen), (
        f"no 2xx answer in {sum(seen.values())} requests; statuses: {dict(seen)}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item._contract_failed = True
