"""CKAN's errors (取組27) and the reading of action parameters.

The house's errors (`cityhall.core.errors`) are mapped once, in `views.py`, to CKAN's error
objects: ValidationFailed -> "Validation Error" (409), NotFoundError -> "Not Found Error" (404),
PermissionDeniedError -> "Authorization Error" (403), SearchQueryError -> "Search Query Error"
(400). Here live the two CKAN needs that the house has no word for: a validation error with
messages for several fields at once, and the "Bad request" answer whose body is a bare string.
"""

import json

from django.utils.translation import gettext as _

from cityhall.core.errors import CityhallError

# CKAN clients send booleans as JSON booleans or as these strings (paste's asbool).
_TRUE = {"true", "yes", "on", "y", "t", "1"}
_FALSE = {"false", "no", "off", "n", "f", "0", ""}
# OFFSET past this finds nothing in any catalogue, and bigger numbers overflow databases.
BIGGEST_OFFSET = 2**31 - 1


class FieldErrors(CityhallError):
    """CKAN's ValidationError: {field: [messages]} (HTTP 409)."""

    code = "invalid"
    status = 409

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {' '.join(value)}" for key, value in errors.items()))


class BadRequest(Exception):
    """CKAN's "Bad request" (HTTP 400): the body is a bare JSON string, not an envelope."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def invalid(field: str, message: str) -> FieldErrors:
    return FieldErrors({field: [message]})


def as_text(data: dict, key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(key, _("Must be a single text value."))
    return str(value)


def as_int(data: dict, key: str, default: int | None, *, minimum: int = 0) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid(key, _("Invalid integer"))
    try:
        number = int(value) if isinstance(value, int | str) else None
    except ValueError:
        number = None
    if number is None:
        raise invalid(key, _("Invalid integer"))
    if number < minimum:
        raise invalid(key, _("Must be a natural number") if minimum == 0
                      else _("Must be a positive integer"))
    return number


def as_bool(data: dict, key: str, default: bool = False) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in _TRUE:
        return True
    if isinstance(value, int | str) and str(value).strip().lower() in _FALSE:
        return False
    raise invalid(key, _("Value must be one of: true, false"))


def as_list(data: dict, key: str, *, json_string: bool = False) -> list[str]:
    """A list of strings: a JSON list, a single string, or (with `json_string`) a string that
    holds a JSON list, as `facet.field` arrives on GET."""
    value = data.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str) and json_string:
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid(key, _("Could not parse as valid JSON")) from None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(key, _("Must be a list of strings"))
    return value


def required_id(data: dict, key: str = "id") -> str:
    value = as_text(data, key).strip()
    if not value:
        raise invalid(key, _("Missing value"))
    return value
