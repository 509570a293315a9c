"""The FHIR API's wire format. Its resources are not served yet; its error shape is, so
that every URL under /apis/<site>/fhir answers (404, turned off, unknown site) as FHIR."""
