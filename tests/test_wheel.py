"""A plain wheel serves: built from the checkout, installed into a fresh virtual environment
outside it, it loads every API document, migrates a new site and answers requests. (An
editable install would hide YAML, templates or migrations left out of the package.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from pathlib import Path
import emr_api
from emr_api.codegen import apis, loader, operations
from emr_api.server.app import create_app
from emr_api.settings import Settings
from starlette.testclient import TestClient

app = create_app(Settings(data_dir=Path(sys.argv[1]), public_url="https://localhost:9300"))
with TestClient(app, base_url="https://localhost:9300") as client:
    answers = {
        "version": client.get("/apis/default/api/version").status_code,
        "standard_doc": client.get("/apis/default/api/openapi.json").status_code,
        "discovery": client.get("/oauth2/default/.well-known/openid-configuration").status_code,
    }
app.close()
print(json.dumps({
    "package": emr_api.__file__,
    "documents": [api.name for api in apis.SERVED if loader.bundled(api.spec)["paths"]],
    "operations": len(operations.operations()),
    **answers,
}))
"""


def test_the_wheel_serves_from_a_fresh_environment(tmp_path):
    # Built from a clean copy: a `build/` folder left in the checkout would hide a file
    # the package data no longer names.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "var", "*.egg-info", "__pycache__", ".pytest_cache"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(wheels), str(source)], check=True, capture_output=True,
                   timeout=300)
    (wheel,) = wheels.glob("emr_api-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--quiet", "--no-deps", str(wheel)], check=True, capture_output=True,
                   timeout=300)
    # The dependencies come from the test environment's site-packages, as a plain path:
    # its editable install of the checkout is a .pth hook that a path entry never runs.
    site_packages = Path(subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True).strip())
    (site_packages / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = subprocess.run([str(python), "-c", PROBE, str(tmp_path / "data")], cwd=outside,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["package"].startswith(str(site_packages)), facts
    assert facts["documents"] == ["standard", "portal", "fhir", "oauth2"]
    assert facts["operations"] > 20
    assert (facts["version"], facts["standard_doc"], facts["discovery"]) == (200, 200, 200)
