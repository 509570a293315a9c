"""Request parameter validation that names the parameter: Connexion's own validator
reports "'x' does not match '^...$'" without saying which parameter was wrong. The
same checks, raised as ValidationFailed({name: [message]}) so every API's error shape
names the field."""

from __future__ import annotations

import copy

from connexion.utils import is_null, is_nullable
from connexion.validators.parameter import (
    Draft4Validator,
    ParameterValidator,
    draft4_format_checker,
)
from jsonschema import ValidationError

from emr_api.errors import ValidationFailed


class NamedParameterValidator(ParameterValidator):
    @staticmethod
    def validate_parameter(parameter_type, value, param, param_name=None):
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            schema = copy.deepcopy(param.get("schema", param))
            try:
                Draft4Validator(schema, format_checker=draft4_format_checker).validate(value)
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
