"""Per-request facts: set once by the server (site edge, bearer check), read by handlers.

A contextvar holds one mutable RequestInfo per request; sync handlers run in a thread pool
that copies the context, so they see the same object. Services never read it: they take a
session and an `Access` as arguments (an import contract enforces that)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from emr_api.identity import Access

if TYPE_CHECKING:
    from emr_api.codegen.apis import Api
    from emr_api.sites import Site


class Headers(dict):
    """Request headers by lower-case name; `get` ignores case, as HTTP does."""

    def get(self, name, default=None):
        return super().get(name.lower(), default)

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def __contains__(self, name):
        return super().__contains__(name.lower())


@dataclass
class Audit:
    """What the audit row says beyond the request line, set where it becomes known."""

    client_id: str | None = None  # the client that authenticated, or was registered
    patient_uuid: str | None = None  # the patient a request read or wrote


@dataclass
class RequestInfo:
    site: "Site"
    api: "Api"
    request_id: str
    method: str
    path: str  # the full request path, /apis/<site>/...
    raw_query: bytes = b""
    raw_headers: list = field(default_factory=list)
    claims: dict | None = None  # a verified bearer token's claims, before its standing
    access: Access | None = None  # the caller, once the token's standing was read
    audit: Audit = field(default_factory=Audit)
    # The handler hop's one transaction (server/resolver.py): the token's standing and the
    # handler's reads and writes share it. `session_writes`: opened for writing.
    session: Any = None
    session_writes: bool = False

    def caller(self) -> Access | None:
        """The caller: None for a request without a token. A token whose standing was not
        read is refused here, so no path can skip revocation."""
        if self.claims is not None and self.access is None:
            raise RuntimeError("the bearer token's standing was not checked")
        return self.access

    @property
    def query_items(self) -> list[tuple[str, str]]:
        """The query string as (name, value) pairs, repeats and blanks kept."""
        return parse_qsl(self.raw_query.decode("latin-1"), keep_blank_values=True)

    @property
    def headers(self) -> Headers:
        return Headers((k.decode("latin-1").lower(), v.decode("latin-1"))
                       for k, v in self.raw_headers)

    @property
    def site_path(self) -> str:
        """The path below the site's prefix: `/api/patient`, `/token`."""
        prefix = f"/{self.api.prefix}/{self.site.name}"
        return self.path[len(prefix):] or "/"


_current: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar("emr_request")


def begin(info: RequestInfo) -> contextvars.Token:
    return _current.set(info)


def end(token: contextvars.Token) -> None:
    _current.reset(token)


def current() -> RequestInfo:
    return _current.get()


def current_or_none() -> RequestInfo | None:
    return _current.get(None)
