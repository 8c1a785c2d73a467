"""Online application forms described as data (取組1: 電子申請).

A form is a JSON Schema (draft 2020-12) of a flat object plus a UI description:

    {"order": ["dog_name", ...],
     "fields": {"dog_name": {"label_ja": "犬の名前", "label_en": "Dog's name",
                             "help_ja": "...", "help_en": "...", "widget": "textarea",
                             "choices": {"male": {"label_ja": "オス", "label_en": "Male"}}}},
     "prefill": {"owner_name": "profile.full_name", "owner_address": "profile.address"}}

Supported property types: string (minLength, maxLength, pattern, enum, format date or email),
integer and number (minimum, maximum) and boolean. Fields in `prefill` are never asked: the
city already knows them (ワンスオンリー); they are copied from the resident's profile when
the application is submitted. The server renders an accessible Django form from this and
validates twice: field by field (translated messages), then the whole against the schema.

A file to attach (e.g. a vaccination certificate) is a property `{"type": "string"}` whose UI
says `"widget": "file"`, optionally with `"accept"` (a list of "application/pdf",
"image/jpeg", "image/png"; all three if absent) and `"max_bytes"` (at most
settings.ATTACHMENT_MAX_BYTES, which is also the default). The answer stored is the id of the
application's Attachment; a file field is never prefilled.
"""

import datetime
import decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, SchemaError

from .attachments import FILE_TYPES, megabytes, type_labels

SUPPORTED_TYPES = ("string", "integer", "number", "boolean")
SUPPORTED_FORMATS = ("date", "email")


def _profile_address(user, profile):
    if profile is None:
        return None
    from cityhall.core.selectors import current_municipality

    municipality = current_municipality()
    prefix = f"{municipality.prefecture}{municipality.name}" if municipality else ""
    return f"{prefix}{profile.town.label}{profile.block_number}"


# What a form may take from the resident's account instead of asking again.
PROFILE_SOURCES = {
    "profile.full_name": lambda user, p: p.full_name if p else None,
    "profile.full_name_kana": lambda user, p: p.full_name_kana if p else None,
    "profile.family_name": lambda user, p: p.family_name if p else None,
    "profile.given_name": lambda user, p: p.given_name if p else None,
    "profile.date_of_birth": lambda user, p: p.date_of_birth.isoformat() if p else None,
    "profile.address": _profile_address,
    "profile.phone": lambda user, p: (p.phone or None) if p else None,
    "account.email": lambda user, p: user.email,
}


def validate_form_definition(schema, ui) -> None:
    """Raise ValidationError with a message staff can act on if the form is malformed."""
    if not isinstance(schema, dict):
        raise ValidationError(_("The schema must be a JSON object."))
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path) or _("(top level)")
        raise ValidationError(_("The schema is not valid JSON Schema at %(where)s: %(message)s")
                              % {"where": where, "message": error.message}) from None
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict) \
            or not schema["properties"]:
        raise ValidationError(_("The schema must describe an object with at least one "
                                "property."))
    properties = schema["properties"]
    if not isinstance(ui, dict):
        raise ValidationError(_("The UI description must be a JSON object."))
    fields_ui = ui.get("fields", {})
    for name, spec in properties.items():
        if not name.isidentifier():
            raise ValidationError(_("Property “%(name)s” must be named with letters, digits "
                                    "and underscores.") % {"name": name})
        if not isinstance(spec, dict) or spec.get("type") not in SUPPORTED_TYPES:
            raise ValidationError(_("Property “%(name)s” must have one of the types %(types)s.")
                                  % {"name": name, "types": ", ".join(SUPPORTED_TYPES)})
        if spec.get("format") and spec["format"] not in SUPPORTED_FORMATS:
            raise ValidationError(_("Property “%(name)s” uses the format “%(format)s”; use "
                                    "%(formats)s.") % {"name": name, "format": spec["format"],
                                                       "formats": ", ".join(SUPPORTED_FORMATS)})
        labels = fields_ui.get(name, {})
        if not labels.get("label_ja") or not labels.get("label_en"):
            raise ValidationError(_("Property “%(name)s” needs label_ja and label_en in the UI "
                                    "description.") % {"name": name})
        if labels.get("widget") == "file":
            _validate_file_field(name, spec, labels, ui.get("prefill") or {})
    for name in set(fields_ui) - set(properties):
        raise ValidationError(_("The UI description names “%(name)s”, which the schema does "
                                "not have.") % {"name": name})
    order = ui.get("order")
    if order is not None and sorted(order) != sorted(properties):
        raise ValidationError(_("“order” must list every property exactly once."))
    for name, source in (ui.get("prefill") or {}).items():
        if name not in properties:
            raise ValidationError(_("Prefill names “%(name)s”, which the schema does not have.")
                                  % {"name": name})
        if source not in PROFILE_SOURCES:
            raise ValidationError(_("Prefill source “%(source)s” is unknown; use one of "
                                    "%(sources)s.") % {"source": source,
                                                       "sources": ", ".join(PROFILE_SOURCES)})


def _validate_file_field(name, spec, ui_field, prefill) -> None:
    if spec != {"type": "string"}:
        raise ValidationError(_("“%(name)s” is a file field: its property must be exactly "
                                "{\"type\": \"string\"} (it holds the attachment's id).")
                              % {"name": name})
    accept = ui_field.get("accept", list(FILE_TYPES))
    if not isinstance(accept, list) or not accept:
        raise ValidationError(_("“accept” of “%(name)s” must be a list of file types: "
                                "%(types)s.") % {"name": name, "types": ", ".join(FILE_TYPES)})
    for content_type in accept:
        if not isinstance(content_type, str) or content_type not in FILE_TYPES:
            raise ValidationError(_("“%(name)s” accepts the file type “%(type)s”, which is not "
                                    "allowed; use %(types)s.") % {
                "name": name, "type": content_type, "types": ", ".join(FILE_TYPES)})
    max_bytes = ui_field.get("max_bytes", settings.ATTACHMENT_MAX_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise ValidationError(_("“max_bytes” of “%(name)s” must be a positive whole number of "
                                "bytes.") % {"name": name})
    if max_bytes > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(_("“max_bytes” of “%(name)s” may be at most %(limit)s bytes.")
                              % {"name": name, "limit": settings.ATTACHMENT_MAX_BYTES})
    if name in prefill:
        raise ValidationError(_("“%(name)s” is a file field and cannot be prefilled.")
                              % {"name": name})


def file_fields(form_definition) -> dict[str, dict]:
    """The form's file fields, in order: name → {"accept": [...], "max_bytes": n}."""
    fields_ui = form_definition.ui.get("fields", {})
    rules = {}
    for name in field_order(form_definition):
        ui_field = fields_ui.get(name, {})
        if ui_field.get("widget") == "file":
            rules[name] = {"accept": list(ui_field.get("accept") or FILE_TYPES),
                           "max_bytes": min(ui_field.get("max_bytes")
                                            or settings.ATTACHMENT_MAX_BYTES,
                                            settings.ATTACHMENT_MAX_BYTES)}
    return rules


def _text(item: dict, key: str) -> str:
    language = (get_language() or "ja").split("-")[0]
    if language != "ja" and item.get(f"{key}_en"):
        return item[f"{key}_en"]
    return item.get(f"{key}_ja", "")


def field_order(form_definition) -> list[str]:
    return form_definition.ui.get("order") or list(form_definition.schema["properties"])


def label_of(form_definition, name: str) -> str:
    return _text(form_definition.ui.get("fields", {}).get(name, {}), "label") or name


def prefill_values(form_definition, user) -> dict:
    """The facts the city already knows for this form, from the resident's profile."""
    profile = getattr(user, "resident_profile", None)
    values = {}
    for name, source in (form_definition.ui.get("prefill") or {}).items():
        value = PROFILE_SOURCES[source](user, profile)
        if value not in (None, ""):
            values[name] = value
    return values


def _build_file_field(label, help_text, rules, required):
    # Without help from the form's author, say which files are taken and how large.
    help_text = help_text or _("%(types)s, up to %(size)s.") % {
        "types": type_labels(rules["accept"]), "size": megabytes(rules["max_bytes"])}
    return forms.FileField(
        label=label, required=required, help_text=help_text,
        widget=forms.FileInput(attrs={"accept": ",".join(rules["accept"])}),
        error_messages={"required": gettext_lazy("Please choose a file."),
                        "empty": gettext_lazy("The file is empty. Please choose the file "
                                              "again."),
                        "invalid": gettext_lazy("No file was sent. Please choose the file "
                                                "again.")})


def _build_field(name, spec, ui_field, required):
    label = _text(ui_field, "label") or name
    help_text = _text(ui_field, "help")
    common = {"label": label, "required": required, "help_text": help_text}
    messages = {"required": gettext_lazy("This field is required.")}
    if spec["type"] == "boolean":
        return forms.BooleanField(**common, error_messages={
            "required": gettext_lazy("Please tick this box to continue.")})
    if spec["type"] in ("integer", "number"):
        field_class = forms.IntegerField if spec["type"] == "integer" else forms.DecimalField
        return field_class(**common, min_value=spec.get("minimum"),
                           max_value=spec.get("maximum"), error_messages={
                               **messages, "invalid": gettext_lazy("Enter a number."),
                               "min_value": gettext_lazy("Enter a number of at least "
                                                         "%(limit_value)s."),
                               "max_value": gettext_lazy("Enter a number of at most "
                                                         "%(limit_value)s.")})
    if "enum" in spec:
        labels = ui_field.get("choices", {})
        choices = [(value, _text(labels.get(value, {}), "label") or value)
                   for value in spec["enum"]]
        widget = forms.RadioSelect if len(choices) <= 6 else forms.Select
        if not required:
            choices = [("", gettext_lazy("(not chosen)")), *choices]
        return forms.ChoiceField(**common, choices=choices, widget=widget, error_messages={
            **messages, "invalid_choice": gettext_lazy("Please choose one of the options.")})
    if spec.get("format") == "date":
        return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}),
                               error_messages={**messages, "invalid": gettext_lazy(
                                   "Enter the date as year-month-day, e.g. 2026-04-01.")})
    if spec.get("format") == "email":
        return forms.EmailField(**common, max_length=spec.get("maxLength"),
                                error_messages={**messages, "invalid": gettext_lazy(
                                    "Enter an email address such as name@example.jp.")})
    validators = []
    if spec.get("pattern"):
        validators.append(RegexValidator(spec["pattern"], message=_text(ui_field, "pattern_error")
                                         or gettext_lazy("The format is not correct.")))
    widget = forms.Textarea(attrs={"rows": 4}) if ui_field.get("widget") == "textarea" else None
    return forms.CharField(**common, max_length=spec.get("maxLength"),
                           min_length=spec.get("minLength"), validators=validators,
                           widget=widget, error_messages={
                               **messages,
                               "max_length": gettext_lazy("Please use at most %(limit_value)d "
                                                          "characters."),
                               "min_length": gettext_lazy("Please use at least %(limit_value)d "
                                                          "characters.")})


class SchemaForm(forms.Form):
    """The questions of an application form that the city does not already know.

    `attachments` maps a file field to the application's current Attachment: such a field
    need not be sent again. Uploaded files are handed to the attachment services, never
    put in `json_data()`."""

    def __init__(self, *args, form_definition, attachments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_definition = form_definition
        schema, ui = form_definition.schema, form_definition.ui
        required = set(schema.get("required", []))
        prefilled = set(ui.get("prefill") or {})
        self.file_fields = file_fields(form_definition)
        attachments = attachments or {}
        for name in field_order(form_definition):
            if name in prefilled:
                continue
            ui_field = ui.get("fields", {}).get(name, {})
            if name in self.file_fields:
                self.fields[name] = _build_file_field(
                    _text(ui_field, "label") or name, _text(ui_field, "help"),
                    self.file_fields[name], name in required and name not in attachments)
                continue
            self.fields[name] = _build_field(name, schema["properties"][name], ui_field,
                                             name in required)

    def json_data(self) -> dict:
        """The cleaned answers as JSON values (dates as ISO text), without empty answers."""
        data = {}
        for name, value in self.cleaned_data.items():
            if name in self.file_fields:
                continue
            if value in (None, "") or (value is False and name not in
                                       self.form_definition.schema.get("required", [])):
                continue
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, decimal.Decimal):
                value = int(value) if value == value.to_integral_value() else float(value)
            data[name] = value
        return data


def schema_errors(form_definition, data: dict) -> dict[str, list[str]]:
    """Errors of `data` against the form's JSON Schema, by property ("" for the whole)."""
    errors: dict[str, list[str]] = {}
    for error in Draft202012Validator(form_definition.schema).iter_errors(data):
        field = str(error.path[0]) if error.path else ""
        if error.validator == "required" and not error.path:
            missing = error.message.split("'")[1] if "'" in error.message else ""
            field = missing
            errors.setdefault(field, []).append(_("This field is required."))
        else:
            errors.setdefault(field, []).append(_("This answer is not accepted."))
    return errors


def answer_rows(form_definition, answers: dict,
                attachments=None) -> list[tuple[str, object]]:
    """(label, shown value) for every field in order; a choice shows its label, not its code,
    and a file field the file's name when `attachments` (field → Attachment) is given."""
    rows = []
    fields_ui = form_definition.ui.get("fields", {})
    files = file_fields(form_definition) if attachments is not None else {}
    for name in field_order(form_definition):
        value = answers.get(name)
        if name in files:
            attachment = attachments.get(name)
            value = attachment.original_name if attachment is not None else None
        choice = fields_ui.get(name, {}).get("choices", {}).get(value) if isinstance(
            value, str) else None
        rows.append((label_of(form_definition, name), _text(choice, "label") if choice
                     else value))
    return rows
