"""Patient search at scale: `GET /apis/default/api/patient?lname=<prefix>&_limit=20` (and
`fname=`, `DOB=`) against 1,000 and 64,000 demo patients, at concurrency 4, on SQLite and
(with --postgresql) PostgreSQL. Prints p50/p99 latency and req/s per query kind and size,
the 64K/1K ratio of p50, and how long `emr-api demo-data` took to load each size.

    .venv/bin/python -m bench.search                      # SQLite, 1,000 and 64,000
    .venv/bin/python -m bench.search --postgresql         # also PostgreSQL (a database it
                                                          # creates on 127.0.0.1:5432 and drops)

Targets (issue 6): p50 <= 20 ms, p99 <= 100 ms at 64,000 patients, and at most 1.5x the
figure at 1,000. Every run is bounded by time and stops by itself."""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.run import (
    HOST,
    POSTGRESQL_SERVER,
    REPO,
    BenchError,
    PostgresDatabase,
    Server,
    free_port,
    get_token,
    server_env,
)

LAST_PREFIXES = ["Sm", "Jo", "Ga", "Ng", "Kh", "Wi", "Br", "Ok", "Pe", "Pa", "Ma", "Le", "Ta",
                 "Da", "Ha", "Mü", "O'"]
FIRST_PREFIXES = ["Ja", "Ro", "Mi", "We", "Ah", "Li", "No", "Kw", "Iv", "Ra", "Ma", "Pa",
                  "So", "Me", "Fa", "Em", "Ol", "Am", "An", "Pr", "Is", "Ch", "Yu", "Gr", "Le"]


def queries(kind: str, rng: random.Random, dobs: list[str]) -> str:
    if kind == "lname":
        return f"lname={rng.choice(LAST_PREFIXES)}"
    if kind == "fname":
        return f"fname={rng.choice(FIRST_PREFIXES)}"
    if kind == "lname+fname":
        return f"lname={rng.choice(LAST_PREFIXES)}&fname={rng.choice(FIRST_PREFIXES)[0]}"
    return f"DOB={rng.choice(dobs)}"


KINDS = ["lname", "fname", "lname+fname", "DOB"]


def load(port: int, token: str, kind: str, dobs: list[str], *, seconds: float,
         concurrency: int) -> dict:
    """Each of `concurrency` clients on its own keep-alive connection, for `seconds`."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        try:
            while time.monotonic() < stop_at:
                path = (f"/apis/default/api/patient?{queries(kind, rng, dobs)}&_limit=20")
                started = time.perf_counter()
                conn.request("GET", path.replace("'", "%27").replace("ü", "%C3%BC"),
                             headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                mine.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    with lock:
                        failures[0] += 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures[0],
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) if latencies else None,
        "p99": latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
    }


def run_size(patients: int, database_url: str | None, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="emr-api-search-") as tmp:
        data = Path(tmp)
        env = server_env(data)
        cli = [sys.executable, "-m", "emr_api.cli"]
        db = ["--database-url", database_url] if database_url else []
        subprocess.run(cli + ["init", "--data-dir", str(data), *db], cwd=REPO, env=env,
                       check=True, capture_output=True, timeout=300)
        started = time.monotonic()
        subprocess.run(cli + ["demo-data", "--patients", str(patients), "--data-dir", str(data),
                              *db], cwd=REPO, env=env, check=True, timeout=900,
                       stdout=subprocess.DEVNULL)  # the progress bar goes to stderr
        load_seconds = time.monotonic() - started
        port = free_port()
        server = Server("emr-api", cli + ["serve", "--http", "--port", str(port), "--data-dir",
                                          str(data), *db], env, port, "/apis/default/api/version",
                        data / "server.log")
        server.start()
        try:
            token = get_token(port)
            engine = create_engine(database_url or
                                   f"sqlite:///{data / 'sites' / 'default' / 'emr.sqlite'}")
            with engine.connect() as conn:
                dobs = [str(d) for d in conn.execute(text(
                    'SELECT "DOB" FROM patient_data ORDER BY pid LIMIT 500')).scalars()]
            engine.dispose()
            results = {}
            for kind in KINDS:
                load(port, token, kind, dobs, seconds=1.0, concurrency=args.concurrency)
                results[kind] = load(port, token, kind, dobs, seconds=args.duration,
                                     concurrency=args.concurrency)
        finally:
            server.stop()
    return {"load_seconds": load_seconds, "queries": results}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,64000", help="patients per run (1000,64000)")
    p.add_argument("--duration", type=float, default=6.0, help="seconds per query kind (6)")
    p.add_argument("--concurrency", type=int, default=4, help="clients (4)")
    p.add_argument("--postgresql", nargs="?", const=POSTGRESQL_SERVER,
                   help="also run on PostgreSQL (server URL; a database is created and dropped)")
    p.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "search.json")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    report: dict = {}
    engines = [("sqlite", None)] + ([("postgresql", args.postgresql)] if args.postgresql else [])
    for kind, server in engines:
        for size in sizes:
            print(f"{kind}: loading {size} patients and searching ...", flush=True)
            if server:
                with PostgresDatabase(server) as url:
                    report[f"{kind}/{size}"] = run_size(size, url, args)
            else:
                report[f"{kind}/{size}"] = run_size(size, None, args)
    print_report(report, sizes, [k for k, _ in engines], args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    print(f"written {args.output}")
    return 0


def print_report(report: dict, sizes: list[int], engines: list[str], args) -> None:
    print(f"\npatient search · concurrency {args.concurrency} · {args.duration:g} s per query "
          f"kind · one uvicorn worker · _limit=20\n")
    print(f"{'database':<11}{'patients':>9}  {'query':<12}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'req/s':>8}{'non-200':>8}")
    for engine in engines:
        for size in sizes:
            run = report[f"{engine}/{size}"]
            for kind, r in run["queries"].items():
                print(f"{engine:<11}{size:>9}  {kind:<12}{r['p50']:>8.1f}{r['p99']:>8.1f}"
                      f"{r['rps']:>8.0f}{r['failures']:>8}")
            print(f"{'':<11}{'':>9}  demo-data loaded {size} patients in "
                  f"{run['load_seconds']:.1f} s")
        if len(sizes) >= 2:
            small, large = report[f"{engine}/{sizes[0]}"], report[f"{engine}/{sizes[-1]}"]
            for kind in KINDS:
                ratio = large["queries"][kind]["p50"] / small["queries"][kind]["p50"]
                print(f"{engine:<11} p50 at {sizes[-1]} / at {sizes[0]}, {kind}: {ratio:.2f}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
