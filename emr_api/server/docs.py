"""The served documents and Swagger UI: Connexion's, with each site's own OAuth2 URLs in
the document it serves (the YAML can only name one site's)."""

from __future__ import annotations

from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware

from emr_api import request_context
from emr_api.codegen.loader import with_authorization_server


class _SiteSwaggerUIAPI(SwaggerUIAPI):
    def _spec_for_prefix(self, request) -> dict:
        spec = super()._spec_for_prefix(request)
        info = request_context.current_or_none()
        return with_authorization_server(spec, info.site.issuer) if info else spec


class SiteSwaggerUIMiddleware(SwaggerUIMiddleware):
    def add_api(self, specification, base_path=None, arguments=None, **kwargs) -> None:
        api = _SiteSwaggerUIAPI(specification, base_path=base_path, arguments=arguments,
                                default=self.default_fn, **kwargs)
        self.router.mount(api.base_path, app=api.router)
