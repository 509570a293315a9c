"""`metadata` and `.well-known/smart-configuration`: what this FHIR server offers and where
its tokens come from. Both answer from memory, without a token."""

from __future__ import annotations

from datetime import datetime, timezone

from emr_api import __version__, request_context
from emr_api.codegen import capability
from emr_api.handlers.fhir import answer, base_url, negotiate
from emr_api.oauth2 import metadata

_STARTED = datetime.now(timezone.utc).date().isoformat()
US_CORE = "http://hl7.org/fhir/us/core/ImplementationGuide/hl7.fhir.us.core|6.1.0"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


async def capability_statement(**_):
    negotiate()
    site = request_context.current().site
    issuer = site.issuer
    return answer({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": _STARTED,
        "publisher": "emr-api",
        "kind": "instance",
        "instantiates": ["http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server"],
        "software": {"name": "emr-api", "version": __version__},
        "implementation": {"description": f"emr-api FHIR R4 server, site {site.name}",
                           "url": base_url()},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "implementationGuide": [US_CORE],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}], "text": "OAuth2 using SMART-on-FHIR profile"}],
                "extension": [{"url": OAUTH_URIS, "extension": [
                    {"url": "authorize", "valueUri": f"{issuer}/authorize"},
                    {"url": "token", "valueUri": f"{issuer}/token"},
                    {"url": "register", "valueUri": f"{issuer}/registration"},
                    {"url": "introspect", "valueUri": f"{issuer}/introspect"},
                    {"url": "revoke", "valueUri": f"{issuer}/revoke"},
                ]}],
            },
            "resource": list(capability.resources()),
        }],
    })


async def smart_configuration():
    return (metadata.smart_configuration(request_context.current().site), 200,
            {"Content-Type": "application/json"})
