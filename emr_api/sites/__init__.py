"""Sites: each has its own database, keys and globals. `default` always exists.

A site's name is checked against SITE_NAME before it is used for anything, so a name
from the URL never reaches the file system or a query unchecked. A site's folder is
`<data_dir>/sites/<name>/`, holding `site.json` (its database URL), for SQLite its
database file, and `exports/` (bulk-export files, deleted when their lifetime is over)."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from emr_api.db.engine import Database
from emr_api.db.migrate import upgrade_database
from emr_api.db.models import Global
from emr_api.settings import Settings
from emr_api.sites import keys

log = logging.getLogger("emr_api.sites")

SITE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,63}$")

# OpenEMR's switches, with the values a new site starts with.
DEFAULT_GLOBALS: dict[str, str] = {
    "rest_api": "1",  # Standard API on
    "rest_portal_api": "1",  # Patient portal API on
    "rest_fhir_api": "1",  # FHIR API on
    "oauth_password_grant": "0",  # password grant off until an administrator turns it on
    "oauth_app_manual_approval": "0",  # apps registered are enabled at once
    "site_addr_oath": "",  # public base URL; empty means the server's own
    "access_token_lifetime": "3600",
    "refresh_token_lifetime": "7776000",  # 90 days, as OpenEMR
    "export_file_lifetime": "3600",  # seconds a bulk-export file is kept (export_file_expiry)
}

GLOBALS_TTL_SECONDS = 5.0


class UnknownSite(LookupError):
    pass


def valid_site_name(name: str) -> bool:
    return bool(SITE_NAME.fullmatch(name))


@dataclass
class Site:
    name: str
    db: Database
    settings: Settings
    _globals: dict[str, str] = field(default_factory=dict)
    _globals_at: float = 0.0  # monotonic time of the last read; 0 before the first
    _refreshing: bool = False
    _changes: int = 0  # set_global calls, so a refresh that read before one keeps its value
    _lock: threading.Lock = field(default_factory=threading.Lock)
    key_ring: keys.KeyRing | None = None
    folder: Path | None = None  # `<data_dir>/sites/<name>/`, set when the registry opens it

    @property
    def export_dir(self) -> Path:
        """Where bulk exports write their files; the `export_file_expiry` background
        service deletes them `export_file_lifetime` seconds after they were written."""
        assert self.folder is not None
        return self.folder / "exports"

    @property
    def base_url(self) -> str:
        return (self.globals().get("site_addr_oath") or self.settings.base_url).rstrip("/")

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/oauth2/{self.name}"

    def url(self, path: str) -> str:
        """An absolute URL of this server for a path such as `/apis/<site>/api`."""
        return f"{self.base_url}{path}"

    def globals(self) -> dict[str, str]:
        """The site's globals: read from the database when first needed, then the values
        in memory, which `refresh_globals` renews. The edge starts a refresh in the
        background every few seconds, so a change another process made (the CLI, another
        worker) takes effect without a restart, and a database that refuses or stalls
        holds up no request that needs nothing else from it."""
        if not self._globals_at:
            self.refresh_globals()
        return self._globals

    def claim_refresh(self) -> bool:
        """Whether the caller should refresh the globals now: they are older than the TTL
        and no refresh is running."""
        with self._lock:
            if self._refreshing or time.monotonic() - self._globals_at <= GLOBALS_TTL_SECONDS:
                return False
            self._refreshing = True
            return True

    def refresh_globals(self) -> None:
        """Re-read the globals. If the database cannot be read, the last values read stay
        in force; with none read yet, the error is the caller's."""
        changes = self._changes
        try:
            with self.db.read() as s:
                rows = dict(s.execute(select(Global.name, Global.value)).all())
            with self._lock:
                if self._changes == changes:  # else set_global ran meanwhile: keep its value
                    self._globals = {**DEFAULT_GLOBALS, **rows}
            self._globals_at = time.monotonic()
        except SQLAlchemyError:
            if not self._globals_at:
                raise
            log.warning("site %s: globals not re-read, keeping the last values", self.name,
                        exc_info=True)
            self._globals_at = time.monotonic()
        finally:
            self._refreshing = False

    def flag(self, name: str) -> bool:
        return self.globals().get(name, "0") == "1"

    def int_global(self, name: str) -> int:
        return int(self.globals().get(name) or DEFAULT_GLOBALS[name])

    def set_global(self, name: str, value: str) -> None:
        with self.db.write() as s:
            s.merge(Global(name=name, value=value))
        current = self.globals()
        with self._lock:
            self._changes += 1
            self._globals = {**current, name: value}

    @property
    def keys(self) -> keys.KeyRing:
        assert self.key_ring is not None
        return self.key_ring


class SiteRegistry:
    """Opens sites on first use and keeps them for the life of the process."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._sites: dict[str, Site] = {}
        self._lock = threading.Lock()

    @property
    def sites_dir(self) -> Path:
        return self.settings.data_dir / "sites"

    def site_dir(self, name: str) -> Path:
        if not valid_site_name(name):
            raise UnknownSite(name)
        return self.sites_dir / name

    def database_url(self, name: str) -> str:
        conf = self.site_dir(name) / "site.json"
        if conf.exists():
            url = json.loads(conf.read_text()).get("database_url")
            if url:
                return url
        if name == "default" and self.settings.database_url:
            return self.settings.database_url
        return f"sqlite:///{(self.site_dir(name) / 'emr.sqlite').resolve()}"

    def exists(self, name: str) -> bool:
        if not valid_site_name(name):
            return False
        return name == "default" or (self.site_dir(name) / "site.json").exists()

    def names(self) -> list[str]:
        found = {"default"}
        if self.sites_dir.exists():
            found |= {p.name for p in self.sites_dir.iterdir()
                      if valid_site_name(p.name) and (p / "site.json").exists()}
        return sorted(found)

    def opened(self, name: str) -> Site | None:
        """The site if this process has already opened it (no I/O)."""
        return self._sites.get(name)

    def get(self, name: str) -> Site:
        """The open site, or UnknownSite. Opening migrates and creates keys if needed."""
        site = self._sites.get(name)
        if site is not None:
            return site
        if not self.exists(name):
            raise UnknownSite(name)
        with self._lock:
            if name not in self._sites:
                self._sites[name] = self._open(name)
            return self._sites[name]

    def create(self, name: str, database_url: str | None = None) -> Site:
        if not valid_site_name(name):
            raise ValueError(f"site name must match {SITE_NAME.pattern}")
        folder = self.site_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        conf = folder / "site.json"
        if not conf.exists() or database_url:
            conf.write_text(json.dumps({"database_url": database_url} if database_url else {}))
        return self.get(name)

    def _open(self, name: str) -> Site:
        self.site_dir(name).mkdir(parents=True, exist_ok=True)
        url = self.database_url(name)
        upgrade_database(url)
        db = Database(url, timeout=self.settings.db_timeout)
        site = Site(name=name, db=db, settings=self.settings, folder=self.site_dir(name))
        site.key_ring = keys.KeyRing(db)
        site.key_ring.ensure()
        site.refresh_globals()
        return site

    def close(self) -> None:
        for site in self._sites.values():
            site.db.dispose()
        self._sites.clear()
