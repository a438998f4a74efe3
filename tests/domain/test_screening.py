"""Screening rules: which answers raise which findings, and what those findings mean."""

import json

import pytest

from intake.domain.screening import (
    RULES,
    Finding,
    ScreeningLevel,
    ScreeningResult,
    rule_for,
    screen,
)

ABSOLUTE = ScreeningLevel.ABSOLUTE
AREA = ScreeningLevel.AREA_SPECIFIC
PRECAUTION = ScreeningLevel.PRECAUTION
RED_FLAG = ScreeningLevel.RED_FLAG

# Written out by hand, not read from RULES, so a changed level or a lost rule fails here.
EXPECTED = [
    ("needle_phobia", ABSOLUTE),
    ("cannot_consent", ABSOLUTE),
    ("severe_needling_reaction", ABSOLUTE),
    ("lymphoedema", AREA),
    ("local_infection_or_skin", AREA),
    ("anticoagulants", PRECAUTION),
    ("bleeding_disorder", PRECAUTION),
    ("pregnancy", PRECAUTION),
    ("implanted_device", PRECAUTION),
    ("implants", PRECAUTION),
    ("recent_surgery", PRECAUTION),
    ("immunocompromised", PRECAUTION),
    ("diabetes", PRECAUTION),
    ("cancer_recent", PRECAUTION),
    ("vascular_disease", PRECAUTION),
    ("epilepsy", PRECAUTION),
    ("metal_allergy", PRECAUTION),
    ("fainting_history", PRECAUTION),
    ("weight_loss", RED_FLAG),
    ("fever", RED_FLAG),
    ("night_pain", RED_FLAG),
    ("bowel_bladder", RED_FLAG),
    ("major_trauma", RED_FLAG),
]
ALL_YES = {key: "yes" for key, _ in EXPECTED}


def test_rules_are_exactly_the_expected_table_in_order():
    assert [rule.key for rule in RULES] == [key for key, _ in EXPECTED]


@pytest.mark.parametrize(("key", "level"), EXPECTED)
def test_yes_alone_gives_one_finding_with_reason_and_detail(key, level):
    result = screen({key: "yes", f"{key}_detail": "  left arm  "})
    assert result.findings == (Finding(key, level, rule_for(key).reason, "left arm"),)


@pytest.mark.parametrize(("key", "level"), EXPECTED)
def test_yes_without_detail_gives_empty_detail(key, level):
    assert screen({key: "yes"}).findings == (Finding(key, level, rule_for(key).reason, ""),)


@pytest.mark.parametrize("key", [key for key, _ in EXPECTED])
def test_no_or_missing_gives_nothing(key):
    assert screen({key: "no", f"{key}_detail": "ignored"}).findings == ()
    assert screen({f"{key}_detail": "ignored"}).findings == ()


@pytest.mark.parametrize(
    ("answers", "blocks", "review", "urgent", "highest"),
    [
        ({}, False, False, False, None),
        ({"diabetes": "yes"}, False, True, False, PRECAUTION),
        ({"lymphoedema": "yes"}, False, True, False, AREA),
        ({"needle_phobia": "yes", "diabetes": "yes"}, True, True, False, ABSOLUTE),
        ({"fever": "yes", "diabetes": "yes"}, False, True, True, RED_FLAG),
        ({"fever": "yes", "lymphoedema": "yes"}, False, True, True, RED_FLAG),
        ({"cannot_consent": "yes", "night_pain": "yes"}, True, False, True, ABSOLUTE),
        (ALL_YES, True, True, True, ABSOLUTE),
    ],
    ids=[
        "none",
        "precaution",
        "area",
        "absolute+precaution",
        "red_flag+precaution",
        "red_flag+area",
        "absolute+red_flag",
        "all",
    ],
)
def test_summary(answers, blocks, review, urgent, highest):
    result = screen(answers)
    assert result.blocks_online_dry_needling is blocks
    assert result.needs_therapist_review is review
    assert result.urgent is urgent
    assert result.highest_level is highest


def test_all_yes_keeps_rule_order_and_groups_by_level():
    result = screen(ALL_YES)
    assert [f.key for f in result.findings] == [key for key, _ in EXPECTED]
    for level in ScreeningLevel:
        assert [f.key for f in result.of_level(level)] == [k for k, lv in EXPECTED if lv is level]


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("yes", True),
        ("YES ", True),
        (" Yes", True),
        (True, True),
        ("no", False),
        (False, False),
        (None, False),
        ("", False),
        ("y", False),
        (1, False),
    ],
)
def test_what_counts_as_yes(value, found):
    assert bool(screen({"epilepsy": value}).findings) is found


def test_unknown_keys_are_ignored():
    assert screen({"favourite_colour": "yes", "diabetes": "no"}).findings == ()
    assert [f.key for f in screen({"favourite_colour": "yes", "fever": "yes"}).findings] == [
        "fever"
    ]


def test_rule_for_unknown_key_raises():
    with pytest.raises(KeyError):
        rule_for("favourite_colour")


@pytest.mark.parametrize(
    "answers",
    [{}, {"lymphoedema": "yes", "lymphoedema_detail": "right arm"}, ALL_YES],
    ids=["none", "one", "all"],
)
def test_dict_round_trip(answers):
    result = screen(answers)
    data = result.to_dict()
    assert ScreeningResult.from_dict(data) == result
    stored = json.loads(json.dumps(data))
    assert stored == data
    assert ScreeningResult.from_dict(stored) == result
    assert ScreeningResult.from_dict(stored).to_dict() == data


def test_to_dict_holds_plain_values():
    data = screen({"pregnancy": "yes", "pregnancy_detail": "12"}).to_dict()
    assert data == {
        "findings": [
            {
                "key": "pregnancy",
                "level": "precaution",
                "reason": rule_for("pregnancy").reason,
                "detail": "12",
            }
        ]
    }
    assert type(data["findings"][0]["level"]) is str


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.key)
def test_rule_texts(rule):
    assert rule.question.endswith("?")
    assert rule.reason.strip()
    assert rule.detail_prompt.strip()
    assert rule.detail_required is (rule.level is ScreeningLevel.AREA_SPECIFIC)
