"""Load benchmarks: emr-api against a bare Starlette baseline (python -m bench.run)."""
