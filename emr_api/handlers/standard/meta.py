"""Standard API: /version and /product, open without a token."""

from emr_api import __version__
from emr_api.handlers.standard import ok

# The OpenEMR release whose API contract this server speaks.
OPENEMR_VERSION = {"v_major": "7", "v_minor": "0", "v_patch": "3", "v_realpatch": "0",
                   "v_tag": "", "v_database": 1, "v_acl": 1}


async def get_version():  # from memory: no thread hop
    return ok({**OPENEMR_VERSION, "server": f"emr-api {__version__}"})


async def get_product():
    return ok({"name": "emr-api", "version": __version__, "statusAsString": "UNREGISTERED"})
