"""Intake answers a typical adult patient gives, as posted by the form and as stored."""

from intake.domain.screening import nothing_to_report


def form_answers(**overrides) -> dict:
    """What the browser posts for a complete, plain intake (every safety answer "no")."""
    answers = {
        "legal_first_name": "Maria",
        "legal_last_name": "Lopez",
        "preferred_name": "",
        "born_on": "1980-05-17",
        "sex": "female",
        "phone": "(919) 555-0142",
        "email": "maria@example.com",
        "address": "12 Oak Ave",
        "city": "Durham",
        "state": "NC",
        "zip_code": "27701",
        "emergency_name": "Luis Lopez",
        "emergency_relationship": "Husband",
        "emergency_phone": "919-555-0177",
        "reason": "Pain in my right calf when I run.",
        "pain_areas": ["calf_shin:right"],
        "duration": "6_weeks_3_months",
        "onset": "overuse",
        "pain_now": "3",
        "pain_worst": "6",
        "pain_least": "1",
        "pain_character": ["aching", "stiffness"],
        "better": "Rest",
        "worse": "Hills",
        "daily_life": "I had to stop running.",
        "goals": "Run a half marathon in the spring.",
        "medications": "",
        "allergies": "",
        "surgeries": "",
        "prior_dry_needling": "no",
        "prior_dry_needling_outcome": "",
        "referral_source": "friend",
        "referring_physician": "",
    }
    answers.update(nothing_to_report())
    answers.update(overrides)
    return answers


def stored_answers(**overrides) -> dict:
    """The same answers as the service stores them (typed values, E.164 phones)."""
    answers = form_answers(**overrides)
    for key in ("pain_now", "pain_worst", "pain_least"):
        answers[key] = int(answers[key])
    answers.setdefault("phone", "+19195550142")
    if answers["phone"] == "(919) 555-0142":
        answers["phone"] = "+19195550142"
    if answers["emergency_phone"] == "919-555-0177":
        answers["emergency_phone"] = "+19195550177"
    return answers
