"""The versions of FHIR resources (`fhir_history`, numbered by db/versions.py): the current
version of rows being served, one version's kept JSON, a resource's or a type's history,
and the lock that keeps two conditional creates of one criteria from both creating."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from emr_api.db.models import CreateLock, ResourceVersion, utcnow


def current(session: Session, type_: str, ids: list[str]) -> dict[str, int]:
    """{id: its latest version} of these resources (one not listed is at version 1)."""
    if not ids:
        return {}
    rows = session.execute(
        select(ResourceVersion.resource_id, func.max(ResourceVersion.version))
        .where(ResourceVersion.resource_type == type_,
               ResourceVersion.resource_id.in_(sorted(set(ids))))
        .group_by(ResourceVersion.resource_id))
    return dict(rows.all())


def latest(session: Session, type_: str, id_: str) -> ResourceVersion | None:
    return session.execute(
        select(ResourceVersion)
        .where(ResourceVersion.resource_type == type_, ResourceVersion.resource_id == id_)
        .order_by(ResourceVersion.version.desc()).limit(1)).scalar_one_or_none()


def one(session: Session, type_: str, id_: str, version: int) -> ResourceVersion | None:
    return session.execute(select(ResourceVersion).where(
        ResourceVersion.resource_type == type_, ResourceVersion.resource_id == id_,
        ResourceVersion.version == version)).scalar_one_or_none()


def keep(session: Session, type_: str, id_: str, version: int, method: str,
         resource_json: str | None) -> None:
    """Keep a version's JSON: the version the flush just numbered, or a new one (a create)."""
    changed = session.execute(
        update(ResourceVersion)
        .where(ResourceVersion.resource_type == type_, ResourceVersion.resource_id == id_,
               ResourceVersion.version == version)
        .values(resource=resource_json)).rowcount
    if not changed:
        session.execute(insert(ResourceVersion).values(
            resource_type=type_, resource_id=id_, version=version, method=method,
            recorded=utcnow(), resource=resource_json))


def history(session: Session, type_: str, *, id_: str | None = None, within=None,
            since=None, before_id: int | None = None, limit: int = 50) -> list[ResourceVersion]:
    """Versions newest first: of one resource, or of a type (`within`: a clause on
    `resource_id` holding them to what the caller may see)."""
    stmt = select(ResourceVersion).where(ResourceVersion.resource_type == type_)
    if id_ is not None:
        stmt = stmt.where(ResourceVersion.resource_id == id_)
    if within is not None:
        stmt = stmt.where(within)
    if since is not None:
        stmt = stmt.where(ResourceVersion.recorded >= since)
    if before_id is not None:
        stmt = stmt.where(ResourceVersion.id < before_id)
    return list(session.execute(
        stmt.order_by(ResourceVersion.id.desc()).limit(limit)).scalars())


def lock_criteria(session: Session, type_: str, query: str) -> None:
    """Hold the lock of one conditional create's criteria until the transaction ends: a
    second create with the same criteria waits here, then finds what the first made.

    The lock's row is made first in a transaction of its own (committed at once, a
    duplicate ignored): two transactions that both inserted it and then both asked to lock
    it would deadlock on MariaDB. SQLite needs no lock: its writers run one at a time."""
    engine = session.get_bind()
    if engine.dialect.name == "sqlite":
        return
    criteria = hashlib.sha256(query.encode()).hexdigest()
    with engine.connect() as conn:
        try:
            conn.execute(insert(CreateLock).values(resource_type=type_, criteria=criteria))
            conn.commit()
        except IntegrityError:
            conn.rollback()  # made before: lock it below
    session.execute(select(CreateLock.criteria).where(
        CreateLock.resource_type == type_, CreateLock.criteria == criteria).with_for_update())
