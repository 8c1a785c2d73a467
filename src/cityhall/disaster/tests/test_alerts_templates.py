"""The multilingual templates (取組12, 17): every template renders in every language with
every option, with no placeholder left, the affected areas and the parameters in the text,
and a CAP mapping whose values are all CAP 1.2 enumerations; the evacuation levels follow the
Cabinet Office guideline."""

import datetime
import itertools
import re

import pytest

from cityhall.core.models import Facility
from cityhall.disaster import alerts_texts
from cityhall.disaster.models import Alert

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(alerts_texts.templates())
PLACEHOLDER = re.compile(r"[{}]")
SCRIPTS = {  # a character every text of the language must contain
    "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "zh-hans": re.compile(r"[\u4e00-\u9fff]"),
    "ko": re.compile(r"[\uac00-\ud7af]"),
    "en": re.compile(r"^[\x20-\x7e\u2013\u2019]+$"),
}


def all_parameter_sets(template):
    """Every combination of the template's choices, with a time, a date and a shelter."""
    shelter = Facility.objects.filter(kind=Facility.Kind.SHELTER).exclude(name_en="") \
        .order_by("code").first() or Facility.objects.filter(
            kind=Facility.Kind.SHELTER).order_by("code").first()
    axes = []
    for param in template.params:
        if param.kind == "choice":
            axes.append([(param.name, key) for key in alerts_texts.choice_options(
                param.choices)])
        elif param.kind == "time":
            axes.append([(param.name, "2031-06-02T07:05:00+09:00")])
        elif param.kind == "date":
            axes.append([(param.name, "2031-08-01")])
        elif param.kind == "shelter":
            axes.append([(param.name, shelter.code)])
    for combination in itertools.product(*axes):
        yield dict(combination), shelter


def test_there_are_templates_for_every_kind_the_issue_names():
    assert {"evacuation_level_1", "evacuation_level_2", "evacuation_level_3",
            "evacuation_level_4", "evacuation_level_5", "shelter_opened", "shelter_closed",
            "heavy_rain", "earthquake", "tsunami", "heat_stroke"} <= set(TEMPLATES)


@pytest.mark.parametrize("key", TEMPLATES)
@pytest.mark.parametrize("language", alerts_texts.LANGUAGES)
def test_every_template_renders_in_every_language(minato, key, language):
    template = alerts_texts.get_template(key)
    for params, shelter in all_parameter_sets(template):
        texts = alerts_texts.render(template, alerts_texts.parse_params(template, params),
                                    ["shiba", "takanawa"])[language]
        assert set(texts) == {"event", "headline", "description", "instruction"}
        for name, text in texts.items():
            assert text, (key, language, name)
            assert not PLACEHOLDER.search(text), (key, language, name, text)
            # A shelter without an English name in the GSI data keeps its Japanese name
            # (a proper noun); the rest of the text is in the language.
            bare = text.replace(alerts_texts.shelter_name(shelter, language), "")
            assert SCRIPTS[language].search(bare), (key, language, name, text)
        whole = texts["headline"] + texts["description"]
        assert alerts_texts.area_name("shiba", language) in whole, (key, language)
        for param in template.params:
            if param.kind == "choice":
                label = alerts_texts.choice_options(param.choices)[params[param.name]][language]
                assert label in whole + texts["instruction"], (key, language, label)
            elif param.kind == "time":
                assert alerts_texts.format_time(
                    datetime.datetime.fromisoformat(params["time"]), language) in whole
            elif param.kind == "date":
                assert alerts_texts.format_date(datetime.date(2031, 8, 1), language) in whole
            elif param.kind == "shelter":
                assert alerts_texts.shelter_name(shelter, language) in whole


@pytest.mark.parametrize("key", TEMPLATES)
def test_the_areas_are_named_in_every_language(minato, key):
    template = alerts_texts.get_template(key)
    params, _shelter = next(all_parameter_sets(template))
    texts = alerts_texts.render(template, alerts_texts.parse_params(template, params),
                                ["shiba", "takanawa"])
    for language in alerts_texts.LANGUAGES:
        body = texts[language]["headline"] + texts[language]["description"]
        assert alerts_texts.area_name("takanawa", language) in body, (key, language)


@pytest.mark.parametrize("key", TEMPLATES)
def test_every_cap_mapping_uses_only_cap_values(minato, key):
    template = alerts_texts.get_template(key)
    for params, _shelter in all_parameter_sets(template):
        cap = alerts_texts.cap_mapping(template, params)
        assert cap["categories"] and set(cap["categories"]) <= set(Alert.CATEGORIES)
        assert set(cap["response_types"]) <= set(Alert.RESPONSE_TYPES)
        assert cap["urgency"] in Alert.Urgency.values
        assert cap["severity"] in Alert.Severity.values
        assert cap["certainty"] in Alert.Certainty.values


def test_the_evacuation_levels_follow_the_cabinet_office_guideline(minato):
    ja = {level: alerts_texts.get_template(f"evacuation_level_{level}").texts["ja"]["event"]
          for level in range(1, 6)}
    assert ja == {1: "早期注意情報（警戒レベル1）", 2: "注意報（警戒レベル2）",
                  3: "高齢者等避難（警戒レベル3）", 4: "避難指示（警戒レベル4）",
                  5: "緊急安全確保（警戒レベル5）"}
    cap = {level: alerts_texts.cap_mapping(
        alerts_texts.get_template(f"evacuation_level_{level}"), {"hazard": "flood"})
        for level in range(1, 6)}
    assert (cap[4]["response_types"], cap[4]["urgency"], cap[4]["severity"],
            cap[4]["certainty"]) == (["Evacuate"], "Immediate", "Severe", "Likely")
    assert "Evacuate" in cap[3]["response_types"]
    assert (cap[5]["urgency"], cap[5]["severity"]) == ("Immediate", "Extreme")
    # Each level is at least as severe as the one below it.
    order = ["Unknown", "Minor", "Moderate", "Severe", "Extreme"]
    assert [order.index(cap[level]["severity"]) for level in range(1, 6)] == sorted(
        order.index(cap[level]["severity"]) for level in range(1, 6))


def test_options_override_the_cap_mapping(minato):
    quake = alerts_texts.get_template("earthquake")
    assert alerts_texts.cap_mapping(quake, {"intensity": "7"})["severity"] == "Extreme"
    assert alerts_texts.cap_mapping(quake, {"intensity": "5-"})["severity"] == "Moderate"
    landslide = alerts_texts.cap_mapping(alerts_texts.get_template("evacuation_level_4"),
                                         {"hazard": "landslide"})
    assert landslide["categories"] == ["Safety", "Geo"]


def test_times_and_dates_per_language():
    moment = datetime.datetime(2031, 6, 2, 7, 5, tzinfo=datetime.UTC)  # 16:05 in Tokyo
    assert alerts_texts.format_time(moment, "ja") == "6月2日16時05分"
    assert alerts_texts.format_time(moment, "en") == "16:05 on 2 June"
    assert alerts_texts.format_time(moment, "zh-hans") == "6月2日16点05分"
    assert alerts_texts.format_time(moment, "ko") == "6월 2일 16시 05분"
    assert alerts_texts.format_date(datetime.date(2031, 8, 1), "en") == "1 August"


@pytest.mark.parametrize("params", [
    {}, {"hazard": "flood"}, {"hazard": "", "time": "2031-06-02T14:30"},
    {"hazard": "meteor", "time": "2031-06-02T14:30"},
    {"hazard": "flood", "time": "14:30 tomorrow"}])
def test_bad_parameters_are_refused(params):
    with pytest.raises(alerts_texts.TemplateError):
        alerts_texts.parse_params(alerts_texts.get_template("evacuation_level_4"), params)


def test_a_shelter_must_be_a_real_shelter(minato):
    template = alerts_texts.get_template("shelter_opened")
    with pytest.raises(alerts_texts.TemplateError):
        alerts_texts.parse_params(template, {"shelter": "no-such-place",
                                             "time": "2031-06-02T14:30"})
    library = Facility.objects.exclude(kind__in=[Facility.Kind.SHELTER,
                                                 Facility.Kind.EVACUATION_SITE]).first()
    if library is not None:
        with pytest.raises(alerts_texts.TemplateError):
            alerts_texts.parse_params(template, {"shelter": library.code,
                                                 "time": "2031-06-02T14:30"})


def test_free_text_is_japanese_only_and_says_so():
    texts = alerts_texts.free_text_texts(headline="見出し", description="本文",
                                         instruction="")
    assert texts["ja"]["headline"] == "見出し"
    assert "Japanese only" in texts["en"]["headline"]
    assert "日语" in texts["zh-hans"]["headline"]
    assert "일본어" in texts["ko"]["headline"]
    assert all("見出し" not in texts[language]["headline"] for language in ("en", "zh-hans",
                                                                            "ko"))
