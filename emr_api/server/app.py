"""The app factory: one Connexion AsyncApp serving every API of the API table from its
bundled YAML, wrapped by the site edge.

Why AsyncApp: measured on this 2-core machine (see README, "Performance"), Connexion's
AsyncApp with sync handlers in the thread pool serves about twice what FlaskApp does,
and our handlers are sync SQLAlchemy code, so they run in that pool."""

from __future__ import annotations

import logging

from connexion import AsyncApp
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions

from emr_api.codegen import apis, loader
from emr_api.server import errors
from emr_api.server.docs import SiteSwaggerUIMiddleware
from emr_api.server.edge import SiteEdge
from emr_api.server.resolver import OffloadingResolver
from emr_api.server.validation import VALIDATORS
from emr_api.settings import Settings
from emr_api.sites import SiteRegistry

MIDDLEWARES = [SiteSwaggerUIMiddleware if m is SwaggerUIMiddleware else m
               for m in ConnexionMiddleware.default_middlewares]


def build_connexion(settings: Settings) -> AsyncApp:
    app = AsyncApp(__name__, middlewares=list(MIDDLEWARES))
    ui = SwaggerUIOptions(swagger_ui=True, swagger_ui_path="/ui")
    for api in apis.SERVED:
        app.add_api(
            loader.bundled(api.spec),  # a copy: Connexion resolves references in place
            base_path=api.mount,
            strict_validation=True,
            validate_responses=settings.validate_responses,
            pythonic_params=False,
            swagger_ui_options=ui,
            validator_map=VALIDATORS,
            resolver=OffloadingResolver(deadline=settings.db_timeout + 1),
            name=api.name,
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
        self.asgi.close()
        self.registry.close()


def create_app(settings: Settings | None = None) -> EmrApi:
    settings = settings or Settings.from_env()
    logging.getLogger("emr_api").setLevel(settings.log_level.upper())
    return EmrApi(settings)
