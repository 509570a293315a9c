"""One room per API (standard/, oauth2/, fhir/): each owns its wire format, meaning the
handlers named by the YAML's operationIds, the representation of each resource, links,
and the API's error shape (`errors.py`). Handlers translate; services decide."""
