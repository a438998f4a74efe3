"""Who may be dry-needled: the screening questions, their levels and reasons."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ScreeningLevel(StrEnum):
    ABSOLUTE = "absolute"  # no online booking of dry needling; kind message, call the clinic
    AREA_SPECIFIC = "area_specific"  # no needling in that area; flagged for the therapist
    PRECAUTION = "precaution"  # therapist must review before confirming
    RED_FLAG = "red_flag"  # urgent: front desk calls the patient; therapist sees it first


# Most severe first: a red flag outranks area rules because it needs a phone call today.
_SEVERITY = (
    ScreeningLevel.ABSOLUTE,
    ScreeningLevel.RED_FLAG,
    ScreeningLevel.AREA_SPECIFIC,
    ScreeningLevel.PRECAUTION,
)
_MORE = "Please tell us more"


@dataclass(frozen=True)
class Rule:
    key: str
    question: str
    level: ScreeningLevel
    reason: str
    detail_prompt: str
    detail_required: bool


def _rule(key: str, level: ScreeningLevel, question: str, reason: str, prompt: str = _MORE) -> Rule:
    # An area rule is useless without the area, so only those insist on the detail.
    return Rule(key, question, level, reason, prompt, level is ScreeningLevel.AREA_SPECIFIC)


# Short aliases keep each rule to a couple of readable lines in the table below.
_A = ScreeningLevel.ABSOLUTE
_S = ScreeningLevel.AREA_SPECIFIC
_P = ScreeningLevel.PRECAUTION
_R = ScreeningLevel.RED_FLAG

# The clinic's screening table, in the order the questionnaire asks it; clinicians edit here,
# nowhere else. The public page (templates/public/dry_needling.html, #who-should-not) tells
# patients the same rules in plain words: change the two together.
# fmt: off
RULES: tuple[Rule, ...] = (
    _rule("needle_phobia", _A, "Are you very afraid of needles, or would you refuse them?",
          "Dry needling should only go ahead with a patient who accepts needles."),
    _rule("cannot_consent", _A,
          "Is there any reason you could not, or would not, agree to treatment with needles?",
          "Dry needling cannot go ahead without the patient's informed consent."),
    _rule("severe_needling_reaction", _A, "Have you ever had a severe reaction to needling?",
          "A previous severe reaction to needling must be discussed with the clinic first.",
          "What happened?"),
    _rule("lymphoedema", _S, "Do you have lymphedema, or have you had lymph nodes removed?",
          "An area with lymphedema or removed lymph nodes must not be needled (infection risk).",
          "Which area or limb?"),
    _rule("local_infection_or_skin", _S,
          "Do you have an infection or a skin condition where you would like treatment?",
          "Needling through infected or broken skin can spread infection.", "Which area?"),
    _rule("anticoagulants", _P,
          "Do you take blood thinners (anticoagulant or antiplatelet medicine)?",
          "Higher risk of bleeding or bruising at needle sites.", "Which medicine?"),
    _rule("bleeding_disorder", _P, "Do you have a bleeding disorder, or bleed or bruise easily?",
          "Higher risk of bleeding or bruising at needle sites."),
    _rule("pregnancy", _P, "Are you pregnant, or might you be?",
          "The therapist must decide whether and where to needle during pregnancy.",
          "How many weeks?"),
    _rule("implanted_device", _P, "Do you have a pacemaker or another implanted electrical device?",
          "Needling near a pacemaker or its leads needs the therapist's review.", "Which device?"),
    _rule("implants", _P, "Do you have breast or joint implants?",
          "Needles must stay clear of implants, so the therapist plans around them.",
          "Which implant, and where?"),
    _rule("recent_surgery", _P, "Have you had surgery in the last 6 months?",
          "Tissue still healing after surgery needs the therapist's review before needling.",
          "When and what surgery?"),
    _rule("immunocompromised", _P, "Is your immune system weakened by an illness or medicine?",
          "A weakened immune system raises the risk of infection at needle sites."),
    _rule("diabetes", _P, "Do you have diabetes?",
          "Diabetes can slow healing and raise the risk of infection at needle sites."),
    _rule("cancer_recent", _P, "Have you had cancer, or cancer treatment, in the last year?",
          "Areas affected by cancer or its treatment need the therapist's review before needling."),
    _rule("vascular_disease", _P, "Do you have a blood vessel disease or poor circulation?",
          "Needling near diseased blood vessels needs the therapist's review."),
    _rule("epilepsy", _P, "Do you have epilepsy or seizures?",
          "A seizure while needles are in place could cause injury."),
    _rule("metal_allergy", _P, "Are you allergic to metals such as nickel or chromium?",
          "Needles are stainless steel, which contains nickel and chromium.", "Which metal?"),
    _rule("fainting_history", _P, "Have you ever fainted?",
          "A history of fainting makes fainting during needling more likely."),
    _rule("weight_loss", _R, "Have you lost weight recently without trying?",
          "Unexplained weight loss can be a sign of serious illness needing medical assessment."),
    _rule("fever", _R, "Do you have a fever or chills, or feel unwell right now?",
          "Fever or feeling unwell can be a sign of infection needing medical assessment."),
    _rule("night_pain", _R, "Does your pain wake you at night or not ease when you rest?",
          "Night pain or pain not eased by rest can be a sign of serious illness."),
    _rule("bowel_bladder", _R, "Have you noticed new changes in your bowel or bladder control?",
          "New bowel or bladder changes can signal nerve compression needing urgent care."),
    _rule("major_trauma", _R,
          "Have you recently had a major injury, such as a bad fall or a car accident?",
          "Recent major trauma may hide a fracture or other injury needing medical assessment."),
)
# fmt: on
_BY_KEY = {rule.key: rule for rule in RULES}


def rule_for(key: str) -> Rule:
    return _BY_KEY[key]


@dataclass(frozen=True)
class Finding:
    key: str
    level: ScreeningLevel
    reason: str
    detail: str


@dataclass(frozen=True)
class ScreeningResult:
    findings: tuple[Finding, ...]

    @property
    def blocks_online_dry_needling(self) -> bool:
        return bool(self.of_level(ScreeningLevel.ABSOLUTE))

    @property
    def needs_therapist_review(self) -> bool:
        return any(
            f.level in (ScreeningLevel.PRECAUTION, ScreeningLevel.AREA_SPECIFIC)
            for f in self.findings
        )

    @property
    def urgent(self) -> bool:
        return bool(self.of_level(ScreeningLevel.RED_FLAG))

    @property
    def highest_level(self) -> ScreeningLevel | None:
        levels = {f.level for f in self.findings}
        return next((level for level in _SEVERITY if level in levels), None)

    def of_level(self, level: ScreeningLevel) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level is level)

    def to_dict(self) -> dict[str, Any]:
        # The reason is stored, not looked up later, so the record shows what staff saw then.
        return {
            "findings": [
                {"key": f.key, "level": f.level.value, "reason": f.reason, "detail": f.detail}
                for f in self.findings
            ]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScreeningResult":
        return cls(
            tuple(
                Finding(f["key"], ScreeningLevel(f["level"]), f["reason"], f["detail"])
                for f in data["findings"]
            )
        )


def _is_yes(value: object) -> bool:
    # Forms post "yes"; JSON and tests may pass True. Nothing else counts, so a blank is a "no".
    return value is True or (isinstance(value, str) and value.strip().lower() == "yes")


def screen(answers: Mapping[str, object]) -> ScreeningResult:
    findings = []
    for rule in RULES:
        if _is_yes(answers.get(rule.key)):
            detail = answers.get(f"{rule.key}_detail")
            text = "" if detail is None else str(detail).strip()
            findings.append(Finding(rule.key, rule.level, rule.reason, text))
    return ScreeningResult(tuple(findings))


def nothing_to_report() -> dict[str, str]:
    """Every screening question answered "no" with an empty detail box."""
    answers: dict[str, str] = {}
    for rule in RULES:
        answers[rule.key] = "no"
        answers[f"{rule.key}_detail"] = ""
    return answers
