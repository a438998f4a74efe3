"""The intake questionnaire: its sections, questions, labels and choices, and which are clinical."""

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from .screening import RULES


class Choice(NamedTuple):
    value: str  # what is stored
    label: str  # what the patient ticks and staff read


class Kind(StrEnum):
    """How an answer is typed, so it can be read back in words."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    PHONE = "phone"
    ONE_OF = "one_of"  # one of the choices
    ANY_OF = "any_of"  # any number of the choices


# --- choice tables ----------------------------------------------------------------------------

SEXES = (
    Choice("female", "Female"),
    Choice("male", "Male"),
    Choice("intersex", "Intersex"),
    Choice("not_said", "Prefer not to say"),
)
# The body as the clinic divides it; treatment notes name regions from the same table.
BODY_REGIONS = (
    Choice("head_jaw", "Head or jaw"),
    Choice("neck", "Neck"),
    Choice("shoulder", "Shoulder"),
    Choice("upper_arm", "Upper arm"),
    Choice("elbow_forearm", "Elbow or forearm"),
    Choice("wrist_hand", "Wrist or hand"),
    Choice("chest_wall", "Chest wall"),
    Choice("upper_back", "Upper back"),
    Choice("lower_back", "Lower back"),
    Choice("hip_buttock", "Hip or buttock"),
    Choice("thigh", "Thigh"),
    Choice("knee", "Knee"),
    Choice("calf_shin", "Calf or shin"),
    Choice("ankle_foot", "Ankle or foot"),
)
SIDES = (Choice("left", "Left"), Choice("right", "Right"))
# Every region on each side, stored as "region:side" ("calf_shin:right").
PAIN_AREAS = tuple(
    Choice(f"{region.value}:{side.value}", f"{region.label}, {side.label.lower()}")
    for region in BODY_REGIONS
    for side in SIDES
)
DURATIONS = (
    Choice("under_6_weeks", "Less than 6 weeks"),
    Choice("6_weeks_3_months", "6 weeks to 3 months"),
    Choice("3_12_months", "3 to 12 months"),
    Choice("over_1_year", "More than a year"),
)
ONSETS = (
    Choice("injury", "After an injury or accident"),
    Choice("gradual", "Came on gradually"),
    Choice("after_surgery", "After surgery"),
    Choice("overuse", "After a change in activity or training"),
    Choice("unknown", "I don't know"),
)
PAIN_CHARACTERS = (
    Choice("aching", "Aching"),
    Choice("sharp", "Sharp"),
    Choice("burning", "Burning"),
    Choice("throbbing", "Throbbing"),
    Choice("tingling", "Tingling or numbness"),
    Choice("stiffness", "Stiffness"),
    Choice("cramping", "Cramping"),
)
REFERRALS = (
    Choice("physician", "My doctor"),
    Choice("friend", "A friend or family member"),
    Choice("search", "Web search"),
    Choice("social", "Social media"),
    Choice("returning", "I have been here before"),
    Choice("other", "Other"),
)
YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))


# --- sections, as staff read them on the record ---------------------------------------------

ABOUT = "About the patient"
EMERGENCY = "Emergency contact"
PAIN = "Their pain"
HEALTH = "Their health"
FOUND_US = "How they found us"
SAFETY = "Safety questions"
SECTIONS = (ABOUT, EMERGENCY, PAIN, HEALTH, FOUND_US, SAFETY)


# --- questions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    name: str  # the form field and the key of the stored answer
    label: str  # as the form asks it, under its section's heading
    section: str
    choices: tuple[Choice, ...] = ()
    # Health data: it stays out of emails, logs and exports.
    clinical: bool = False
    kind: Kind = Kind.TEXT
    # The label read on its own, away from the form's heading ("Phone" is whose phone?).
    record_label: str = ""

    def __post_init__(self):
        if not self.record_label:
            object.__setattr__(self, "record_label", self.label)

    def choice_label(self, value) -> str:
        """The label of a stored value; any other value (typed, or no longer offered) as text."""
        return next((c.label for c in self.choices if c.value == value), str(value))


def _one_of(name, label, section, choices, **more) -> Question:
    return Question(name, label, section, choices, kind=Kind.ONE_OF, **more)


def _any_of(name, label, section, choices, **more) -> Question:
    return Question(name, label, section, choices, kind=Kind.ANY_OF, **more)


def _clinical(name, label, section=PAIN, kind=Kind.TEXT) -> Question:
    return Question(name, label, section, clinical=True, kind=kind)


def _safety_questions() -> tuple[Question, ...]:
    # The clinicians' screening table decides these: each rule asks yes or no, then for more.
    found = []
    for rule in RULES:
        found.append(_one_of(rule.key, rule.question, SAFETY, YES_NO, clinical=True))
        found.append(_clinical(f"{rule.key}_detail", rule.detail_prompt, SAFETY))
    return tuple(found)


# In the form's order, which the record follows: the safety questions last. (The page itself,
# templates/intake/form.html, asks them before "dry needling before" and "how you found us".)
# fmt: off
QUESTIONS: tuple[Question, ...] = (
    Question("legal_first_name", "Legal first name", ABOUT),
    Question("legal_last_name", "Legal last name", ABOUT),
    Question("preferred_name", "Preferred name (optional)", ABOUT),
    Question("born_on", "Date of birth", ABOUT, kind=Kind.DATE),
    _one_of("sex", "Sex", ABOUT, SEXES),
    Question("phone", "Mobile or main phone", ABOUT, kind=Kind.PHONE),
    Question("email", "Email", ABOUT),
    Question("address", "Street address", ABOUT),
    Question("city", "City", ABOUT),
    Question("state", "State", ABOUT),
    Question("zip_code", "ZIP code", ABOUT),
    Question("emergency_name", "Name", EMERGENCY, record_label="Emergency contact's name"),
    Question("emergency_relationship", "Relationship to you", EMERGENCY,
             record_label="Emergency contact's relationship to the patient"),
    Question("emergency_phone", "Phone", EMERGENCY, kind=Kind.PHONE,
             record_label="Emergency contact's phone"),
    _clinical("reason", "What brings you in?"),
    _any_of("pain_areas", "Where is the pain?", PAIN, PAIN_AREAS, clinical=True),
    _one_of("duration", "How long have you had it?", PAIN, DURATIONS, clinical=True),
    _one_of("onset", "How did it start?", PAIN, ONSETS, clinical=True),
    _clinical("pain_now", "Pain right now (0-10)", kind=Kind.NUMBER),
    _clinical("pain_worst", "Worst pain in the last 24 hours (0-10)", kind=Kind.NUMBER),
    _clinical("pain_least", "Least pain in the last 24 hours (0-10)", kind=Kind.NUMBER),
    _any_of("pain_character", "What does it feel like? (optional)", PAIN, PAIN_CHARACTERS,
            clinical=True),
    _clinical("better", "What makes it better?"),
    _clinical("worse", "What makes it worse?"),
    _clinical("daily_life", "How does it affect your daily life?"),
    _clinical("goals", "What would you like to get back to?"),
    _clinical("medications", "Medicines you take (optional)", HEALTH),
    _clinical("allergies", "Allergies (optional)", HEALTH),
    _clinical("surgeries", "Past surgeries (optional)", HEALTH),
    _one_of("prior_dry_needling", "Have you had dry needling before?", HEALTH, YES_NO,
            clinical=True),
    _clinical("prior_dry_needling_outcome", "If so, how did it go?", HEALTH),
    _one_of("referral_source", "How did you hear about us?", FOUND_US, REFERRALS),
    # Names a doctor the patient sees, so it is kept with the health data.
    _clinical("referring_physician", "Referring doctor (optional)", FOUND_US),
    *_safety_questions(),
)
# fmt: on
_BY_NAME = {question.name: question for question in QUESTIONS}


def questions() -> tuple[Question, ...]:
    """Every question, in the form's order."""
    return QUESTIONS


def question(name: str) -> Question:
    """The question stored under this name; KeyError for a name the questionnaire never had."""
    return _BY_NAME[name]


def is_clinical(name: str) -> bool:
    """Whether an answer is health data. An answer to a question since removed counts as
    clinical: nobody can say what it held."""
    known = _BY_NAME.get(name)
    return known is None or known.clinical
