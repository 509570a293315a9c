"""The floor: a bare Starlette app on uvicorn that runs the same SQL as emr-api.

`GET /patient/{puuid}` selects the patient_data row by uuid from the same database file
(SQLAlchemy Core on the reflected table, so the statement lists the same columns the ORM
lists) and returns it as JSON. No site edge, no token, no scope or ACL check, no
validation, no audit row, no log line. The handler is a plain `def`, run in Starlette's
usual AnyIO thread pool (emr-api runs its handlers in a smaller pool of its own per site).

`GET /version` answers a constant JSON body: the hello-world ceiling of the stack.

Run: python -m bench.baseline --port 9500 --database-url sqlite:////path/emr.sqlite
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date, datetime
from decimal import Decimal

import uvicorn
from sqlalchemy import MetaData, Table, create_engine, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

VERSION_BODY = {
    "validationErrors": [], "internalErrors": [],
    "data": {"v_major": "7", "v_minor": "0", "v_patch": "3", "v_realpatch": "0",
             "v_tag": "", "v_database": 1, "v_acl": 1, "server": "bench-baseline"},
}


def _plain(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def create_app(database_url: str) -> Starlette:
    connect_args = {"check_same_thread": False} if database_url.startswith("sqlite") else {}
    engine = create_engine(database_url, connect_args=connect_args, pool_size=20,
                           max_overflow=20)
    patients = Table("patient_data", MetaData(), autoload_with=engine)
    by_uuid = select(patients)

    def get_patient(request: Request) -> Response:
        puuid = request.path_params["puuid"]
        with engine.connect() as conn:
            row = conn.execute(by_uuid.where(patients.c.uuid == puuid.lower())).mappings().first()
        if row is None:
            return JSONResponse({"data": None}, status_code=404)
        return JSONResponse({"data": {k: _plain(v) for k, v in row.items()}})

    version_payload = json.dumps(VERSION_BODY).encode()

    async def version(_request: Request) -> Response:
        return Response(version_payload, media_type="application/json")

    app = Starlette(routes=[
        Route("/patient/{puuid}", get_patient, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ])
    app.state.engine = engine
    return app


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--database-url", required=True,
                   help="the database emr-api serves (sqlite:////abs/path/emr.sqlite)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    args = p.parse_args(argv)
    if args.workers > 1:  # worker processes import the app: hand them the URL by environment
        os.environ[DATABASE_URL_VARIABLE] = args.database_url
        uvicorn.run("bench.baseline:app_from_environment", factory=True, host=args.host,
                    port=args.port, workers=args.workers, access_log=False, log_level="warning")
        return 0
    app = create_app(args.database_url)
    uvicorn.run(app, host=args.host, port=args.port, workers=1, access_log=False,
                log_level="warning")
    return 0


DATABASE_URL_VARIABLE = "BENCH_BASELINE_DATABASE_URL"


def app_from_environment():
    return create_app(os.environ[DATABASE_URL_VARIABLE])


if __name__ == "__main__":
    raise SystemExit(main())
