"""The app factory: one Connexion AsyncApp serving every API from its YAML, wrapped by
the site edge.

Why AsyncApp: measured on this 2-core machine (see README, "Performance"), Connexion's
AsyncApp with sync handlers in the thread pool serves about twice what FlaskApp does,
and our handlers are sync SQLAlchemy code, so they run in that pool. The OAuth2 server
is Authlib's protocol core behind the same app (see `server/oauth.py`)."""

from __future__ import annotations

import logging

import copy

from connexion import AsyncApp
from connexion.options import SwaggerUIOptions

from emr_api.config import OPENAPI_DIR, Settings
from emr_api.server import errors, oauth, security, specs
from emr_api.server.edge import SiteEdge
from emr_api.server.sites import SiteRegistry
from emr_api.server.validation import NamedParameterValidator


def build_connexion(settings: Settings) -> AsyncApp:
    app = AsyncApp(__name__, specification_dir=str(OPENAPI_DIR))
    ui = SwaggerUIOptions(swagger_ui=True, swagger_ui_path="/ui")
    oauth.KNOWN_RESOURCES.update(specs.known_resources())
    for name, base_path in specs.APIS:
        spec = specs.load(name)
        security.register_spec(spec)
        app.add_api(
            copy.deepcopy(spec),  # Connexion resolves refs in place
            base_path=base_path,
            strict_validation=True,
            validate_responses=settings.validate_responses,
            pythonic_params=False,
            swagger_ui_options=ui,
            validator_map={"parameter": NamedParameterValidator},
            name=name.removesuffix(".yaml"),
        )
    errors.register(app)
    return app


class EmrApi:
    """The ASGI application: site edge in front of Connexion. Keeps the site registry."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.registry = SiteRegistry(settings)
        self.connexion = build_connexion(settings)
        self.asgi = SiteEdge(self.connexion, self.registry)

    async def __call__(self, scope, receive, send):
        await self.asgi(scope, receive, send)

    def close(self) -> None:
        self.registry.close()


def create_app(settings: Settings | None = None) -> EmrApi:
    settings = settings or Settings.from_env()
    logging.getLogger("emr_api").setLevel(settings.log_level.upper())
    return EmrApi(settings)
