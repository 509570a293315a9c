"""The one typed settings object. Environment (`EMR_API_*`) and CLI flags land here;
nothing else in the project reads `os.environ`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    port: int = 9300
    host: str = "127.0.0.1"
    # URL that points `default` at another database (PostgreSQL, MariaDB); SQLite file otherwise.
    database_url: str | None = None
    # Plain HTTP behind a TLS-terminating proxy; otherwise a self-signed certificate is used.
    http: bool = False
    # Public base URL used in issuer, discovery and links; derived from port when unset.
    public_url: str | None = None
    workers: int = 1
    # Threads per site and worker for handlers' database work (server/resolver.py).
    threads: int = 4
    # Response validation costs throughput: on in tests, off in production.
    validate_responses: bool = False
    log_level: str = "info"
    # Bounds every database wait (connect, pool checkout, statement, SQLite's lock); a
    # request's database work answers 503 a second after it, whatever the database does.
    db_timeout: float = 5.0
    # Seconds between the background runner's checks for due services (emr_api/jobs/);
    # 0: no runner. The server's environment default is 60 (`EMR_API_BACKGROUND_INTERVAL`);
    # Settings made in code (the tests) run none unless they ask.
    background_interval: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "http" if self.http else "https"
        return f"{scheme}://localhost:{self.port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict = {}
        if "EMR_API_DATA_DIR" in env:
            values["data_dir"] = Path(env["EMR_API_DATA_DIR"])
        if "EMR_API_PORT" in env:
            values["port"] = int(env["EMR_API_PORT"])
        if "EMR_API_HOST" in env:
            values["host"] = env["EMR_API_HOST"]
        if env.get("EMR_API_DATABASE_URL"):
            values["database_url"] = env["EMR_API_DATABASE_URL"]
        if env.get("EMR_API_PUBLIC_URL"):
            values["public_url"] = env["EMR_API_PUBLIC_URL"]
        if "EMR_API_HTTP" in env:
            values["http"] = env["EMR_API_HTTP"].lower() in ("1", "true", "yes")
        if "EMR_API_WORKERS" in env:
            values["workers"] = int(env["EMR_API_WORKERS"])
        if "EMR_API_THREADS" in env:
            values["threads"] = int(env["EMR_API_THREADS"])
        if "EMR_API_LOG_LEVEL" in env:
            values["log_level"] = env["EMR_API_LOG_LEVEL"]
        if "EMR_API_DB_TIMEOUT" in env:
            values["db_timeout"] = float(env["EMR_API_DB_TIMEOUT"])
        values["background_interval"] = float(env.get("EMR_API_BACKGROUND_INTERVAL", "60"))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def export_env(self) -> None:
        """Hand these settings to server worker processes, which read the environment."""
        os.environ["EMR_API_DATA_DIR"] = str(self.data_dir)
        os.environ["EMR_API_PORT"] = str(self.port)
        os.environ["EMR_API_HOST"] = self.host
        os.environ["EMR_API_HTTP"] = "1" if self.http else "0"
        os.environ["EMR_API_WORKERS"] = str(self.workers)
        os.environ["EMR_API_THREADS"] = str(self.threads)
        os.environ["EMR_API_LOG_LEVEL"] = self.log_level
        os.environ["EMR_API_DB_TIMEOUT"] = str(self.db_timeout)
        os.environ["EMR_API_BACKGROUND_INTERVAL"] = str(self.background_interval)
        for name, value in (("EMR_API_DATABASE_URL", self.database_url),
                            ("EMR_API_PUBLIC_URL", self.public_url)):
            if value:
                os.environ[name] = value

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def test_database_kinds() -> list[str]:
    """Which extra databases the test suite runs on (`EMR_API_TEST_DATABASES`)."""
    raw = os.environ.get("EMR_API_TEST_DATABASES", "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def test_database_server_url(kind: str) -> str:
    """Server URL (no database) for a test database kind; overridable per kind."""
    defaults = {
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432",
        "mariadb": "mysql+pymysql://root@127.0.0.1:3306",
    }
    return os.environ.get(f"EMR_API_TEST_{kind.upper()}_URL", defaults[kind])
