"""SQLAlchemy models: our own schema, shaped for the OpenEMR API contract.

Every public resource has a UUID (its public id) beside OpenEMR's integer id where the
contract exposes both. Timestamps are naive UTC."""

from __future__ import annotations

import uuid as uuidlib
from datetime import date, datetime, time, timezone

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_uuid() -> str:
    return str(uuidlib.uuid4())


class Base(DeclarativeBase):
    pass


def _s(length: int = 255) -> Mapped[str | None]:
    return mapped_column(String(length), nullable=True)


def fold(text: str | None) -> str | None:
    """The case-folded form prefix searches compare: the same in Python on every database
    (SQLite's lower() folds ASCII only), so the database compares plain bytes."""
    return text.casefold() if isinstance(text, str) else None


# A search key compares by code point on every database (PostgreSQL: the "C" collation;
# MariaDB tables are utf8mb4_bin; SQLite is binary), so a prefix is an index range.
SEARCH_KEY = String(255).with_variant(String(255, collation="C"), "postgresql")


class Global(Base):
    """Site globals, mirroring OpenEMR's switches (rest_api, oauth_password_grant, ...)."""

    __tablename__ = "globals"
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class SiteKey(Base):
    """The site's RSA signing key. Generated at first start, never committed."""

    __tablename__ = "site_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    fname: Mapped[str | None] = _s()
    lname: Mapped[str | None] = _s()
    email: Mapped[str | None] = _s()
    # ACL group, as OpenEMR's gacl groups: "admin" (Administrators), "front" (Front Office), ...
    acl_group: Mapped[str] = mapped_column(String(63))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Facility(Base):
    __tablename__ = "facility"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = _s(30)
    fax: Mapped[str | None] = _s(30)
    street: Mapped[str | None] = _s()
    city: Mapped[str | None] = _s()
    state: Mapped[str | None] = _s(50)
    postal_code: Mapped[str | None] = _s(11)
    country_code: Mapped[str | None] = _s(30)
    federal_ein: Mapped[str | None] = _s(15)
    website: Mapped[str | None] = _s()
    email: Mapped[str | None] = _s()
    service_location: Mapped[bool] = mapped_column(Boolean, default=True)
    billing_location: Mapped[bool] = mapped_column(Boolean, default=False)
    accepts_assignment: Mapped[bool] = mapped_column(Boolean, default=False)
    pos_code: Mapped[str | None] = _s(2)
    domain_identifier: Mapped[str | None] = _s(60)
    attn: Mapped[str | None] = _s(65)
    tax_id_type: Mapped[str | None] = _s(31)
    color: Mapped[str | None] = _s(7)
    primary_business_entity: Mapped[bool] = mapped_column(Boolean, default=False)
    facility_npi: Mapped[str | None] = _s(15)
    facility_taxonomy: Mapped[str | None] = _s(15)
    facility_code: Mapped[str | None] = _s(31)
    oid: Mapped[str | None] = _s()
    info: Mapped[str | None] = mapped_column(Text, nullable=True)


class Practitioner(Base):
    __tablename__ = "practitioner"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    title: Mapped[str | None] = _s(30)
    fname: Mapped[str] = mapped_column(String(255))
    mname: Mapped[str | None] = _s()
    lname: Mapped[str] = mapped_column(String(255))
    suffix: Mapped[str | None] = _s(30)
    federaltaxid: Mapped[str | None] = _s()
    federaldrugid: Mapped[str | None] = _s()
    upin: Mapped[str | None] = _s()
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facility.id"), nullable=True
    )
    facility: Mapped[str | None] = _s()
    npi: Mapped[str] = mapped_column(String(15))
    email: Mapped[str | None] = _s()
    specialty: Mapped[str | None] = _s()
    billname: Mapped[str | None] = _s()
    url: Mapped[str | None] = _s()
    assistant: Mapped[str | None] = _s()
    organization: Mapped[str | None] = _s()
    valedictory: Mapped[str | None] = _s()
    street: Mapped[str | None] = _s(60)
    streetb: Mapped[str | None] = _s(60)
    city: Mapped[str | None] = _s(30)
    state: Mapped[str | None] = _s(30)
    zip: Mapped[str | None] = _s(20)
    phone: Mapped[str | None] = _s(30)
    fax: Mapped[str | None] = _s(30)
    phonew1: Mapped[str | None] = _s(30)
    phonecell: Mapped[str | None] = _s(30)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    state_license_number: Mapped[str | None] = _s(25)
    username: Mapped[str | None] = _s()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    abook_title: Mapped[str | None] = _s()
    physician_title: Mapped[str | None] = _s()
    physician_code: Mapped[str | None] = _s()


class Patient(Base):
    """OpenEMR's patient_data: `pid` is the integer id, `uuid` the public one."""

    __tablename__ = "patient_data"
    pid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pubpid: Mapped[str | None] = _s()
    title: Mapped[str | None] = _s()
    fname: Mapped[str] = mapped_column(String(255))
    mname: Mapped[str | None] = _s()
    lname: Mapped[str] = mapped_column(String(255))
    suffix: Mapped[str | None] = _s()
    DOB: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(30))
    ss: Mapped[str | None] = _s()
    street: Mapped[str | None] = _s()
    postal_code: Mapped[str | None] = _s()
    city: Mapped[str | None] = _s()
    state: Mapped[str | None] = _s()
    county: Mapped[str | None] = _s()
    country_code: Mapped[str | None] = _s()
    drivers_license: Mapped[str | None] = _s()
    contact_relationship: Mapped[str | None] = _s()
    phone_contact: Mapped[str | None] = _s()
    phone_home: Mapped[str | None] = _s()
    phone_biz: Mapped[str | None] = _s()
    phone_cell: Mapped[str | None] = _s()
    postal_contact: Mapped[str | None] = _s()
    email: Mapped[str | None] = _s()
    email_direct: Mapped[str | None] = _s()
    race: Mapped[str | None] = _s()
    ethnicity: Mapped[str | None] = _s()
    religion: Mapped[str | None] = _s()
    language: Mapped[str | None] = _s()
    status: Mapped[str | None] = _s()
    occupation: Mapped[str | None] = _s()
    sexual_orientation: Mapped[str | None] = _s(50)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # The primary provider (OpenEMR's `providerID`: a practitioner's integer id).
    providerID: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # The guardian, as OpenEMR keeps it on the patient (migration 0016).
    guardiansname: Mapped[str | None] = _s()
    guardianrelationship: Mapped[str | None] = _s()
    guardiansex: Mapped[str | None] = _s()
    guardianaddress: Mapped[str | None] = _s()
    guardiancity: Mapped[str | None] = _s()
    guardianstate: Mapped[str | None] = _s()
    guardianpostalcode: Mapped[str | None] = _s()
    guardiancountry: Mapped[str | None] = _s()
    guardianphone: Mapped[str | None] = _s()
    guardianworkphone: Mapped[str | None] = _s()
    guardianemail: Mapped[str | None] = _s()
    # Patient portal credentials (OpenEMR's patient_access_onsite).
    portal_username: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    portal_password_hash: Mapped[str | None] = _s()
    # Case-folded names for prefix search, kept by the validator below on every write.
    fname_key: Mapped[str | None] = mapped_column(SEARCH_KEY, nullable=True)
    lname_key: Mapped[str | None] = mapped_column(SEARCH_KEY, nullable=True)

    __table_args__ = (
        Index("ix_patient_lname_fname", "lname", "fname"),
        Index("ix_patient_dob", "DOB"),
        # Last name, then first: a last-name prefix is a range, and a first-name prefix
        # beside it is checked in the index before any row is read.
        Index("ix_patient_lname_key", "lname_key", "fname_key"),
        Index("ix_patient_fname_key", "fname_key"),
    )

    @validates("fname", "lname")
    def _keep_search_key(self, name: str, value):
        setattr(self, f"{name}_key", fold(value))
        return value


class CalendarCategory(Base):
    """OpenEMR's calendar (visit) categories: an encounter's and an appointment's
    `pc_catid`. Migration 0005 adds OpenEMR's defaults."""

    __tablename__ = "openemr_postcalendar_categories"
    __table_args__ = {"sqlite_autoincrement": True}
    pc_catid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pc_constant_id: Mapped[str | None] = _s()
    pc_catname: Mapped[str] = mapped_column(String(100))
    pc_catdesc: Mapped[str | None] = mapped_column(Text, nullable=True)
    pc_duration: Mapped[int] = mapped_column(Integer, default=900)  # seconds
    pc_cattype: Mapped[int] = mapped_column(Integer, default=0)  # 0 patient, 1 provider, 2 clinic
    pc_active: Mapped[bool] = mapped_column(Boolean, default=True)
    pc_seq: Mapped[int] = mapped_column(Integer, default=0)


class Encounter(Base):
    """OpenEMR's form_encounter: `eid` is the row id, `encounter` the encounter number."""

    __tablename__ = "form_encounter"
    eid: Mapped[int] = mapped_column("id", Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"), index=True)
    encounter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    date: Mapped[datetime] = mapped_column(DateTime)
    onset_date: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    facility: Mapped[str | None] = _s()
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), nullable=True)
    billing_facility: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sensitivity: Mapped[str | None] = _s(30)
    pc_catid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    class_code: Mapped[str | None] = _s(10)
    pos_code: Mapped[str | None] = _s(2)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id"), nullable=True
    )
    supervisor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    referring_provider_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    external_id: Mapped[str | None] = _s(20)
    referral_source: Mapped[str | None] = _s(31)
    # Billing state, as OpenEMR's billing keeps it; the API reads these, never writes them.
    billing_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    invoice_refno: Mapped[str | None] = _s(31)
    last_level_billed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_level_closed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_stmt_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    stmt_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class OAuthClient(Base):
    __tablename__ = "oauth_clients"
    client_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    client_secret_hash: Mapped[str | None] = _s()
    registration_access_token_hash: Mapped[str | None] = _s()
    client_name: Mapped[str] = mapped_column(String(255))
    # The accepted RFC 7591 metadata, as JSON text.
    metadata_json: Mapped[str] = mapped_column(Text)
    is_confidential: Mapped[bool] = mapped_column(Boolean, default=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    issued_at: Mapped[int] = mapped_column(Integer)


class OAuthAccessToken(Base):
    """Every issued access token, by `jti`, so revocation and logout take effect at once."""

    __tablename__ = "oauth_access_tokens"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(80), index=True)
    user_uuid: Mapped[str | None] = _s(36)
    patient_uuid: Mapped[str | None] = _s(36)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    refresh_token_id: Mapped[str | None] = _s(64)


class OAuthRefreshToken(Base):
    """Refresh tokens are stored hashed; `id` is a random handle, not the token."""

    __tablename__ = "oauth_refresh_tokens"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    client_id: Mapped[str] = mapped_column(String(80), index=True)
    user_uuid: Mapped[str | None] = _s(36)
    patient_uuid: Mapped[str | None] = _s(36)
    user_role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the token is exchanged; a second use means theft and kills the family.
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)


class OAuthAuthorizationCode(Base):
    """Authorization codes, stored hashed; single use (`used_at`) and short-lived.
    A used row is kept until it expires so that a replayed code can revoke the tokens it
    produced (`token_jti`, and the refresh family named by `id`). `ticket_jti` makes each
    consent ticket good for one code."""

    __tablename__ = "oauth_authorization_codes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_jti: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(80), index=True)
    # As sent in the authorization request (None when it was omitted).
    redirect_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    scope: Mapped[str] = mapped_column(Text)
    user_role: Mapped[str] = mapped_column(String(20))
    user_uuid: Mapped[str | None] = _s(36)
    patient_uuid: Mapped[str | None] = _s(36)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    nonce: Mapped[str | None] = _s(255)
    auth_time: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    token_jti: Mapped[str | None] = _s(64)


class AuditLog(Base):
    """One row per API request. Never the token or secrets."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    site: Mapped[str] = mapped_column(String(63))
    request_id: Mapped[str] = mapped_column(String(36))
    user_uuid: Mapped[str | None] = _s(36)
    user_role: Mapped[str | None] = _s(20)
    client_id: Mapped[str | None] = _s(80)
    token_jti: Mapped[str | None] = _s(64)
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(255))
    patient_uuid: Mapped[str | None] = _s(36)
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("request_id", name="uq_audit_request"),)


class ResourceVersion(Base):
    """One version of a FHIR resource beyond its first (db/versions.py): written for every
    change and delete of a versioned row, whichever API made it, and for a create through
    FHIR. `resource` is the FHIR JSON of that version when the FHIR API wrote it (kept for
    vread and history); a change made through the Standard API keeps no JSON. A row with no
    versions here is at version 1."""

    __tablename__ = "fhir_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(10))  # create, update, delete
    recorded: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resource: Mapped[str | None] = mapped_column(
        Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"), nullable=True)

    __table_args__ = (
        # One writer wins each version number; the type's history pages in id order.
        UniqueConstraint("resource_type", "resource_id", "version", name="uq_fhir_version"),
        Index("ix_fhir_history_type_id", "resource_type", "id"),
    )


class CreateLock(Base):
    """A conditional create's criteria (a hash of its type and query), locked for the
    length of the create so two like it cannot both find nothing and both create."""

    __tablename__ = "fhir_create_lock"
    resource_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    criteria: Mapped[str] = mapped_column(String(64), primary_key=True)


class Issue(Base):
    """OpenEMR's `lists`: a patient's allergies, medical problems, medications, surgeries and
    dental issues in one table, told apart by `type`. `id` is the integer id, `uuid` the
    public one; `date` is when the row was made, `modifydate` when it last changed."""

    __tablename__ = "lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    # allergy, medical_problem, medication, surgery or dental
    type: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    begdate: Mapped[date | None] = mapped_column(Date, nullable=True)
    enddate: Mapped[date | None] = mapped_column(Date, nullable=True)
    diagnosis: Mapped[str | None] = _s()
    comments: Mapped[str | None] = mapped_column(Text, nullable=True)
    activity: Mapped[bool] = mapped_column(Boolean, default=True)
    occurrence: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[int] = mapped_column(Integer, default=0)
    severity_al: Mapped[str | None] = _s(50)
    reaction: Mapped[str | None] = _s()
    # An implantable device's (type medical_device) Unique Device Identifier as printed
    # (`udi`, the human-readable form) and, as JSON, what the FDA's GUDID says of it (`di`,
    # `lot_number`, `serial_number`, `manufacturing_date`, `expiration_date`, `brand_name`,
    # `device_description`, ...).
    udi: Mapped[str | None] = _s()
    udi_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modifydate: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # A patient's rows of one type (every patient path), and one type's rows in id
        # order (the top-level lists).
        Index("ix_lists_pid_type", "pid", "type"),
        Index("ix_lists_type_id", "type", "id"),
        # Rows are deleted and addressed by integer id: SQLite must not hand a deleted
        # row's id to the next one (the other databases never do).
        {"sqlite_autoincrement": True},
    )





class Appointment(Base):
    """OpenEMR's openemr_postcalendar_events, the columns its appointment API reads or
    writes: `pc_eid` is the integer id, `uuid` the public one (`pc_uuid` in answers).
    `pc_duration` is in seconds; `pc_endTime` is `pc_startTime` plus it. `pc_time` is when
    the row was made. `pc_aid` is the provider (a Practitioner), `pc_facility` and
    `pc_billing_location` are facilities."""

    __tablename__ = "openemr_postcalendar_events"
    pc_eid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pc_catid: Mapped[int] = mapped_column(ForeignKey("openemr_postcalendar_categories.pc_catid"))
    pc_aid: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"), nullable=True)
    pc_pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    pc_title: Mapped[str] = mapped_column(String(150))
    pc_time: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    pc_hometext: Mapped[str | None] = mapped_column(Text, nullable=True)
    pc_informant: Mapped[str | None] = _s(20)
    pc_eventDate: Mapped[date] = mapped_column(Date)
    pc_endDate: Mapped[date | None] = mapped_column(Date, nullable=True)
    pc_duration: Mapped[int] = mapped_column(Integer, default=0)
    pc_startTime: Mapped[time] = mapped_column(Time)
    pc_endTime: Mapped[time] = mapped_column(Time)
    pc_eventstatus: Mapped[int] = mapped_column(Integer, default=1)
    pc_sharing: Mapped[int] = mapped_column(Integer, default=1)
    pc_apptstatus: Mapped[str] = mapped_column(String(15), default="-")
    pc_facility: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    pc_billing_location: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    pc_room: Mapped[str] = mapped_column(String(20), default="")

    __table_args__ = (
        # A patient's appointments in id order (every patient path), and the calendar's
        # days.
        Index("ix_appointment_pid_eid", "pc_pid", "pc_eid"),
        Index("ix_appointment_event_date", "pc_eventDate"),
        # Rows are deleted and addressed by integer id: SQLite must not reuse a deleted id.
        {"sqlite_autoincrement": True},
    )



# Text of up to 65,535 characters (OpenEMR's SOAP sections): MariaDB's TEXT holds 65,535
# bytes, too few for that many characters of utf8mb4, so MEDIUMTEXT there.
LONG_TEXT = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def _measure(precision: int = 12, scale: int = 6) -> Mapped[float | None]:
    """A measurement as OpenEMR's form_vitals keeps it (DECIMAL), read back as a float;
    null when not measured."""
    return mapped_column(Numeric(precision, scale, asdecimal=False), nullable=True)


class EncounterForm(Base):
    """OpenEMR's `forms`: one row per form filled in an encounter, linking the form's own
    row (`form_id` in the table `formdir` names: `vitals` is form_vitals, `soap` form_soap)
    to the patient and the encounter. `encounter` is the encounter's number
    (form_encounter.encounter), as OpenEMR stores it."""

    __tablename__ = "forms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    encounter: Mapped[int] = mapped_column(Integer)
    form_name: Mapped[str] = mapped_column(String(255))
    form_id: Mapped[int] = mapped_column(Integer)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    user: Mapped[str | None] = _s()
    groupname: Mapped[str | None] = _s()
    authorized: Mapped[bool] = mapped_column(Boolean, default=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    formdir: Mapped[str] = mapped_column(String(255))

    __table_args__ = (
        # An encounter's forms (every path names the patient and the encounter), and a
        # form's own row back to its link.
        Index("ix_forms_pid_encounter", "pid", "encounter"),
        Index("ix_forms_formdir_form_id", "formdir", "form_id"),
    )


class Vital(Base):
    """OpenEMR's form_vitals: one vitals form of an encounter (linked by `forms`). `id` is
    the integer id (`vid` in paths), `uuid` the public one. Measurements are in the units
    OpenEMR documents (lb, in, °F) or whatever the client sent: nothing converts them.
    `bps` and `bpd` are text, as OpenEMR's columns are."""

    __tablename__ = "form_vitals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"), index=True)
    user: Mapped[str | None] = _s()
    groupname: Mapped[str | None] = _s()
    authorized: Mapped[bool] = mapped_column(Boolean, default=True)
    activity: Mapped[bool] = mapped_column(Boolean, default=True)
    bps: Mapped[str | None] = _s(40)
    bpd: Mapped[str | None] = _s(40)
    weight: Mapped[float | None] = _measure()
    height: Mapped[float | None] = _measure()
    temperature: Mapped[float | None] = _measure()
    temp_method: Mapped[str | None] = _s()
    pulse: Mapped[float | None] = _measure()
    respiration: Mapped[float | None] = _measure()
    note: Mapped[str | None] = _s()
    BMI: Mapped[float | None] = _measure()
    BMI_status: Mapped[str | None] = _s()
    waist_circ: Mapped[float | None] = _measure()
    head_circ: Mapped[float | None] = _measure()
    oxygen_saturation: Mapped[float | None] = _measure(6, 2)
    oxygen_flow_rate: Mapped[float | None] = _measure()
    inhaled_oxygen_concentration: Mapped[float | None] = _measure(6, 2)
    ped_weight_height: Mapped[float | None] = _measure(6, 2)
    ped_bmi: Mapped[float | None] = _measure(6, 2)
    ped_head_circ: Mapped[float | None] = _measure(6, 2)
    external_id: Mapped[str | None] = _s(20)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SoapNote(Base):
    """OpenEMR's form_soap: one SOAP note of an encounter (linked by `forms`). `id` is the
    integer id (`sid` in paths); `uuid` is this server's public id (OpenEMR's table has
    none)."""

    __tablename__ = "form_soap"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"), index=True)
    user: Mapped[str | None] = _s()
    groupname: Mapped[str | None] = _s()
    authorized: Mapped[bool] = mapped_column(Boolean, default=True)
    activity: Mapped[bool] = mapped_column(Boolean, default=True)
    subjective: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    objective: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    assessment: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    plan: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)


class ListOption(Base):
    """OpenEMR's list_options: the options of its selectable lists (sex, race, language,
    ...), keyed by list and option id. Migration 0008 adds the options OpenEMR installs."""

    __tablename__ = "list_options"
    list_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    option_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    option_value: Mapped[float] = mapped_column(Float, default=0)
    mapping: Mapped[str] = mapped_column(String(31), default="")
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    codes: Mapped[str] = mapped_column(String(255), default="")
    activity: Mapped[bool] = mapped_column(Boolean, default=True)


# --- Immunizations and procedure orders (migration 0012) -------------------------------

# OpenEMR's code_types number for the CDC's CVX vaccine codes.
CVX_CODE_TYPE = 100
# A dose (0.3 mL) compared exactly: MariaDB's FLOAT is single precision, so DOUBLE there.
DOSE = Float().with_variant(mysql.DOUBLE(), "mysql", "mariadb")


class Code(Base):
    """OpenEMR's `codes`: the entries of the code sets it keeps a copy of, told apart by
    `code_type` (OpenEMR's code_types number: 100 is CVX). Here the CVX vaccines, so an
    immunization's `cvx_code` has its name; migration 0012 adds them."""

    __tablename__ = "codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_type: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    code_text: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("code_type", "code", name="uq_codes_type_code"),)


class Immunization(Base):
    """OpenEMR's `immunizations`: one vaccine given (or refused) to a patient. `id` is the
    integer id, `uuid` the public one. `cvx_code` is the CDC's CVX code; `administration_site`
    an option of the `immunization_administered_site` list (its notes hold the HL7 body-site
    code), `route` one of `drug_route`; `completion_status` OpenEMR's `Completed`, `Refused`,
    `Not Administered` or `Partially Administered`, with `refusal_reason` an option of the
    `immunization_refusal_reason` list (its notes hold the CDC NIP002 code).
    `information_source` is OpenEMR's option of the NIP001 list (`new_immunization_record`
    when this clinic gave it). `administered_by_id` and `ordering_provider` are practitioners
    (`administered_by` names someone outside the practice); `encounter_id` is the number of
    the encounter it was given in. `amount_administered_unit` is a UCUM unit (`mL`)."""

    __tablename__ = "immunizations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    administered_date: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    immunization_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cvx_code: Mapped[str | None] = _s(64)
    manufacturer: Mapped[str | None] = _s(100)
    lot_number: Mapped[str | None] = _s(50)
    administered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id"), nullable=True)
    administered_by: Mapped[str | None] = _s()
    education_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    vis_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    create_date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    update_date: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_administered: Mapped[float | None] = mapped_column(DOSE, nullable=True)
    amount_administered_unit: Mapped[str | None] = _s(50)
    expiration_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    route: Mapped[str | None] = _s(100)
    administration_site: Mapped[str | None] = _s(100)
    added_erroneously: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = _s(20)
    completion_status: Mapped[str | None] = _s(50)
    information_source: Mapped[str | None] = _s(31)
    refusal_reason: Mapped[str | None] = _s(31)
    ordering_provider: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id"), nullable=True)
    reason_code: Mapped[str | None] = _s(31)
    reason_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    encounter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        # A patient's immunizations in id order (patient narrowing, paging), and a day's.
        Index("ix_immunizations_patient_id", "patient_id", "id"),
        Index("ix_immunizations_administered_date", "administered_date"),
    )


class ProcedureProvider(Base):
    """OpenEMR's `procedure_providers`: a laboratory (or other service) orders go to;
    `ppid` is its integer id. The HL7 transport settings OpenEMR keeps here are left out."""

    __tablename__ = "procedure_providers"
    ppid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255), default="")
    npi: Mapped[str] = mapped_column(String(15), default="")
    type: Mapped[str | None] = _s(31)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    date_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ProcedureType(Base):
    """OpenEMR's `procedure_type`: a laboratory's catalogue, a tree of groups (`grp`),
    orderable tests (`ord`) and the results they give (`res`, children of their test).
    `procedure_code` is the code orders and results carry; `standard_code` the same test
    in a standard code set (`LOINC:4548-4`); `units` (UCUM) and `range` are the result's
    defaults."""

    __tablename__ = "procedure_type"
    procedure_type_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(63), default="")
    lab_id: Mapped[int | None] = mapped_column(
        ForeignKey("procedure_providers.ppid"), nullable=True)
    procedure_code: Mapped[str] = mapped_column(String(64), default="")
    procedure_type: Mapped[str] = mapped_column(String(31), default="")
    specimen: Mapped[str] = mapped_column(String(31), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    standard_code: Mapped[str] = mapped_column(String(255), default="")
    units: Mapped[str] = mapped_column(String(31), default="")
    range: Mapped[str] = mapped_column(String(255), default="")
    seq: Mapped[int] = mapped_column(Integer, default=0)
    activity: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("ix_procedure_type_code", "procedure_code"),)


class ProcedureOrder(Base):
    """OpenEMR's `procedure_order`: an order (a lab order, mostly) for a patient.
    `procedure_order_id` is the integer id, `uuid` the public one. `provider_id` is the
    ordering practitioner, `lab_id` the laboratory, `encounter_id` the number of the
    encounter it was ordered in. `order_status` is OpenEMR's `pending`, `routed`, `complete`
    or `canceled`; `order_priority` `normal` or `high`; `specimen_type` an HL7 table 0487
    code (`BLD`, `SER`); `order_diagnosis` OpenEMR's `<codetype>:<code>`, several joined
    by `;`. Its tests are `ProcedureOrderCode` rows, their reports `ProcedureReport`."""

    __tablename__ = "procedure_order"
    procedure_order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"), nullable=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    encounter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    date_collected: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    date_ordered: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    order_priority: Mapped[str] = mapped_column(String(31), default="")
    order_status: Mapped[str] = mapped_column(String(31), default="")
    patient_instructions: Mapped[str | None] = mapped_column(Text, nullable=True)
    activity: Mapped[bool] = mapped_column(Boolean, default=True)
    control_id: Mapped[str] = mapped_column(String(255), default="")
    lab_id: Mapped[int | None] = mapped_column(
        ForeignKey("procedure_providers.ppid"), nullable=True)
    specimen_type: Mapped[str] = mapped_column(String(31), default="")
    specimen_location: Mapped[str] = mapped_column(String(31), default="")
    specimen_volume: Mapped[str] = mapped_column(String(30), default="")
    specimen_fasting: Mapped[str | None] = _s(31)
    date_transmitted: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    clinical_hx: Mapped[str] = mapped_column(String(255), default="")
    external_id: Mapped[str | None] = _s(20)
    history_order: Mapped[str] = mapped_column(String(1), default="0")
    order_diagnosis: Mapped[str] = mapped_column(String(255), default="")
    procedure_order_type: Mapped[str] = mapped_column(String(32), default="laboratory_test")
    order_intent: Mapped[str] = mapped_column(String(31), default="order")
    scheduled_date: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        # A patient's orders in id order (patient narrowing, paging), and a day's.
        Index("ix_procedure_order_patient_id", "patient_id", "procedure_order_id"),
        Index("ix_procedure_order_date_ordered", "date_ordered"),
    )


class ProcedureOrderCode(Base):
    """OpenEMR's `procedure_order_code`: one test of an order, numbered within it by
    `procedure_order_seq`. `procedure_code` matches the laboratory's `procedure_type`;
    `diagnoses` is `<codetype>:<code>`, several joined by `;`."""

    __tablename__ = "procedure_order_code"
    procedure_order_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_order.procedure_order_id"), primary_key=True)
    procedure_order_seq: Mapped[int] = mapped_column(Integer, primary_key=True,
                                                     autoincrement=False)
    procedure_code: Mapped[str] = mapped_column(String(64), default="")
    procedure_name: Mapped[str] = mapped_column(String(255), default="")
    procedure_source: Mapped[str] = mapped_column(String(1), default="1")
    diagnoses: Mapped[str | None] = mapped_column(Text, nullable=True)
    do_not_send: Mapped[bool] = mapped_column(Boolean, default=False)
    procedure_order_title: Mapped[str | None] = _s()
    procedure_type: Mapped[str | None] = _s(31)


class ProcedureReport(Base):
    """OpenEMR's `procedure_report`: what the laboratory reported for one test of an order
    (`procedure_order_id`, `procedure_order_seq`). `report_status` is `final`, `prelim`,
    `cancel`, `error` or `correct`; `review_status` `received` or `reviewed`;
    `specimen_num` the laboratory's accession number."""

    __tablename__ = "procedure_report"
    procedure_report_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    procedure_order_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_order.procedure_order_id"))
    procedure_order_seq: Mapped[int] = mapped_column(Integer, default=1)
    date_collected: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    date_collected_tz: Mapped[str] = mapped_column(String(5), default="")
    date_report: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    date_report_tz: Mapped[str] = mapped_column(String(5), default="")
    source: Mapped[int | None] = mapped_column(Integer, nullable=True)
    specimen_num: Mapped[str] = mapped_column(String(63), default="")
    report_status: Mapped[str] = mapped_column(String(31), default="")
    review_status: Mapped[str] = mapped_column(String(31), default="received")
    report_notes: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_procedure_report_order", "procedure_order_id"),)


class ProcedureResult(Base):
    """OpenEMR's `procedure_result`: one result of a report. `result_code` is a LOINC code,
    `units` a UCUM unit, `result` the value as text (`result_data_type` `N` numeric, `S`
    string, ...), `range` the reference range, `abnormal` `no`, `yes`, `high`, `low` (or
    empty), `result_status` `final`, `prelim`, `correct`, ..."""

    __tablename__ = "procedure_result"
    procedure_result_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    procedure_report_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_report.procedure_report_id"))
    result_data_type: Mapped[str] = mapped_column(String(1), default="S")
    result_code: Mapped[str] = mapped_column(String(31), default="")
    result_text: Mapped[str] = mapped_column(String(255), default="")
    date: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    facility: Mapped[str] = mapped_column(String(255), default="")
    units: Mapped[str] = mapped_column(String(31), default="")
    result: Mapped[str] = mapped_column(String(255), default="")
    range: Mapped[str] = mapped_column(String(255), default="")
    abnormal: Mapped[str] = mapped_column(String(31), default="")
    comments: Mapped[str | None] = mapped_column(Text, nullable=True)
    document_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result_status: Mapped[str] = mapped_column(String(31), default="")
    date_end: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_procedure_result_report", "procedure_report_id"),)


class InsuranceType(Base):
    """OpenEMR's insurance_type_codes: the payer types an insurance company is one of
    (`ins_type_code`), with the X12 claim filing indicator each bills as. Migration 0009
    adds OpenEMR's 26."""

    __tablename__ = "insurance_type_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(60))
    claim_type: Mapped[str | None] = _s(10)


class InsuranceCompany(Base):
    """OpenEMR's insurance_companies (payers). `id` is the integer id (`iid` in paths),
    `uuid` the public one. The address OpenEMR keeps in its `addresses` table (one row per
    company, by foreign_id) is kept here, in the company's own row."""

    __tablename__ = "insurance_companies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255))
    attn: Mapped[str | None] = _s()
    cms_id: Mapped[str | None] = _s(15)
    alt_cms_id: Mapped[str | None] = _s(15)
    ins_type_code: Mapped[int | None] = mapped_column(
        ForeignKey("insurance_type_codes.id"), nullable=True)
    x12_receiver_id: Mapped[str | None] = _s(25)
    x12_default_partner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inactive: Mapped[bool] = mapped_column(Boolean, default=False)
    line1: Mapped[str | None] = _s()
    line2: Mapped[str | None] = _s()
    city: Mapped[str | None] = _s()
    state: Mapped[str | None] = _s(35)
    zip: Mapped[str | None] = _s(10)
    country: Mapped[str | None] = _s()
    date_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class InsurancePolicy(Base):
    """OpenEMR's insurance_data: a patient's insurance policy (a FHIR Coverage). `type`
    is its slot (primary, secondary, tertiary), `provider` the insurance company paying
    (the payer), `date` and `date_end` its period (no end: the current policy), the
    `subscriber_*` fields the policy holder and their relation to the patient."""

    __tablename__ = "insurance_data"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    type: Mapped[str] = mapped_column(String(10))
    provider: Mapped[int] = mapped_column(ForeignKey("insurance_companies.id"))
    plan_name: Mapped[str | None] = _s()
    policy_number: Mapped[str | None] = _s()
    group_number: Mapped[str | None] = _s()
    subscriber_lname: Mapped[str | None] = _s()
    subscriber_mname: Mapped[str | None] = _s()
    subscriber_fname: Mapped[str | None] = _s()
    subscriber_relationship: Mapped[str | None] = _s(100)
    subscriber_ss: Mapped[str | None] = _s()
    subscriber_DOB: Mapped[date | None] = mapped_column(Date, nullable=True)
    subscriber_street: Mapped[str | None] = _s()
    subscriber_postal_code: Mapped[str | None] = _s()
    subscriber_city: Mapped[str | None] = _s()
    subscriber_state: Mapped[str | None] = _s()
    subscriber_country: Mapped[str | None] = _s()
    subscriber_phone: Mapped[str | None] = _s()
    subscriber_employer: Mapped[str | None] = _s()
    subscriber_employer_street: Mapped[str | None] = _s()
    subscriber_employer_postal_code: Mapped[str | None] = _s()
    subscriber_employer_state: Mapped[str | None] = _s()
    subscriber_employer_country: Mapped[str | None] = _s()
    subscriber_employer_city: Mapped[str | None] = _s()
    subscriber_sex: Mapped[str | None] = _s(30)
    copay: Mapped[str | None] = _s()
    date: Mapped[date] = mapped_column(Date)
    date_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    accept_assignment: Mapped[bool] = mapped_column(Boolean, default=True)
    policy_type: Mapped[str] = mapped_column(String(25), default="")

    __table_args__ = (
        # A patient's policies of one slot (every path, and the period checks).
        Index("ix_insurance_data_pid_type", "pid", "type"),
    )


class EmployerData(Base):
    """OpenEMR's employer_data: a patient's employer, one row per change (the newest is
    the current one). `created_by` is the staff user who recorded it."""

    __tablename__ = "employer_data"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    name: Mapped[str | None] = _s()
    street: Mapped[str | None] = _s()
    street_line_2: Mapped[str | None] = _s()
    postal_code: Mapped[str | None] = _s()
    city: Mapped[str | None] = _s()
    state: Mapped[str | None] = _s()
    country: Mapped[str | None] = _s()
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    occupation: Mapped[str | None] = _s()
    industry: Mapped[str | None] = _s()

    __table_args__ = (Index("ix_employer_data_pid_date", "pid", "date"),)


class PatientMessage(Base):
    """OpenEMR's pnotes: messages between users about a patient. `id` is the integer id
    (`mid` in paths); `user` is the sender (`from`), `assigned_to` the recipient (`to`),
    both usernames; `title` is an option of the `note_type` list, `message_status` of the
    `message_status` list. `body` is the thread: each write appends a dated line. A
    deleted message keeps its row with `deleted` set, as in OpenEMR."""

    __tablename__ = "pnotes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    body: Mapped[str] = mapped_column(LONG_TEXT)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    user: Mapped[str] = mapped_column(String(255))
    groupname: Mapped[str] = mapped_column(String(255))
    activity: Mapped[bool] = mapped_column(Boolean, default=True)
    authorized: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(255))
    assigned_to: Mapped[str] = mapped_column(String(255))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    message_status: Mapped[str] = mapped_column(String(20), default="New")
    update_date: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # A patient's messages (every path names the patient).
        Index("ix_pnotes_pid_id", "pid", "id"),
        # Rows are addressed by integer id: SQLite must not reuse a removed row's id.
        {"sqlite_autoincrement": True},
    )


class Transaction(Base):
    """OpenEMR's transactions with their layout's fields (OpenEMR keeps those in lbt_data,
    one row per field) as typed columns. `id` is the integer id (`tid` in paths, also
    `form_id` in answers); `title` is the layout (`LBTref` a referral, ...). `refer_from`
    and `refer_to` are the referring and the referred-to practitioners."""

    __tablename__ = "transactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    title: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    groupname: Mapped[str] = mapped_column(String(255))
    authorized: Mapped[bool] = mapped_column(Boolean, default=True)
    body: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    refer_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    refer_diag: Mapped[str | None] = _s()
    refer_from: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"), nullable=True)
    refer_to: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"), nullable=True)
    refer_risk_level: Mapped[str | None] = _s(10)
    refer_vitals: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    refer_authorization: Mapped[str | None] = _s()
    refer_visits: Mapped[int | None] = mapped_column(Integer, nullable=True)
    refer_validFrom: Mapped[date | None] = mapped_column(Date, nullable=True)
    refer_validThrough: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        # A patient's transactions in id order (the patient's list).
        Index("ix_transactions_pid_id", "pid", "id"),
    )


class Drug(Base):
    """OpenEMR's drugs: the formulary (inventory) drugs a prescription may name. `drug_id`
    is the integer id, `uuid` the public one; `drug_code` is the drug's RxNorm code (RXCUI).
    `form`, `unit` and `route` are option ids of OpenEMR's drug_form, drug_units and
    drug_route lists (list_options); `size` is the strength in `unit`."""

    __tablename__ = "drugs"
    drug_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255))
    ndc_number: Mapped[str | None] = _s(20)
    form: Mapped[str | None] = _s(100)
    size: Mapped[str | None] = _s(25)
    unit: Mapped[str | None] = _s(100)
    route: Mapped[str | None] = _s(100)
    related_code: Mapped[str | None] = _s()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    drug_code: Mapped[str | None] = _s(25)
    date_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Prescription(Base):
    """OpenEMR's prescriptions: a drug prescribed to a patient (`patient_id`, the pid) by a
    practitioner (`provider_id`), optionally in one of the patient's encounters
    (`encounter`, the encounter's number) and for a formulary drug (`drug_id`). `form`,
    `unit`, `route` and `interval` are option ids of OpenEMR's drug lists (list_options);
    `quantity` and `size` are decimal text, as OpenEMR keeps them. `request_intent` and
    `usage_category` are FHIR MedicationRequest intent and category codes. A prescription
    is never removed: deleting one clears `active`."""

    __tablename__ = "prescriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    encounter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    drug: Mapped[str] = mapped_column(String(150))
    drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.drug_id"), nullable=True)
    rxnorm_drugcode: Mapped[str | None] = _s(25)
    form: Mapped[str | None] = _s(100)
    dosage: Mapped[str | None] = _s(100)
    quantity: Mapped[str | None] = _s(31)
    size: Mapped[str | None] = _s(25)
    unit: Mapped[str | None] = _s(100)
    route: Mapped[str | None] = _s(100)
    interval: Mapped[str | None] = _s(100)
    refills: Mapped[int] = mapped_column(Integer, default=0)
    date_added: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    medication: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    diagnosis: Mapped[str | None] = _s()
    drug_dosage_instructions: Mapped[str | None] = mapped_column(Text, nullable=True)
    usage_category: Mapped[str] = mapped_column(String(100), default="community")
    request_intent: Mapped[str] = mapped_column(String(100), default="order")

    # A patient's prescriptions in id order (the patient filter and patient narrowing).
    __table_args__ = (Index("ix_prescriptions_patient_id_id", "patient_id", "id"),)


class BackgroundService(Base):
    """OpenEMR's background_services: the jobs the server runs on a schedule (token
    cleanup, export file expiry, the audit log check), with their schedule and their last
    outcome. Migration 0014 adds the three. `running` is set by a compare-and-set claim
    that holds a lease until `lock_expires_at`: one worker runs a service at a time, and a
    claim left by a worker that died is taken over once its lease has run out."""

    __tablename__ = "background_services"
    name: Mapped[str] = mapped_column(String(31), primary_key=True)
    title: Mapped[str] = mapped_column(String(127))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    running: Mapped[bool] = mapped_column(Boolean, default=False)
    next_run: Mapped[datetime] = mapped_column(DateTime)
    execute_interval: Mapped[int] = mapped_column(Integer, default=0)  # minutes; 0: on demand
    # The job the service runs, by its name in services/background.py (never an import path).
    function: Mapped[str] = mapped_column(String(127))
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    lock_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lock_owner: Mapped[str | None] = _s(36)  # the claim's own id: only its holder releases it
    last_run_start: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_run_end: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_status: Mapped[str | None] = _s(10)  # "ok" or "error"
    last_message: Mapped[str | None] = _s(255)


# The token cleanup finds expired rows by these (oauth_authorization_codes has its own).
Index("ix_oauth_access_tokens_expires_at", OAuthAccessToken.expires_at)
Index("ix_oauth_refresh_tokens_expires_at", OAuthRefreshToken.expires_at)


class DocumentCategory(Base):
    """OpenEMR's `categories`: the tree patient documents are filed in, under its root
    `Categories` (the one row without a parent). `codes` names the category in a code
    system (`LOINC:11502-2`), for FHIR's DocumentReference. Migration 0010 adds OpenEMR's
    default tree."""

    __tablename__ = "categories"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), nullable=True,
                                                  index=True)
    codes: Mapped[str] = mapped_column(String(255), default="")


class Document(Base):
    """OpenEMR's `documents`: one file of a patient (`pid`), filed in a category, linked to
    an encounter by its number (`encounter`, as OpenEMR's `encounter_id` holds it) when it
    was uploaded for one. `hash` is the SHA-256 of the bytes (hex) and `size` their count;
    the bytes themselves are in `document_contents`, so a list never reads them. `owner_id`
    is the staff user who uploaded it; `date` when (UTC), `docdate` the document's day."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    encounter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    docdate: Mapped[date] = mapped_column(Date)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The bytes' SHA-1 in base64, as FHIR's Attachment.hash carries it (migration 0017).
    sha1: Mapped[str | None] = mapped_column(String(28), nullable=True)

    __table_args__ = (
        # A patient's documents in a category, in id order (the list), and by encounter.
        Index("ix_documents_pid_category_id", "pid", "category_id", "id"),
        Index("ix_documents_pid_encounter", "pid", "encounter"),
        # Addressed by integer id: SQLite must not hand a deleted row's id out again.
        {"sqlite_autoincrement": True},
    )


# A part of a document's bytes (at most 1 MiB): MariaDB's BLOB holds 64 KiB, MEDIUMBLOB 16 MiB.
DOCUMENT_PART = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class DocumentContent(Base):
    """The bytes of a document, in parts numbered from 0, written in the transaction that
    writes the document's row (services/documents.py says why in parts)."""

    __tablename__ = "document_contents"
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True,
                                             autoincrement=False)
    part: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(DOCUMENT_PART)


# --- meds family: drug sales (MedicationDispense), questionnaires and their responses ---


class DrugSale(Base):
    """OpenEMR's drug_sales: one movement of a formulary drug (`drug_id`) out of or into
    the inventory. `trans_type` 1 is a sale, a dispense to the patient `pid` (in encounter
    number `encounter`, against prescription `prescription_id`); 2 a purchase, 3 a return,
    4 a transfer, 5 an adjustment. `user` is the username of who recorded it; `sale_date`
    the day the drug was handed over; `quantity` in the drug's form (tablets, ...)."""

    __tablename__ = "drug_sales"
    sale_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.drug_id"))
    inventory_id: Mapped[int] = mapped_column(Integer, default=0)
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"),
                                                        nullable=True)
    pid: Mapped[int | None] = mapped_column(ForeignKey("patient_data.pid"), nullable=True)
    encounter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user: Mapped[str | None] = _s()
    sale_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    fee: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False), default=0)
    billed: Mapped[bool] = mapped_column(Boolean, default=False)
    xfer_inventory_id: Mapped[int] = mapped_column(Integer, default=0)
    distributor_id: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = _s()
    selector: Mapped[str | None] = _s()
    trans_type: Mapped[int] = mapped_column(Integer, default=1)
    chargecat: Mapped[str | None] = _s(31)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # A patient's dispenses in id order (the patient filter and patient narrowing),
        # and the fills of one prescription (first fill or refill).
        Index("ix_drug_sales_pid_sale_id", "pid", "sale_id"),
        Index("ix_drug_sales_prescription_id", "prescription_id", "sale_id"),
    )


class QuestionnaireRecord(Base):
    """OpenEMR's questionnaire_repository: a FHIR Questionnaire kept as its JSON text
    (`questionnaire`), with what it is searched by beside it: its `name`, `status`,
    canonical `source_url`, its LOINC `code` and `code_display`, and whether it is
    `active`. `questionnaire_id` is the id its JSON had where it came from; `lform` the
    LHC-Forms rendering, when there is one."""

    __tablename__ = "questionnaire_repository"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    questionnaire_id: Mapped[str | None] = _s()
    provider: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified_date: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    name: Mapped[str | None] = _s()
    type: Mapped[str] = mapped_column(String(63), default="Questionnaire")
    profile: Mapped[str | None] = _s()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str | None] = _s(31)
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    code: Mapped[str | None] = _s()
    code_display: Mapped[str | None] = mapped_column(Text, nullable=True)
    questionnaire: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    lform: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)

    __table_args__ = (Index("ix_questionnaire_repository_name", "name"),)


class QuestionnaireAnswers(Base):
    """OpenEMR's questionnaire_response: a patient's (`patient_id`) answers to one
    questionnaire (`questionnaire_foreign_id`, its row in questionnaire_repository), kept
    as FHIR QuestionnaireResponse JSON text (`questionnaire_response`), optionally in an
    encounter (its number). `creator_user_id` is the user who entered it; `create_time`
    when, `last_updated` its last change; `form_score` the total score where it has one."""

    __tablename__ = "questionnaire_response"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    response_id: Mapped[str | None] = _s()
    questionnaire_foreign_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_repository.id"), nullable=True)
    questionnaire_id: Mapped[str | None] = _s()
    questionnaire_name: Mapped[str | None] = _s()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    encounter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    creator_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    create_time: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str | None] = _s(63)
    questionnaire: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    questionnaire_response: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    form_response: Mapped[str | None] = mapped_column(LONG_TEXT, nullable=True)
    form_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tscore: Mapped[float | None] = mapped_column(DOSE, nullable=True)
    error: Mapped[float | None] = mapped_column(DOSE, nullable=True)

    __table_args__ = (
        # A patient's responses in id order (the patient filter and patient narrowing).
        Index("ix_questionnaire_response_patient_id_id", "patient_id", "id"),
        Index("ix_questionnaire_response_foreign_id", "questionnaire_foreign_id"),
    )


# --- care family: care plans and goals (form_care_plan), care teams (care_teams,
# care_team_member); implantable devices are `lists` rows (Issue.udi, Issue.udi_data).


class CarePlanItem(Base):
    """OpenEMR's form_care_plan: one line of an encounter's care-plan form: a goal, a plan
    of care, a test or order, a procedure, ... (`care_plan_type`). The lines of one
    encounter's form (`pid`, `encounter`, the encounter's number) make its care plan. `id`
    is the integer id, `uuid` the public one (a goal's Goal id); `code` is
    `<SCHEME>:<code>` (`SNOMED-CT:...`, `LOINC:...`) with `codetext` its name; `date_end`
    is when it is due or ended; `activity` false once switched off. `last_updated` is when
    the line last changed (OpenEMR's table keeps none)."""

    __tablename__ = "form_care_plan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    encounter: Mapped[int] = mapped_column(Integer)
    user: Mapped[str | None] = _s()
    groupname: Mapped[str | None] = _s()
    authorized: Mapped[bool] = mapped_column(Boolean, default=True)
    activity: Mapped[bool] = mapped_column(Boolean, default=True)
    code: Mapped[str | None] = _s()
    codetext: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    external_id: Mapped[str | None] = _s(30)
    care_plan_type: Mapped[str] = mapped_column(String(30))
    note_related_to: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_end: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason_code: Mapped[str | None] = _s(31)
    reason_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason_date_low: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason_date_high: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason_status: Mapped[str | None] = _s(31)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # An encounter's form (its care plan), and a patient's lines of one type (goals).
        Index("ix_care_plan_pid_encounter", "pid", "encounter"),
        Index("ix_care_plan_pid_type", "pid", "care_plan_type"),
    )


class CareTeam(Base):
    """OpenEMR 7's care_teams: a patient's care team. `status` is a FHIR CareTeam status
    (proposed, active, suspended, inactive, entered-in-error); `created_by`/`updated_by`
    are users' ids."""

    __tablename__ = "care_teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"), index=True)
    status: Mapped[str] = mapped_column(String(30), default="active")
    team_name: Mapped[str | None] = _s()
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CareTeamMember(Base):
    """OpenEMR 7's care_team_member: one member of a care team in one role (an option of
    OpenEMR's `care_team_roles` list). `user_id` is the practitioner; a member without one
    is the patient. `facility_id` is the organization the member acts for."""

    __tablename__ = "care_team_member"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    care_team_id: Mapped[int] = mapped_column(ForeignKey("care_teams.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"), nullable=True)
    role: Mapped[str] = mapped_column(String(50))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), nullable=True)
    provider_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(30), default="active")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        # A team's members, and the teams one role is in.
        Index("ix_care_team_member_team", "care_team_id", "role"),
        Index("ix_care_team_member_role", "role", "care_team_id"),
    )


# orders: FHIR Specimen (migration 0018)


class ProcedureSpecimen(Base):
    """OpenEMR's `procedure_specimen`: a specimen taken for one test of an order
    (`procedure_order_id`, `procedure_order_seq`). `specimen_identifier` is the collector's
    id of it, `accession_identifier` the laboratory's; `specimen_type_code` a SNOMED CT
    specimen type, `collection_method_code` and `specimen_location_code` SNOMED CT too;
    `collected_date` when it was taken, or the span `collection_date_low`/`_high`."""

    __tablename__ = "procedure_specimen"
    procedure_specimen_id: Mapped[int] = mapped_column(Integer, primary_key=True,
                                                       autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    procedure_order_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_order.procedure_order_id"))
    procedure_order_seq: Mapped[int] = mapped_column(Integer, default=1)
    specimen_identifier: Mapped[str | None] = _s(128)
    accession_identifier: Mapped[str | None] = _s(128)
    specimen_type_code: Mapped[str | None] = _s(64)
    specimen_type: Mapped[str | None] = _s()
    collection_method_code: Mapped[str | None] = _s(64)
    collection_method: Mapped[str | None] = _s()
    specimen_location_code: Mapped[str | None] = _s(64)
    specimen_location: Mapped[str | None] = _s()
    collected_date: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    collection_date_low: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    collection_date_high: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    volume_value: Mapped[float | None] = mapped_column(
        Numeric(10, 3, asdecimal=False), nullable=True)
    volume_unit: Mapped[str | None] = _s(32)
    condition_code: Mapped[str | None] = _s(64)
    specimen_condition: Mapped[str | None] = _s()
    comments: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        # An order's specimens (a patient's, through their orders), and the laboratory's
        # accession numbers.
        Index("ix_procedure_specimen_order", "procedure_order_id", "procedure_order_seq"),
        Index("ix_procedure_specimen_accession", "accession_identifier"),
    )


# --- categories (FHIR Condition encounter diagnoses, Observation social history) ---


class IssueEncounter(Base):
    """OpenEMR's issue_encounter: a problem (`lists.id`, `list_id`) linked to an encounter
    of its patient (the encounter number, form_encounter.encounter), `resolved` when the
    problem was resolved at that visit. `id` and `uuid` are this server's: the link is an
    encounter-diagnosis Condition of its own, and needs a public id."""

    __tablename__ = "issue_encounter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id"))
    encounter: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("list_id", "encounter", name="uq_issue_encounter_list_encounter"),
        Index("ix_issue_encounter_pid_encounter", "pid", "encounter"),
    )


class HistoryData(Base):
    """OpenEMR's history_data: a patient's social and family history, one row per time it
    was saved (the newest is current). `tobacco`, `alcohol` and `recreational_drugs` are
    kept as OpenEMR keeps them: `<note>|<status option>|<date>[|<smoking_status option>]`
    (status `currenttobacco`, `quittobacco`, `nevertobacco`, `not_applicable`, ...)."""

    __tablename__ = "history_data"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    pid: Mapped[int] = mapped_column(ForeignKey("patient_data.pid"))
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    tobacco: Mapped[str | None] = _s()
    alcohol: Mapped[str | None] = _s()
    recreational_drugs: Mapped[str | None] = _s()
    exercise_patterns: Mapped[str | None] = _s()
    coffee: Mapped[str | None] = _s()
    counseling: Mapped[str | None] = _s()
    hazardous_activities: Mapped[str | None] = _s()
    sleep_patterns: Mapped[str | None] = _s()
    seatbelt_use: Mapped[str | None] = _s()

    __table_args__ = (Index("ix_history_data_pid_date", "pid", "date"),)
