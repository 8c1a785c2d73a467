"""The multilingual alert templates (取組12 防災情報の発信強化, 取組17 外国人への情報発信):
Japanese, English, Simplified Chinese and Korean texts written by hand in
`data/alert_templates.json`, filled from a few typed parameters so that every language is
correct without machine translation, and each template's CAP 1.2 mapping.

Parameters are never free text: a choice (each option translated in the data file), a time or
a date (formatted per language here) or a shelter (its Japanese and English names). Staff
who need to say something else write free text, which is shown marked as not translated.
"""

import datetime
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils import timezone

LANGUAGES = ("ja", "en", "zh-hans", "ko")
TEXT_FIELDS = ("event", "headline", "description", "instruction")
DATA_FILE = Path(__file__).parent / "data" / "alert_templates.json"
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


class TemplateError(ValueError):
    """A parameter is missing or not one of the allowed values (the service turns it into a
    translated CityhallError)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(name)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "choice", "time", "date" or "shelter"
    choices: str = ""


@dataclass(frozen=True)
class AlertTemplate:
    key: str
    group: str
    expires_hours: int
    cap: dict
    params: tuple[Param, ...]
    texts: dict = field(hash=False, compare=False)

    def title(self, language: str) -> str:
        return self.texts[language if language in LANGUAGES else "en"]["event"]


@cache
def catalogue() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@cache
def templates() -> dict[str, AlertTemplate]:
    result = {}
    for entry in catalogue()["templates"]:
        result[entry["key"]] = AlertTemplate(
            key=entry["key"], group=entry["group"], expires_hours=entry["expires_hours"],
            cap=entry["cap"], texts=entry["texts"],
            params=tuple(Param(**param) for param in entry["params"]))
    return result


def get_template(key: str) -> AlertTemplate | None:
    return templates().get(key)


def choice_options(set_name: str) -> dict[str, dict]:
    return catalogue()["choices"][set_name]


def area_name(code: str, language: str, *, fallback: str = "") -> str:
    names = catalogue()["areas"].get(code)
    if names:
        return names[language]
    return fallback or code


def area_names(codes: list[str], language: str) -> str:
    separator = catalogue()["formats"]["list_separator"][language]
    return separator.join(area_name(code, language) for code in codes)


def format_time(value: datetime.datetime, language: str) -> str:
    local = timezone.localtime(value)
    return catalogue()["formats"]["time"][language].format(
        month=local.month, day=local.day, hour=local.hour, minute=local.minute,
        month_name=MONTH_NAMES[local.month - 1])


def format_date(value: datetime.date, language: str) -> str:
    return catalogue()["formats"]["date"][language].format(
        month=value.month, day=value.day, month_name=MONTH_NAMES[value.month - 1])


def shelter_name(facility, language: str) -> str:
    # Shelter names are proper nouns: Japanese for ja and zh-hans (kanji are read in Chinese
    # too), the official English name for en and ko when the GSI data has one.
    if language in ("en", "ko") and facility.name_en:
        return facility.name_en
    return facility.name


def parse_params(template: AlertTemplate, raw: dict) -> dict:
    """Check the raw parameters (strings, as stored and as posted) and return them as
    stored: choice keys, ISO times and dates, shelter codes. Raises TemplateError."""
    from cityhall.core.models import Facility

    clean = {}
    for param in template.params:
        value = str(raw.get(param.name) or "").strip()
        if not value:
            raise TemplateError(param.name)
        if param.kind == "choice":
            if value not in choice_options(param.choices):
                raise TemplateError(param.name)
        elif param.kind == "time":
            try:
                moment = datetime.datetime.fromisoformat(value)
            except ValueError:
                raise TemplateError(param.name) from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            value = moment.replace(second=0, microsecond=0).isoformat()
        elif param.kind == "date":
            try:
                value = datetime.date.fromisoformat(value).isoformat()
            except ValueError:
                raise TemplateError(param.name) from None
        elif param.kind == "shelter" and not Facility.objects.filter(
                code=value, kind__in=[Facility.Kind.SHELTER,
                                      Facility.Kind.EVACUATION_SITE]).exists():
            raise TemplateError(param.name)
        clean[param.name] = value
    return clean


def cap_mapping(template: AlertTemplate, params: dict) -> dict:
    """The CAP fields of a template, with the overrides of the chosen options (a 震度7
    earthquake is Extreme, a 津波注意報 only Moderate)."""
    mapping = {key: (list(value) if isinstance(value, list) else value)
               for key, value in template.cap.items()}
    for param in template.params:
        if param.kind == "choice":
            option = choice_options(param.choices).get(params.get(param.name), {})
            for key, value in option.get("cap", {}).items():
                if key == "categories":  # a hazard adds its category to the template's
                    mapping[key] = mapping.get(key, []) + [
                        c for c in value if c not in mapping.get(key, [])]
                else:
                    mapping[key] = list(value) if isinstance(value, list) else value
    return mapping


def render(template: AlertTemplate, params: dict, area_codes: list[str]) -> dict:
    """The four texts (event, headline, description, instruction) in every language."""
    from cityhall.core.models import Facility

    result = {}
    for language in LANGUAGES:
        values = {"areas": area_names(area_codes, language)}
        for param in template.params:
            raw = params[param.name]
            if param.kind == "choice":
                values[param.name] = choice_options(param.choices)[raw][language]
            elif param.kind == "time":
                values[param.name] = format_time(datetime.datetime.fromisoformat(raw),
                                                 language)
            elif param.kind == "date":
                values[param.name] = format_date(datetime.date.fromisoformat(raw), language)
            elif param.kind == "shelter":
                values[param.name] = shelter_name(Facility.objects.get(code=raw), language)
        result[language] = {name: template.texts[language][name].format(**values)
                            for name in TEXT_FIELDS}
    return result


def free_text_texts(*, headline: str, description: str, instruction: str) -> dict:
    """Free text is Japanese only: the other languages say, in their own language, that the
    details were not translated (the Japanese text itself is shown beside, marked lang=ja)."""
    free = catalogue()["free_text"]
    result = {"ja": {"event": free["event"]["ja"], "headline": headline,
                     "description": description, "instruction": instruction}}
    for language in LANGUAGES[1:]:
        result[language] = {"event": free["event"][language],
                            "headline": free["untranslated_headline"][language],
                            "description": free["untranslated_description"][language],
                            "instruction": ""}
    return result


def cancel_texts(original_texts: dict) -> dict:
    cancel = catalogue()["cancel"]
    result = {}
    for language in LANGUAGES:
        headline = original_texts.get(language, {}).get("headline") or \
            original_texts["ja"]["headline"]
        result[language] = {
            "event": original_texts.get(language, {}).get("event", ""),
            "headline": cancel["headline"][language].format(headline=headline),
            "description": cancel["description"][language].format(headline=headline),
            "instruction": ""}
    return result
