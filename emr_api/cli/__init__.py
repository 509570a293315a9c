"""`emr-api`: serve, initialise the demo site, add sites, fill demo data, set globals.

Every flag has an `EMR_API_*` environment twin, read once into Settings."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from emr_api.settings import Settings


def _settings(args) -> Settings:
    return Settings.from_env(
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        port=getattr(args, "port", None),
        host=getattr(args, "host", None),
        database_url=getattr(args, "database_url", None),
        http=True if getattr(args, "http", False) else None,
        public_url=getattr(args, "public_url", None),
        workers=getattr(args, "workers", None),
        threads=getattr(args, "threads", None),
        background_interval=getattr(args, "background_interval", None),
    )


def _registry(settings: Settings):
    from emr_api.sites import SiteRegistry
    return SiteRegistry(settings)


def cmd_init(args) -> int:
    """Create site "default" (migrated, keyed) with the demo users; optionally demo data."""
    from emr_api.cli import demo

    settings = _settings(args)
    registry = _registry(settings)
    site = registry.get("default")
    demo.seed_users(site)
    site.set_global("oauth_password_grant", "0" if args.no_password_grant else "1")
    if args.demo_patients:
        from emr_api.db.models import Patient
        from sqlalchemy import func, select
        with site.db.read() as s:
            have = s.execute(select(func.count()).select_from(Patient)).scalar_one()
        missing = max(args.demo_patients - have + 1, 0)  # +1: the demo portal patient
        if missing:
            _fill(site, missing)
    print(f"site 'default' ready at {_api_url(site)} (database: {_safe_url(site.db.url)})")
    print("demo users: admin/pass (administrator), physician/physician, "
          "receptionist/receptionist (front office); portal patient phil/phil "
          "(email phil@example.com). FOR DEMONSTRATION ONLY.")
    print("password grant: " + ("on" if site.flag("oauth_password_grant") else "off"))
    registry.close()
    return 0


def _fill(site, patients: int) -> None:
    from tqdm import tqdm

    from emr_api.cli import demo

    with tqdm(total=patients, unit="patient", desc=f"demo data for '{site.name}'") as bar:
        made = demo.generate(site, patients, progress=bar.update)
    print(f"added {made['patients']} patients, {made['encounters']} encounters")


def cmd_demo_data(args) -> int:
    registry = _registry(_settings(args))
    _fill(registry.get(args.site), args.patients)
    registry.close()
    return 0


def cmd_site_add(args) -> int:
    from emr_api.sites import valid_site_name

    if not valid_site_name(args.name):
        print("site names are 1-63 characters of A-Z a-z 0-9 _ -", file=sys.stderr)
        return 2
    registry = _registry(_settings(args))
    site = registry.create(args.name, args.site_database_url)
    print(f"site '{site.name}' ready at {_api_url(site)} "
          f"(database: {_safe_url(site.db.url)}); password grant off")
    registry.close()
    return 0


def cmd_set_global(args) -> int:
    from emr_api.sites import DEFAULT_GLOBALS

    if args.name not in DEFAULT_GLOBALS:
        print(f"unknown global; known: {', '.join(sorted(DEFAULT_GLOBALS))}", file=sys.stderr)
        return 2
    registry = _registry(_settings(args))
    registry.get(args.site).set_global(args.name, args.value)
    print(f"{args.site}: {args.name} = {args.value}")
    registry.close()
    return 0


# Seconds of work a background run from the command line may do: its administrator waits.
COMMAND_BUDGET = 300.0


def cmd_background_run(args) -> int:
    """Run one background service now, or every one that is due: the same runs the server's
    scheduler and the API make. Exit status 1 when a service failed (or is unknown)."""
    from emr_api.errors import NotFound
    from emr_api.services import background
    from emr_api.sites import UnknownSite

    registry = _registry(_settings(args))
    try:
        site = registry.get(args.site)
        if args.name:
            outcomes = [background.run(site, args.name, force=args.force,
                                       budget=COMMAND_BUDGET)]
        else:
            outcomes = background.run_due(site, budget=COMMAND_BUDGET)
    except (NotFound, UnknownSite) as missing:
        print(f"no such site or service: {missing}", file=sys.stderr)
        return 1
    finally:
        registry.close()
    for outcome in outcomes:
        print(f"{outcome.name}: {outcome.status}" + (f" ({outcome.message})"
                                                       if outcome.message else ""))
    return 1 if any(o.status == background.ERROR for o in outcomes) else 0


def cmd_serve(args) -> int:
    import uvicorn

    settings = _settings(args)
    settings.export_env()  # worker processes build their Settings from the environment
    # Open "default" once before workers start, so migrations and key creation run once.
    _registry(settings).get("default")
    ssl = {}
    if not settings.http:
        from emr_api.cli.tls import ensure_certificate
        cert, key = ensure_certificate(settings.data_dir)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s")
    scheme = "http" if settings.http else "https"
    print(f"serving on {scheme}://{settings.host}:{settings.port} "
          f"(Swagger UI: {settings.base_url}/apis/default/api/ui/)", flush=True)
    uvicorn.run(
        "emr_api.server.asgi:app", factory=False, host=settings.host, port=settings.port,
        workers=settings.workers, access_log=False, log_level=settings.log_level,
        proxy_headers=settings.http, **ssl,
    )
    return 0


def _api_url(site) -> str:
    from emr_api.codegen.apis import BY_NAME
    return site.url(BY_NAME["standard"].base_path(site.name))


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data-dir", help="data folder (EMR_API_DATA_DIR, default ./var)")
    common = argparse.ArgumentParser(add_help=False, parents=[data])
    common.add_argument("--database-url", help="database of site 'default' (EMR_API_DATABASE_URL)")

    p = argparse.ArgumentParser(prog="emr-api", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", parents=[common], help="serve all APIs")
    s.add_argument("--port", type=int, help="port (EMR_API_PORT, default 9300)")
    s.add_argument("--host", help="address to bind (EMR_API_HOST, default 127.0.0.1)")
    s.add_argument("--http", action="store_true",
                   help="plain HTTP, behind a TLS-terminating proxy (EMR_API_HTTP=1)")
    s.add_argument("--public-url", help="public base URL for issuer and links (EMR_API_PUBLIC_URL)")
    s.add_argument("--workers", type=int, help="worker processes (EMR_API_WORKERS, default 1)")
    s.add_argument("--threads", type=int,
                   help="threads per site and worker for database work (EMR_API_THREADS, "
                        "default 4)")
    s.add_argument("--background-interval", type=float,
                   help="seconds between checks for due background services "
                        "(EMR_API_BACKGROUND_INTERVAL, default 60; 0: none)")
    s.set_defaults(func=cmd_serve)

    i = sub.add_parser("init", parents=[common], help="create site 'default' with demo users")
    i.add_argument("--demo-patients", type=int, default=0, help="fill up to N demo patients")
    i.add_argument("--no-password-grant", action="store_true",
                   help="turn the password grant off")
    i.set_defaults(func=cmd_init)

    a = sub.add_parser("site", help="manage sites")
    site_sub = a.add_subparsers(dest="site_command", required=True)
    add = site_sub.add_parser("add", parents=[data], help="create a site")
    add.add_argument("name")
    add.add_argument("--database-url", dest="site_database_url",
                     help="the new site's database (default: a SQLite file in its folder)")
    add.set_defaults(func=cmd_site_add)

    d = sub.add_parser("demo-data", parents=[common], help="add synthetic patients")
    d.add_argument("--patients", type=int, default=100)
    d.add_argument("--site", default="default")
    d.set_defaults(func=cmd_demo_data)

    b = sub.add_parser("background", help="background services")
    background_sub = b.add_subparsers(dest="background_command", required=True)
    run = background_sub.add_parser(
        "run", parents=[common], help="run one service now, or every one that is due")
    run.add_argument("name", nargs="?", help="the service (default: every one that is due)")
    run.add_argument("--site", default="default")
    run.add_argument("--force", action="store_true",
                     help="run the named service even if it is not due")
    run.set_defaults(func=cmd_background_run)

    g = sub.add_parser("set-global", parents=[common], help="set a site global")
    g.add_argument("name")
    g.add_argument("value")
    g.add_argument("--site", default="default")
    g.set_defaults(func=cmd_set_global)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
