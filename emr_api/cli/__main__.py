"""`python -m emr_api.cli`: the `emr-api` command."""

import sys

from emr_api.cli import main

sys.exit(main())
