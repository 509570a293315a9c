"""emr-api: a spec-first server speaking the OpenEMR API contract."""

import warnings

__version__ = "0.1.0"

# Connexion imports Starlette's test client at import time, which warns about httpx on
# every start; it is not used outside tests.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
