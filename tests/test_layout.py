"""The house rules of DESIGN.md that code review would otherwise have to remember: the
import contracts (rooms, HTTP-free services, no cycles) hold, a service loads no web
framework, and what is derived from the YAML needs no app to be built first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and "6 kept, 0 broken" in done.stdout


def test_a_service_loads_no_web_framework():
    done = run_python(
        "import sys\n"
        "import emr_api.services.encounters, emr_api.services.people\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'connexion', 'starlette'})\n"
        "print(loaded)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_registration_knows_every_resource_scope_without_an_app():
    """The scope catalogue comes from the YAML when first asked, not as a side effect of
    building the app (registration in a CLI or a job must accept resource scopes too)."""
    done = run_python(
        "from emr_api.codegen import scope_catalogue\n"
        "import sys\n"
        "assert 'emr_api.server.app' not in sys.modules\n"
        "print(scope_catalogue.is_known('user/patient.read'),"
        " scope_catalogue.is_known('user/encounter.cud'),"
        " scope_catalogue.is_known('user/nosuchthing.read'))\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "False"]
