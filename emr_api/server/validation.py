"""Request validation, as Connexion's but with two differences:

- Parameters: Connexion's validator reports "'x' does not match '^...$'" without saying
  which parameter was wrong. The same checks raise ValidationFailed({name: [message]}), so
  every API's error shape names the field.
- JSON bodies: one that is not UTF-8, or is nested too deeply for the parser, is a 400
  (Connexion lets both through as a 500); a large one is parsed in the thread pool, so
  it does not stall every other request on the event loop."""

from __future__ import annotations

import json

import anyio.to_thread
from connexion.exceptions import BadRequestProblem
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator
from connexion.datastructures import MediaTypeDict
from connexion.validators.parameter import (
    Draft4Validator,
    ParameterValidator,
    draft4_format_checker,
)
from jsonschema import ValidationError

from emr_api.errors import ValidationFailed


# A parameter's schema is checked by one validator made once (making one per request costs
# more than the check): {id(schema): (schema, validator)}, the schema kept alive with it.
_checkers: dict[int, tuple[dict, Draft4Validator]] = {}


def _checker(schema: dict) -> Draft4Validator:
    found = _checkers.get(id(schema))
    if found is None or found[0] is not schema:
        found = _checkers[id(schema)] = (
            schema, Draft4Validator(schema, format_checker=draft4_format_checker))
    return found[1]


class NamedParameterValidator(ParameterValidator):
    @staticmethod
    def validate_parameter(parameter_type, value, param, param_name=None):
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            try:
                _checker(param.get("schema", param)).validate(value)
            except ValidationError as exc:
                return f"{param['name']}: {exc.message}"
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None

    def validate_request(self, request):
        if self.strict_validation:
            extra = self.validate_query_parameter_list(
                request, security_params=self.security_query_params)
            if extra:
                raise ValidationFailed({name: ["unknown query parameter"] for name in sorted(extra)})
        errors: dict[str, list[str]] = {}
        for kind in ("path", "query", "header", "cookie"):
            check = getattr(self, f"validate_{kind}_parameter")
            for param in self.parameters.get(kind, []):
                error = check(param, request)
                if error:
                    errors.setdefault(param["name"], []).append(error)
        if errors:
            raise ValidationFailed(errors)


# Bodies up to this size are parsed on the event loop (cheaper than a thread hop).
PARSE_IN_THREAD_ABOVE = 64 << 10


def _loads(raw: bytes, encoding: str):
    try:
        return json.loads(raw.decode(encoding))
    except UnicodeDecodeError:
        raise BadRequestProblem(detail=f"The request body is not valid {encoding}") from None
    except json.JSONDecodeError as exc:
        raise BadRequestProblem(detail=str(exc)) from None
    except RecursionError:
        raise BadRequestProblem(detail="The JSON body is nested too deeply") from None


class JsonBodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream, scope):
        raw = b"".join([message async for message in stream])
        if not raw.strip():
            return None
        if len(raw) > PARSE_IN_THREAD_ABOVE:
            return await anyio.to_thread.run_sync(_loads, raw, self._encoding)
        return _loads(raw, self._encoding)


VALIDATORS = {
    "parameter": NamedParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": JsonBodyValidator}),
}
