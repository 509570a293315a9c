"""Benchmark: emr-api against a bare Starlette baseline that runs the same SQL.

    python -m bench.run            (or: make bench)

Starts emr-api (one uvicorn worker, plain HTTP, a fresh data folder with demo data) and
bench/baseline.py (bare Starlette, one uvicorn worker, the same SQLite file), gets a real
token from the password grant, picks a real patient, then loads, one after the other and
with the same client, concurrency and duration:

    emr-api   GET /apis/default/api/patient/{puuid}   (Bearer token)
    baseline  GET /patient/{puuid}
    emr-api   GET /apis/default/api/version           (no token, no patient read)
    baseline  GET /version                            (constant JSON)

and prints req/s, p50/p99 latency and the ratios emr-api/baseline; the same goes to
bench/results/latest.json. Both servers are stopped and the data folder removed at the
end, also on failure or Ctrl-C. See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
WRK_SCRIPT = BENCH / "wrk.lua"
HOST = "127.0.0.1"
SCOPE = "openid api:oemr user/patient.read"


class BenchError(RuntimeError):
    """The benchmark could not run (server did not start, a sanity check failed)."""


# --------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A child process in its own session, stopped by its id (the group it leads)."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, ready_path: str,
                 log_path: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.ready_path = ready_path
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> None:
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(self.argv, cwd=REPO, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode} before "
                                 f"answering:\n{self.log_tail()}")
            try:
                status, _ = http_call(self.port, "GET", self.ready_path, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def http_call(port: int, method: str, path: str, *, body: bytes | None = None,
              headers: dict | None = None, timeout: float = 30) -> tuple[int, object]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw) if raw else None
    except ValueError:
        return resp.status, raw.decode(errors="replace")


def server_env(data_dir: Path) -> dict:
    """The environment for emr-api: this bench's data folder, SQLite, nothing from ./var."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMR_API_")}
    env["EMR_API_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def init_site(data_dir: Path, patients: int, env: dict, database_url: str | None) -> str:
    """Site `default` with demo data, in SQLite under `data_dir` or at `database_url`;
    returns the database's URL."""
    argv = [sys.executable, "-m", "emr_api.cli", "init", "--data-dir", str(data_dir),
            "--demo-patients", str(patients), *database_args(database_url)]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        raise BenchError(f"emr-api init failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    if database_url:
        return database_url
    database = data_dir / "sites" / "default" / "emr.sqlite"
    if not database.exists():
        raise BenchError(f"emr-api init did not create {database}:\n{done.stdout}")
    return f"sqlite:///{database}"


def database_args(database_url: str | None) -> list[str]:
    return ["--database-url", database_url] if database_url else []


class PostgresDatabase:
    """A database of its own on the PostgreSQL server, dropped afterwards."""

    def __init__(self, server: str):
        self.server = server
        self.name = f"emr_bench_{secrets.token_hex(5)}"
        self.admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")

    def __enter__(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return f"{self.server}/{self.name}"

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


POSTGRESQL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def get_token(port: int) -> str:
    reg = {"application_type": "private", "client_name": "bench",
           "redirect_uris": ["https://localhost/cb"],
           "token_endpoint_auth_method": "client_secret_post", "scope": SCOPE}
    status, client = http_call(port, "POST", "/oauth2/default/registration",
                               body=json.dumps(reg).encode(),
                               headers={"Content-Type": "application/json"})
    if status != 201 or not isinstance(client, dict):
        raise BenchError(f"client registration answered {status}: {client}")
    form = urllib.parse.urlencode({
        "grant_type": "password", "user_role": "users", "username": "admin",
        "password": "pass", "client_id": client["client_id"],
        "client_secret": client["client_secret"], "scope": SCOPE,
    }).encode()
    status, token = http_call(port, "POST", "/oauth2/default/token", body=form,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    if status != 200 or not isinstance(token, dict) or "access_token" not in token:
        raise BenchError(f"token endpoint answered {status}: {token}")
    return token["access_token"]


def pick_patient(port: int, token: str) -> dict:
    status, body = http_call(port, "GET", "/apis/default/api/patient?_limit=1",
                             headers={"Authorization": f"Bearer {token}"})
    if status != 200 or not isinstance(body, dict) or not body.get("data"):
        raise BenchError(f"patient list answered {status}: {body}")
    return body["data"][0]


def audit_rows(database_url: str) -> int | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- load

@dataclass
class Target:
    key: str
    label: str
    port: int
    path: str
    authorization: str | None = None
    pid: int | None = None


@dataclass
class LoadResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    non_2xx: int
    errors: int
    server_cpu_pct: float | None = None
    server_cpu_ms_per_request: float | None = None
    rounds_rps: list[float] = field(default_factory=list)
    # The request cap ended the run before its duration did.
    capped: bool = False


@dataclass
class LoadConfig:
    client: str
    concurrency: int
    duration: float
    warmup: float
    max_requests: int
    threads: int = 1
    client_note: str = ""
    extra: dict = field(default_factory=dict)


def find_wrk(install: bool) -> tuple[str | None, str]:
    """The wrk binary, installing the Debian package when allowed and running as root."""
    path = shutil.which("wrk")
    if path:
        return path, ""
    if not install:
        return None, "wrk not found (installation not allowed)"
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "wrk not found, and not root with apt-get to install it"
    print("wrk not found: apt-get install -y wrk", flush=True)
    try:
        done = subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True,
                              text=True, timeout=300,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"apt-get install wrk failed: {exc}"
    path = shutil.which("wrk")
    if done.returncode != 0 or not path:
        return None, f"apt-get install wrk failed: {done.stderr.strip()[-300:]}"
    return path, ""


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    match = re.search(r"wrk\s+(\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "unknown"


def run_wrk(wrk: str, target: Target, cfg: LoadConfig, duration: float,
            max_requests: int) -> LoadResult:
    per_thread = max(1, max_requests // cfg.threads) if max_requests else 0
    argv = [wrk, "-t", str(cfg.threads), "-c", str(cfg.concurrency),
            "-d", f"{max(1, round(duration))}s", "--timeout", "10s", "-s", str(WRK_SCRIPT),
            f"http://{HOST}:{target.port}{target.path}", "--", str(per_thread),
            target.authorization or ""]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    r = json.loads(line[len("BENCH_RESULT "):])
    seconds = r["duration_us"] / 1e6
    capped = bool(per_thread) and r["requests"] >= per_thread * cfg.threads
    if capped:
        # wrk reports the whole -d period even when the threads stopped at the cap; a
        # closed loop of N connections serves N / mean latency (Little's law).
        seconds = r["requests"] * (r["mean_us"] / 1e6) / cfg.concurrency
    return LoadResult(
        requests=r["requests"], duration_s=round(seconds, 3),
        rps=round(r["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=r["p50_us"] / 1000, p90_ms=r["p90_us"] / 1000, p99_ms=r["p99_us"] / 1000,
        mean_ms=round(r["mean_us"] / 1000, 3), max_ms=r["max_us"] / 1000,
        non_2xx=r["non_2xx"],
        errors=r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"],
        capped=capped,
    )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; return its status and whether the connection stays."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    parts = status_line.split(None, 2)
    status = int(parts[1])
    length, chunked, keep = 0, False, True
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection" and value == b"close":
            keep = False
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep


async def _python_load(target: Target, concurrency: int, duration: float,
                       max_requests: int) -> LoadResult:
    loop = asyncio.get_running_loop()
    head = [f"GET {target.path} HTTP/1.1", f"Host: {HOST}:{target.port}",
            "Accept: application/json"]
    if target.authorization:
        head.append(f"Authorization: {target.authorization}")
    request = ("\r\n".join(head) + "\r\n\r\n").encode()
    latencies: list[float] = []
    counts = {"left": max_requests if max_requests else 1 << 62, "non_2xx": 0, "errors": 0}
    deadline = loop.time() + duration

    async def worker() -> None:
        reader = writer = None
        try:
            while loop.time() < deadline and counts["left"] > 0:
                counts["left"] -= 1
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(
                            asyncio.open_connection(HOST, target.port), 10)
                    started = time.perf_counter()
                    writer.write(request)
                    status, keep = await asyncio.wait_for(_read_response(reader), 10)
                    latencies.append(time.perf_counter() - started)
                    if not 200 <= status < 300:
                        counts["non_2xx"] += 1
                    if not keep:
                        writer.close()
                        reader = writer = None
                except (OSError, ValueError, asyncio.IncompleteReadError,
                        asyncio.TimeoutError):
                    counts["errors"] += 1
                    if writer is not None:
                        writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))),
                           timeout=duration + 30)
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 3)

    return LoadResult(
        requests=len(latencies), duration_s=round(elapsed, 3),
        rps=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=pct(50), p90_ms=pct(90), p99_ms=pct(99),
        mean_ms=round(statistics.fmean(latencies) * 1000, 3) if latencies else 0.0,
        max_ms=round(latencies[-1] * 1000, 3) if latencies else 0.0,
        non_2xx=counts["non_2xx"], errors=counts["errors"],
        capped=counts["left"] <= 0,
    )


def run_python(target: Target, cfg: LoadConfig, duration: float,
               max_requests: int) -> LoadResult:
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_python_load(target, cfg.concurrency, duration, max_requests))


def load(target: Target, cfg: LoadConfig, wrk: str | None) -> LoadResult:
    def once(duration: float, max_requests: int) -> LoadResult:
        if cfg.client == "wrk":
            return run_wrk(wrk, target, cfg, duration, max_requests)
        return run_python(target, cfg, duration, max_requests)

    if cfg.warmup > 0:
        once(cfg.warmup, cfg.max_requests)
    cpu_before = process_cpu_seconds(target.pid)
    result = once(cfg.duration, cfg.max_requests)
    cpu_after = process_cpu_seconds(target.pid)
    if cpu_before is not None and cpu_after is not None and result.duration_s:
        used = cpu_after - cpu_before
        result.server_cpu_pct = round(100 * used / result.duration_s, 1)
        if result.requests:
            result.server_cpu_ms_per_request = round(1000 * used / result.requests, 3)
    return result


def median_run(runs: list[LoadResult]) -> LoadResult:
    """The run with the median throughput (the lower middle one for an even count),
    carrying every round's req/s so the spread is visible."""
    ordered = sorted(runs, key=lambda r: r.rps)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.rounds_rps = [r.rps for r in runs]
    return chosen


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (all its threads), from /proc on Linux."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------- report

def per_request_ms(rps: float) -> float:
    return round(1000.0 / rps, 3) if rps else 0.0


def summarise(results: dict[str, LoadResult]) -> tuple[dict, dict]:
    """Ratios of throughput, and where a request's server cost goes.

    The cost of a request is taken two ways: the server CPU it used (from /proc, robust
    to other load on the machine) and the wall time 1000 / req/s of the saturated single
    worker. Differences between the four targets split emr-api's extra cost into the
    framework and site edge (with the audit row) and the token, validation and ORM work."""
    def ratio(a: str, b: str) -> float | None:
        if results[b].rps:
            return round(results[a].rps / results[b].rps, 3)
        return None

    ratios = {"patient": ratio("emr_patient", "baseline_patient"),
              "version": ratio("emr_version", "baseline_version")}
    wall = {k: per_request_ms(r.rps) for k, r in results.items()}
    cpu = {k: r.server_cpu_ms_per_request for k, r in results.items()}
    breakdown = {"wall_ms_per_request": wall, "cpu_ms_per_request": cpu}
    for kind, ms in (("wall", wall), ("cpu", cpu)):
        if any(v is None for v in ms.values()):
            continue
        breakdown[kind] = {
            "emr_over_baseline_patient_ms": round(ms["emr_patient"] - ms["baseline_patient"], 3),
            "framework_edge_audit_ms": round(ms["emr_version"] - ms["baseline_version"], 3),
            "token_validation_orm_ms": round(ms["emr_patient"] - ms["emr_version"], 3),
            "baseline_sql_ms": round(ms["baseline_patient"] - ms["baseline_version"], 3),
        }
    return ratios, breakdown


def print_report(targets: list[Target], results: dict[str, LoadResult], ratios: dict,
                 breakdown: dict, cfg: LoadConfig, meta: dict) -> None:
    print()
    print(f"emr-api bench · {meta['cpus']} CPUs · client {cfg.client_note} · "
          f"concurrency {cfg.concurrency} · {cfg.duration:g} s per target after "
          f"{cfg.warmup:g} s warm-up · one uvicorn worker each · {meta['database']}"
          + (f" · median of {meta['rounds']} rounds" if meta["rounds"] > 1 else ""))
    if cfg.client == "python":
        print("note: the Python load generator runs on the same cores as the server and "
              "takes CPU from it; figures are lower than with wrk, the ratio is still fair.")
    print()
    width = max(len(t.label) for t in targets)
    print(f"{'':{width}}  {'req/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}  {'requests':>9}  "
          f"{'non-2xx':>7}  {'errors':>6}  {'srv CPU':>7}  {'CPU ms/req':>10}")
    for t in targets:
        r = results[t.key]
        cpu = "n/a" if r.server_cpu_pct is None else f"{r.server_cpu_pct:.0f}%"
        per = "n/a" if r.server_cpu_ms_per_request is None else \
            f"{r.server_cpu_ms_per_request:.3f}"
        print(f"{t.label:{width}}  {r.rps:9.1f}  {r.p50_ms:8.2f}  {r.p99_ms:8.2f}  "
              f"{r.requests:9d}  {r.non_2xx:7d}  {r.errors:6d}  {cpu:>7}  {per:>10}")
        if t.key == "baseline_patient":
            print(f"{'  ratio emr-api/baseline (req/s), patient':{width}}  "
                  f"{_fmt_ratio(ratios['patient']):>9}")
    print(f"{'  ratio emr-api/baseline (req/s), version':{width}}  "
          f"{_fmt_ratio(ratios['version']):>9}")
    if meta["rounds"] > 1:
        print()
        print("req/s of every round (the median round is reported above):")
        for t in targets:
            rounds = "  ".join(f"{v:.1f}" for v in results[t.key].rounds_rps)
            print(f"  {t.label:{width}}  {rounds}")
    for kind, title in (("cpu", "server CPU per request (from /proc; robust to other load)"),
                        ("wall", "server wall time per request (1000 / req/s; one worker)")):
        b = breakdown.get(kind)
        if not b:
            continue
        ms = breakdown[f"{kind}_ms_per_request"]
        print()
        print(f"{title}:")
        print(f"  emr-api patient {ms['emr_patient']:.3f} ms = baseline patient "
              f"{ms['baseline_patient']:.3f} ms + {b['emr_over_baseline_patient_ms']:.3f} ms")
        print(f"  framework + site edge + request log + audit row  (emr version - baseline "
              f"version):  {b['framework_edge_audit_ms']:.3f} ms")
        print(f"  token + scope/ACL + validation + ORM reads       (emr patient - emr "
              f"version):      {b['token_validation_orm_ms']:.3f} ms")
        print(f"  the SQL itself in the baseline                   (baseline patient - "
              f"baseline version): {b['baseline_sql_ms']:.3f} ms")
    print()
    print(f"load average before/after: {meta['loadavg_before']} / {meta['loadavg_after']}"
          f"  (other work on the machine skews the figures)")


def _fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=12, help="seconds per target (12)")
    p.add_argument("--warmup", type=float, default=3, help="warm-up seconds per target (3)")
    p.add_argument("--concurrency", type=int, default=32, help="open connections (32)")
    p.add_argument("--max-requests", type=int, default=2_000_000,
                   help="cap on requests per target and phase (2000000)")
    p.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                   help="load generator: wrk if present (auto), or the Python one")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument("--no-install", action="store_true",
                   help="never apt-get install wrk when it is missing")
    p.add_argument("--no-two-workers", action="store_true",
                   help="skip the two-worker run of the patient read")
    p.add_argument("--rounds", type=int, default=1,
                   help="interleaved rounds over the four targets; the median round is "
                        "reported (1)")
    p.add_argument("--patients", type=int, default=200, help="demo patients to create (200)")
    p.add_argument("--postgresql", nargs="?", const=POSTGRESQL_SERVER, metavar="SERVER",
                   help="run both servers on a new PostgreSQL database on SERVER (default "
                        f"{POSTGRESQL_SERVER}), dropped afterwards; SQLite otherwise")
    p.add_argument("--output", type=Path,
                   help="results file (bench/results/latest.json, latest-postgresql.json)")
    p.add_argument("--keep-data", action="store_true",
                   help="keep the temporary data folder and server logs")
    args = p.parse_args(argv)
    if args.output is None:
        args.output = RESULTS / ("latest-postgresql.json" if args.postgresql else "latest.json")
    if args.duration <= 0 or args.duration > 600 or args.warmup < 0 or args.warmup > 120:
        p.error("--duration must be in (0, 600] and --warmup in [0, 120]")
    if not 1 <= args.concurrency <= 1024 or not 1 <= args.threads <= args.concurrency:
        p.error("--concurrency must be 1..1024 and --threads 1..concurrency")
    if not 1 <= args.rounds <= 20:
        p.error("--rounds must be 1..20")
    if args.max_requests < 1:
        p.error("--max-requests must be positive")
    return args


def choose_client(args) -> LoadConfig:
    cfg = LoadConfig(client="python", concurrency=args.concurrency, duration=args.duration,
                     warmup=args.warmup, max_requests=args.max_requests, threads=args.threads)
    wrk = None
    why = ""
    if args.client in ("auto", "wrk"):
        wrk, why = find_wrk(install=not args.no_install)
        if wrk is None and args.client == "wrk":
            raise BenchError(why)
    if wrk:
        cfg.client = "wrk"
        cfg.extra["wrk"] = wrk
        cfg.client_note = (f"wrk {wrk_version(wrk)} ({args.threads} thread"
                           f"{'s' if args.threads > 1 else ''})")
    else:
        cfg.client_note = "Python asyncio (same cores as the server)"
        if why:
            cfg.client_note += f"; {why}"
    return cfg


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C, kill and a closed terminal all end in the same cleanup; SIGINT too when
    # the shell started us with it ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)

    data_dir = Path(tempfile.mkdtemp(prefix="emr-api-bench-"))
    servers: list[Server] = []
    failed = True
    databases = contextlib.ExitStack()
    try:
        cfg = choose_client(args)
        env = server_env(data_dir)
        emr_database = None
        if args.postgresql:
            emr_database = databases.enter_context(PostgresDatabase(args.postgresql))
        print(f"data folder {data_dir}: emr-api init --demo-patients {args.patients}"
              + (" on PostgreSQL" if emr_database else ""), flush=True)
        database = init_site(data_dir, args.patients, env, emr_database)

        emr_port = free_port()
        base_port = free_port()
        while base_port == emr_port:
            base_port = free_port()
        emr = Server("emr-api", [sys.executable, "-m", "emr_api.cli", "serve",
                                 "--http", "--host", HOST, "--port", str(emr_port),
                                 "--workers", "1", "--data-dir", str(data_dir),
                                 *database_args(emr_database)],
                     env, emr_port, "/apis/default/api/version", data_dir / "emr-api.log")
        servers.append(emr)
        emr.start()
        base = Server("baseline", [sys.executable, "-m", "bench.baseline", "--host", HOST,
                                   "--port", str(base_port),
                                   "--database-url", database],
                      {**env}, base_port, "/version", data_dir / "baseline.log")
        servers.append(base)
        base.start()
        print(f"emr-api pid {emr.pid} on :{emr_port}; baseline pid {base.pid} on :{base_port}",
              flush=True)

        token = get_token(emr_port)
        patient = pick_patient(emr_port, token)
        puuid = patient["uuid"]
        bearer = f"Bearer {token}"
        check_same_patient(emr_port, base_port, puuid, bearer)

        targets = [
            Target("emr_patient", "emr-api  GET /apis/default/api/patient/{puuid}", emr_port,
                   f"/apis/default/api/patient/{puuid}", bearer, emr.pid),
            Target("baseline_patient", "baseline GET /patient/{puuid}", base_port,
                   f"/patient/{puuid}", None, base.pid),
            Target("emr_version", "emr-api  GET /apis/default/api/version", emr_port,
                   "/apis/default/api/version", None, emr.pid),
            Target("baseline_version", "baseline GET /version", base_port, "/version", None,
                   base.pid),
        ]
        audit_before = audit_rows(database)
        loadavg_before = _loadavg()
        runs: dict[str, list[LoadResult]] = {t.key: [] for t in targets}
        for round_no in range(1, args.rounds + 1):
            if round_no > 1:  # long runs outlive a token (3600 s): a fresh one per round
                targets[0].authorization = f"Bearer {get_token(emr_port)}"
            for t in targets:
                tag = f"round {round_no}/{args.rounds}: " if args.rounds > 1 else ""
                print(f"{tag}loading {t.label.split()[0]} {t.path.replace(puuid, '{puuid}')} ...",
                      flush=True)
                runs[t.key].append(load(t, cfg, cfg.extra.get("wrk")))
        results = {key: median_run(r) for key, r in runs.items()}
        loadavg_after = _loadavg()
        audit_after = audit_rows(database)

        ratios, breakdown = summarise(results)
        meta = {"cpus": os.cpu_count(), "loadavg_before": loadavg_before,
                "database": "PostgreSQL" if emr_database else "SQLite",
                "loadavg_after": loadavg_after, "rounds": args.rounds}
        print_report(targets, results, ratios, breakdown, cfg, meta)
        audited = (audit_after - audit_before
                   if audit_before is not None and audit_after is not None else None)
        emr_requests = sum(r.requests for key, rs in runs.items() if key.startswith("emr_")
                           for r in rs)
        print(f"audit rows written by emr-api during the load: {audited} "
              f"(measured emr-api requests: {emr_requests}, plus warm-ups)")
        two_workers = None
        if not args.no_two_workers:
            for server in servers:
                server.stop()
            two_workers = measure_two_workers(data_dir, database, emr_database, env, cfg,
                                              puuid)
        bad = {k: (r.non_2xx, r.errors) for k, r in results.items() if r.non_2xx or r.errors}
        if bad:
            print(f"WARNING: non-2xx answers or socket errors (non_2xx, errors): {bad}")
        capped = [k for k, r in results.items() if r.capped]
        if capped:
            print(f"note: the request cap ended {', '.join(capped)} before the duration; "
                  "their req/s is estimated from concurrency / mean latency")
        report = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version(),
                        "loadavg_before": loadavg_before, "loadavg_after": loadavg_after},
            "config": {"client": cfg.client, "client_note": cfg.client_note,
                       "concurrency": cfg.concurrency, "duration_s": cfg.duration,
                       "warmup_s": cfg.warmup, "max_requests": cfg.max_requests,
                       "rounds": args.rounds,
                       "wrk_threads": cfg.threads if cfg.client == "wrk" else None,
                       "workers": 1, "demo_patients": args.patients,
                       "database": ("postgresql, one database shared by both servers"
                                    if emr_database else
                                    "sqlite (WAL), one file shared by both servers"),
                       "client_shares_cores": cfg.client == "python"},
            "targets": {t.key: {"label": t.label,
                                "path": t.path.replace(puuid, "{puuid}"),
                                **asdict(results[t.key])} for t in targets},
            "ratios_emr_over_baseline_rps": ratios,
            "breakdown": breakdown,
            "audit_rows_written": audited,
            "emr_api_requests_measured": emr_requests,
            "two_workers": two_workers,
        }
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written {_display(args.output)}")
        failed = False
        return 0
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", file=sys.stderr)
        return 130
    finally:
        with _signals_ignored():
            for server in reversed(servers):
                server.stop()
            databases.close()
            if args.keep_data or (failed and os.environ.get("BENCH_KEEP_ON_FAILURE")):
                print(f"data folder and server logs kept in {data_dir}", file=sys.stderr)
            else:
                shutil.rmtree(data_dir, ignore_errors=True)


TWO_WORKER_GOAL_RPS = 1300


def measure_two_workers(data_dir: Path, database: str, emr_database: str | None, env: dict,
                        cfg: LoadConfig, puuid: str) -> dict:
    """The patient read again, each server with two worker processes on the two cores
    (the load generator shares them)."""
    emr_port, base_port = free_port(), free_port()
    emr = Server("emr-api (2 workers)", [
        sys.executable, "-m", "emr_api.cli", "serve", "--http", "--host", HOST, "--port",
        str(emr_port), "--workers", "2", "--data-dir", str(data_dir),
        *database_args(emr_database)],
        env, emr_port, "/apis/default/api/version", data_dir / "emr-api-2.log")
    base = Server("baseline (2 workers)", [
        sys.executable, "-m", "bench.baseline", "--host", HOST, "--port", str(base_port),
        "--database-url", database, "--workers", "2"],
        {**env}, base_port, "/version", data_dir / "baseline-2.log")
    try:
        emr.start()
        base.start()
        bearer = f"Bearer {get_token(emr_port)}"
        targets = [
            Target("emr_patient_2w", "emr-api  GET /apis/default/api/patient/{puuid}",
                   emr_port, f"/apis/default/api/patient/{puuid}", bearer, emr.pid),
            Target("baseline_patient_2w", "baseline GET /patient/{puuid}", base_port,
                   f"/patient/{puuid}", None, base.pid),
        ]
        results = {}
        for t in targets:
            print(f"two workers: loading {t.label.split()[0]} ...", flush=True)
            results[t.key] = load(t, cfg, cfg.extra.get("wrk"))
    finally:
        emr.stop()
        base.stop()
    emr_rps, base_rps = results["emr_patient_2w"].rps, results["baseline_patient_2w"].rps
    ratio = emr_rps / base_rps if base_rps else None
    print(f"\ntwo workers each, GET patient: emr-api {emr_rps:.0f} req/s, baseline "
          f"{base_rps:.0f} req/s, ratio {_fmt_ratio(ratio)}; the goal is "
          f"{TWO_WORKER_GOAL_RPS} req/s for emr-api ({emr_rps / TWO_WORKER_GOAL_RPS:.2f} of it)")
    return {"emr_rps": emr_rps, "baseline_rps": base_rps, "ratio": ratio,
            "goal_rps": TWO_WORKER_GOAL_RPS,
            "emr": asdict(results["emr_patient_2w"]),
            "baseline": asdict(results["baseline_patient_2w"])}


def check_same_patient(emr_port: int, base_port: int, puuid: str, bearer: str) -> None:
    """Both servers must answer 200 with the same patient before any load runs."""
    status, emr_body = http_call(emr_port, "GET", f"/apis/default/api/patient/{puuid}",
                                 headers={"Authorization": bearer})
    if status != 200 or not isinstance(emr_body, dict) or \
            (emr_body.get("data") or {}).get("uuid") != puuid:
        raise BenchError(f"emr-api GET patient answered {status}: {emr_body}")
    status, base_body = http_call(base_port, "GET", f"/patient/{puuid}")
    if status != 200 or not isinstance(base_body, dict) or \
            (base_body.get("data") or {}).get("uuid") != puuid:
        raise BenchError(f"baseline GET patient answered {status}: {base_body}")
    if base_body["data"].get("pid") != emr_body["data"].get("pid"):
        raise BenchError("emr-api and baseline disagree on the patient's pid")
    status, _ = http_call(emr_port, "GET", f"/apis/default/api/patient/{puuid}")
    if status != 401:
        raise BenchError(f"emr-api answered {status} without a token: not the real path")


@contextlib.contextmanager
def _signals_ignored():
    """Let cleanup finish even when a second Ctrl-C or SIGTERM arrives."""
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
