"""One error shape for the whole house.

A service raises a `CityhallError` (or a subclass) with a stable machine code and a translated
message; views render it as a form or page error and the API maps it once to an HTTP response
(`cityhall.api`). Nothing else turns business errors into status codes.
"""

from django.utils.translation import gettext_lazy as _


class CityhallError(Exception):
    code = "error"
    status = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field = field
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        payload = {"code": self.code, "message": str(self.message)}
        if self.field:
            payload["field"] = self.field
        return payload


class ValidationFailed(CityhallError):
    code = "invalid"
    status = 400
    default_message = _("Some of the information given is not valid.")


class PermissionDeniedError(CityhallError):
    code = "forbidden"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotFoundError(CityhallError):
    code = "not_found"
    status = 404
    default_message = _("The requested record does not exist.")


class ConflictError(CityhallError):
    code = "conflict"
    status = 409
    default_message = _("The record was changed by someone else. Please reload and try again.")
