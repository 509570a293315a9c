"""`python -m emr_api.codegen`: bundle each served API's YAML and validate it as OpenAPI
(`make spec`); `--print NAME` writes one bundled document as YAML to standard output."""

from __future__ import annotations

import argparse
import sys

import yaml
from openapi_spec_validator import validate

from emr_api.codegen import apis, loader, operations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emr_api.codegen", description=__doc__)
    parser.add_argument("--print", dest="show", choices=[a.name for a in apis.SERVED],
                        help="print this API's bundled document")
    args = parser.parse_args(argv)
    if args.show:
        yaml.safe_dump(loader.bundled(apis.BY_NAME[args.show].spec), sys.stdout,
                       sort_keys=False, allow_unicode=True)
        return 0
    for api in apis.SERVED:
        validate(loader.bundled(api.spec))
        print(f"{api.spec}: valid OpenAPI, {len(operations.of_api(api.name))} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
