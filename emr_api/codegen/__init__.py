"""The only reader of the OpenAPI YAML. `loader` bundles each API's files into one document;
`apis` is the table of the four APIs; `operations` is the one list of operations every
consumer uses (ACLs, `Allow`, the scope catalogue, the checks, the tests)."""
