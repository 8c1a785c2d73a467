"""Runs every regression case in immunisation/cases/*.json (each cites its rule and source)
and checks that every rule in rules.py has at least one case. Pure engine: no database."""

import json
from datetime import date
from pathlib import Path

import pytest

from cityhall.childcare.immunisation import ChildRecord, schedule
from cityhall.childcare.immunisation.rules import RULES

CASES_DIR = Path(__file__).resolve().parent.parent / "immunisation" / "cases"


def load_cases():
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        cases += json.loads(path.read_text(encoding="utf-8"))
    return cases


CASES = load_cases()


def build_child(spec):
    return ChildRecord(
        date_of_birth=date.fromisoformat(spec["dob"]),
        sex=spec.get("sex", ""),
        doses=tuple((v, p, date.fromisoformat(day)) for v, p, day in spec["doses"]),
        appointments=tuple((s, date.fromisoformat(day)) for s, day in spec.get("appointments", ())),
    )


def view(series_plan, key):
    if key == "warnings":
        return sorted(w["code"] for w in series_plan["warnings"])
    if key == "dose_reasons":
        return [dose["reason"] for dose in series_plan["doses"]]
    if key == "projected":
        return [[p["number"], p["date"]] for p in series_plan["projected"]]
    return series_plan[key]


def test_case_ids_are_unique_and_cite_rules_and_sources():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case["source"].strip(), case["id"]
        assert case["rules"] and all(rule in RULES for rule in case["rules"]), case["id"]


def test_every_rule_has_a_case():
    covered = {rule for case in CASES for rule in case["rules"]}
    assert sorted(set(RULES) - covered) == []


def test_every_rule_has_a_source():
    assert [r.id for r in RULES.values() if not r.source.strip()] == []


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case):
    plan = schedule(build_child(case["child"]), today=date.fromisoformat(case["today"]))
    result = plan.to_dict()
    for code in case.get("absent", ()):
        assert code not in result["series"], code
    assert sorted(w["code"] for w in result["warnings"]) == sorted(case.get("plan_warnings", []))
    for code, expected in case["expect"].items():
        assert code in result["series"], code
        got = {key: view(result["series"][code], key) for key in expected}
        assert got == expected, code
