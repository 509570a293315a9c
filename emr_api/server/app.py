"""The app factory: one Connexion AsyncApp serving every API of the API table from its
bundled YAML, wrapped by the site edge.

Why AsyncApp: measured on this 2-core machine (see README, "Performance"), Connexion's
AsyncApp with sync handlers in the thread pool serves about twice what FlaskApp does,
and our handlers are sync SQLAlchemy code, so they run in that pool.

Three small subclasses keep Connexion's per-request work to what a request needs: the
decorator chain is built once per operation (`_DecoratedOnce`), an operation without a
body reads none (`_Parameters`), and the token function's signature is inspected once
(`_OAuthHandler`). A fourth lets a file go out with its own media type (`_Responses`).
Starlette's routers find a route by its path's first segment instead of trying every route
(`server/routing.py`)."""

from __future__ import annotations

import functools
import logging

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import operation, receive, scope
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import AsyncParameterDecorator
from connexion.decorators.response import AsyncResponseDecorator
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.security import SECURITY_HANDLERS, OAuthSecurityHandler
from connexion.utils import extract_content_type

from emr_api.codegen import apis, loader
from emr_api.jobs.scheduler import Scheduler
from emr_api.server import errors, routing
from emr_api.server.docs import SiteSwaggerUIMiddleware
from emr_api.server.edge import SiteEdge
from emr_api.server.resolver import OffloadingResolver, SiteThreads
from emr_api.server.validation import VALIDATORS
from emr_api.settings import Settings
from emr_api.sites import SiteRegistry

MIDDLEWARES = [SiteSwaggerUIMiddleware if m is SwaggerUIMiddleware else m
               for m in ConnexionMiddleware.default_middlewares]


class _Parameters(AsyncParameterDecorator):
    """Reads no body for an operation that declares none (Connexion drops it in any case)."""

    def _maybe_get_body(self, request, *, arguments, has_kwargs):
        if not operation.is_request_body_defined:
            return None
        return super()._maybe_get_body(request, arguments=arguments, has_kwargs=has_kwargs)


class _Responses(AsyncResponseDecorator):
    """An answer the YAML declares as any media type (`*/*`: a stored file) goes out with
    the Content-Type its handler names and its bytes as they are: Connexion takes only a
    media type the YAML lists, and would serialize bytes named JSON once more."""

    @staticmethod
    def _infer_content_type(data, headers):
        named = extract_content_type(headers)
        if named and "*/*" in operation.produces:
            return named
        return AsyncResponseDecorator._infer_content_type(data, headers)

    def _serialize_data(self, data, *, content_type):
        if isinstance(data, bytes) and "*/*" in operation.produces:
            return data
        return super()._serialize_data(data, content_type=content_type)


class _DecoratedOnce(StarletteDecorator):
    """Connexion's decorator chain (parameters in, response out), built once per operation:
    Connexion 3.3 builds it again for every request, signature inspection included, which
    cost about a tenth of a patient read's CPU."""

    @property
    def _parameter_decorator_cls(self):
        return _Parameters

    @property
    def _response_decorator_cls(self):
        return _Responses

    def __call__(self, function):
        decorated = self.decorate(function)
        # The operation's URI parser, made on its first request: it reads the operation,
        # which Connexion's context holds only while a request runs.
        parsers = []

        @functools.wraps(function)
        async def wrapper(*args, **kwargs):
            if not parsers:
                parsers.append(self.uri_parser)
            request = self.framework.get_request(uri_parser=parsers[0], scope=scope,
                                                 receive=receive)
            return await decorated(request)

        return wrapper


class _Operation(AsyncOperation):
    @functools.cached_property
    def fn(self):
        return _DecoratedOnce(pythonic_params=self.pythonic_params,
                              jsonifier=self.jsonifier)(self._fn)


class _Api(AsyncApi):
    def make_operation(self, operation) -> AsyncOperation:
        return _Operation.from_operation(operation, pythonic_params=self.pythonic_params,
                                         jsonifier=self.jsonifier)


class _OAuthHandler(OAuthSecurityHandler):
    """Connexion inspects the token function's signature on every request; once will do."""

    _accepts_kwarg = staticmethod(functools.cache(OAuthSecurityHandler._accepts_kwarg))


def build_connexion(settings: Settings, threads: SiteThreads) -> AsyncApp:
    routing.install()  # before Connexion builds its routers: they bind their lookup then
    app = AsyncApp(__name__, middlewares=list(MIDDLEWARES),
                   security_map={**SECURITY_HANDLERS, "oauth2": _OAuthHandler})
    app._middleware_app.api_cls = _Api  # AsyncApp takes no API class of its own
    ui = SwaggerUIOptions(swagger_ui=True, swagger_ui_path="/ui")
    for api in apis.SERVED:
        app.add_api(
            loader.bundled(api.spec),  # a copy: Connexion resolves references in place
            base_path=api.mount,
            strict_validation=api.strict,
            validate_responses=settings.validate_responses,
            pythonic_params=False,
            swagger_ui_options=ui,
            validator_map=VALIDATORS,
            resolver=OffloadingResolver(deadline=settings.db_timeout + 1, threads=threads),
            name=api.name,
        )
    errors.register(app)
    return app


class EmrApi:
    """The ASGI application: site edge in front of Connexion. Keeps the site registry, and
    the background runner, which the ASGI lifespan starts and stops (when
    `background_interval` asks for one)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.registry = SiteRegistry(settings)
        self.threads = SiteThreads(settings.threads)
        self.connexion = build_connexion(settings, self.threads)
        self.asgi = SiteEdge(self.connexion, self.registry)
        self.scheduler = (Scheduler(self.registry, settings.background_interval)
                          if settings.background_interval > 0 else None)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan" and self.scheduler is not None:
            receive = _starting_and_stopping(self.scheduler, receive)
        await self.asgi(scope, receive, send)

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()
        self.asgi.close()
        self.threads.close()
        self.registry.close()


def _starting_and_stopping(scheduler: Scheduler, receive):
    """The lifespan's `receive`, starting the runner at start-up and stopping it (cleanly,
    before the server reports it has shut down) at shutdown."""

    async def lifespan_receive():
        message = await receive()
        if message["type"] == "lifespan.startup":
            scheduler.start()
        elif message["type"] == "lifespan.shutdown":
            await scheduler.stop()
        return message

    return lifespan_receive


def create_app(settings: Settings | None = None) -> EmrApi:
    settings = settings or Settings.from_env()
    logging.getLogger("emr_api").setLevel(settings.log_level.upper())
    # FHIR writes take application/fhir+json and application/json alike; Connexion warns on
    # every request to such an operation that it picked the first for its own use.
    logging.getLogger("connexion.operations.openapi3").setLevel(logging.ERROR)
    return EmrApi(settings)
