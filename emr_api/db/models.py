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
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
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
