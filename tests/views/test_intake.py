"""A patient fills in the health questionnaire, fixes mistakes, edits it and sees what it means."""

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Intake
from intake.permissions import Role
from tests.support.answers import form_answers

TODAY = date.today()
PLAIN_REASON = form_answers()["reason"]
PLAIN_GOALS = form_answers()["goals"]
LONG_REASON = ("My calf hurts. " * 400)[:5000]


@pytest.fixture
def patient(make_user):
    return make_user(Role.PATIENT, email="maria@example.com", first_name="Maria")


@pytest.fixture
def signed_in(login_as, patient):
    return login_as(patient)


def stored_intakes(app, patient) -> list[Intake]:
    with app.app_context():
        intakes = db.session.scalars(
            select(Intake).where(Intake.patient_id == patient.id).order_by(Intake.version)
        ).all()
        db.session.expunge_all()
    return list(intakes)


def post_intake(client, **overrides):
    """Post the form; an override of None leaves that answer out, as an untouched question."""
    body = {k: v for k, v in form_answers(**overrides).items() if v is not None}
    return client.post("/intake", data=body)


def opening_tag(page: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert match, f"no element with id {element_id!r}"
    return match.group(0)


def described_by(page: str, element_id: str) -> list[str]:
    match = re.search(r'aria-describedby="([^"]*)"', opening_tag(page, element_id))
    return match.group(1).split() if match else []


def error_text(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.DOTALL)
    return match.group(1) if match else ""


def is_checked(page: str, name: str, value: str) -> bool:
    for tag in re.findall(rf'<input\b[^>]*\bname="{name}"[^>]*>', page):
        if f'value="{value}"' in tag:
            return re.search(r"\schecked\b", tag) is not None
    raise AssertionError(f"no {name}={value} option on the page")


def notice(page: str) -> str:
    """The message about the screening, apart from the footer's clinic phone."""
    match = re.search(r'<div class="notice [^"]*" role="status">(.*?)</div>', page, re.DOTALL)
    assert match, "no screening notice on the page"
    return match.group(1)


# --- who may fill it in --------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client):
    response = client.get("/intake")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/login"
    assert urlsplit(parse_qs(location.query)["next"][0]).path == "/intake"


def test_front_desk_cannot_fill_in_a_patient_questionnaire(client, make_user, login_as):
    login_as(make_user(Role.FRONT_DESK))
    assert client.get("/intake").status_code == 403
    assert client.post("/intake", data=form_answers()).status_code == 403


def test_first_visit_starts_from_what_the_account_knows(signed_in):
    page = signed_in.get("/intake").get_data(as_text=True)
    assert 'value="Maria"' in opening_tag(page, "legal_first_name")
    assert 'value="maria@example.com"' in opening_tag(page, "email")
    assert "You are updating the answers" not in page


# --- a complete, plain intake --------------------------------------------------------


def test_patient_saves_a_plain_intake_and_is_ready_for_the_next_step(app, signed_in, patient):
    response = post_intake(signed_in)
    assert response.status_code == 302
    assert response.headers["Location"] == "/intake/outcome"

    [intake] = stored_intakes(app, patient)
    assert intake.version == 1
    assert intake.superseded_at is None
    assert (intake.legal_first_name, intake.legal_last_name) == ("Maria", "Lopez")
    assert intake.phone == "+19195550142"
    assert intake.answers["phone"] == "+19195550142"
    assert intake.answers["emergency_phone"] == "+19195550177"
    assert intake.born_on == date(1980, 5, 17)
    assert intake.answers["pain_areas"] == ["calf_shin:right"]
    assert (intake.answers["pain_now"], intake.answers["pain_worst"]) == (3, 6)
    assert intake.screening_level is None
    assert intake.screening == {"findings": []}

    page = signed_in.get("/intake/outcome").get_data(as_text=True)
    assert "Thank you. Your answers are saved." in page
    assert "You are ready for the next step" in notice(page)
    assert 'href="/consent"' in page


# --- mistakes are shown next to the answer, and nothing is saved ---------------------

BAD_INPUT = [
    # (what the patient typed, field with the error, part of the message, what stays on the page)
    pytest.param(
        {"legal_last_name": ""}, "legal_last_name", "This is required.", 'value="Maria"',
        id="last-name-missing",
    ),
    pytest.param(
        {"born_on": (TODAY + timedelta(days=1)).isoformat()}, "born_on", "must be in the past",
        f'value="{(TODAY + timedelta(days=1)).isoformat()}"', id="born-tomorrow",
    ),
    pytest.param(
        {"born_on": f"{TODAY.year - 130}-01-15"}, "born_on", "check the year",
        f'value="{TODAY.year - 130}-01-15"', id="born-130-years-ago",
    ),
    pytest.param({"phone": "12"}, "phone", "phone number we can call", 'value="12"', id="phone"),
    pytest.param({"zip_code": "ABCDE"}, "zip_code", "5 digits", 'value="ABCDE"', id="zip"),
    pytest.param(
        {"state": "North Carolina"}, "state", "two-letter abbreviation",
        'value="North Carolina"', id="state-spelled-out",
    ),
    pytest.param(
        {"pain_now": "11"}, "pain_now", "from 0 (no pain) to 10", 'value="11"', id="pain-11",
    ),
    pytest.param(
        {"pain_least": "8"}, "pain_worst", "cannot be lower than your least pain", 'value="8"',
        id="least-above-worst",
    ),
    pytest.param(
        {"pain_areas": ["calf_shin:right", "spleen:left"]}, "pain_areas",
        "is not a valid choice", ("pain_areas", "calf_shin:right"), id="unknown-pain-area",
    ),
    pytest.param({"sex": "robot"}, "sex", "Not a valid choice", 'value="Lopez"', id="unknown-sex"),
    pytest.param(
        {"fever": None}, "fever", "Choose yes or no.", ("night_pain", "no"),
        id="screening-unanswered",
    ),
    pytest.param(
        {"lymphoedema": "yes", "lymphoedema_detail": "  "}, "lymphoedema_detail",
        "Please answer: Which area or limb?", ("lymphoedema", "yes"), id="area-detail-missing",
    ),
    pytest.param(
        {"reason": LONG_REASON}, "reason", "longer than 2000", LONG_REASON,
        id="reason-too-long",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "field", "message", "kept"), BAD_INPUT)
def test_mistake_is_shown_next_to_the_answer_and_nothing_is_saved(
    app, signed_in, patient, typed, field, message, kept
):
    response = post_intake(signed_in, **typed)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert message in error_text(page, field)
    assert f'id="{field}-error"' in page
    assert f"{field}-error" in described_by(page, field)
    assert 'class="error-summary" role="alert"' in page
    if isinstance(kept, tuple):
        assert is_checked(page, *kept)
    else:
        assert kept in page
    assert PLAIN_GOALS in page  # the other answers are kept too
    assert stored_intakes(app, patient) == []


def test_a_screening_yes_with_its_detail_is_accepted(app, signed_in, patient):
    response = post_intake(signed_in, lymphoedema="yes", lymphoedema_detail="Left arm")
    assert response.status_code == 302
    [intake] = stored_intakes(app, patient)
    assert intake.screening_level == "area_specific"
    assert intake.screening["findings"][0]["detail"] == "Left arm"


def test_html_in_an_answer_is_stored_as_typed_and_shown_as_text(app, signed_in, patient):
    typed = "<script>alert(1)</script> & <b>calf</b>"
    assert post_intake(signed_in, reason=typed).status_code == 302

    [intake] = stored_intakes(app, patient)
    assert intake.answers["reason"] == typed

    page = signed_in.get("/intake").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;calf&lt;/b&gt;" in page
    assert "<script>alert" not in page
    assert "<b>calf</b>" not in page


# --- editing keeps every version -----------------------------------------------------


def test_editing_adds_a_version_and_the_form_shows_the_latest_answers(app, signed_in, patient):
    assert post_intake(signed_in).status_code == 302
    changed = post_intake(
        signed_in,
        reason="Now my left knee hurts too.",
        pain_areas=["calf_shin:right", "knee:left"],
        phone="919 555 0199",
    )
    assert changed.status_code == 302

    first, second = stored_intakes(app, patient)
    assert first.version == 1
    assert first.superseded_at is not None
    assert first.answers["reason"] == PLAIN_REASON
    assert second.version == 2
    assert second.superseded_at is None
    assert second.created_at >= first.created_at
    assert second.answers["reason"] == "Now my left knee hurts too."
    assert second.phone == "+19195550199"

    page = signed_in.get("/intake").get_data(as_text=True)
    assert "You are updating the answers you gave on" in page
    assert "Now my left knee hurts too." in page
    assert PLAIN_REASON not in page
    assert is_checked(page, "pain_areas", "knee:left")
    assert is_checked(page, "pain_areas", "calf_shin:right")
    assert not is_checked(page, "pain_areas", "knee:right")
    assert 'value="+19195550199"' in opening_tag(page, "phone")
    assert 'value="1980-05-17"' in opening_tag(page, "born_on")
    assert is_checked(page, "prior_dry_needling", "no")


# --- what the screening means for the patient ----------------------------------------


@pytest.mark.parametrize(
    ("answers", "heading", "level", "may_sign_consent"),
    [
        pytest.param({"needle_phobia": "yes"},
                     "Please call us before booking dry needling", "absolute", False,
                     id="absolute"),
        pytest.param({"night_pain": "yes"}, "We will call you", "red_flag", True, id="red-flag"),
        pytest.param({"anticoagulants": "yes", "anticoagulants_detail": "Apixaban"},
                     "Your therapist will review your answers", "precaution", True,
                     id="precaution"),
        # The most serious answer decides what the patient is told.
        pytest.param({"anticoagulants": "yes", "night_pain": "yes", "needle_phobia": "yes"},
                     "Please call us before booking dry needling", "absolute", False,
                     id="absolute-outranks-all"),
        pytest.param({"anticoagulants": "yes", "night_pain": "yes"},
                     "We will call you", "red_flag", True, id="red-flag-outranks-precaution"),
    ],
)  # fmt: skip
def test_outcome_tells_the_patient_what_their_answers_mean(
    app, signed_in, patient, answers, heading, level, may_sign_consent
):
    assert post_intake(signed_in, **answers).status_code == 302
    [intake] = stored_intakes(app, patient)
    assert intake.screening_level == level

    page = signed_in.get("/intake/outcome").get_data(as_text=True)
    assert f"<h2>{heading}</h2>" in notice(page)
    assert ('href="/consent"' in page) is may_sign_consent
    # Whoever waits for our call is given the number, and when to call 911 instead.
    assert ("(919) 555-0100" in notice(page)) is (level in ("absolute", "red_flag"))
    assert ("call 911" in notice(page)) is (level in ("absolute", "red_flag"))


def test_a_patient_who_must_call_is_not_told_the_consent_waits_for_her_questionnaire(
    signed_in,
):
    """Her answers rule out booking dry needling online: the consent waits for our call, not
    for the questionnaire she has just filled in."""
    assert post_intake(signed_in, needle_phobia="yes").status_code == 302

    page = signed_in.get("/account").get_data(as_text=True)
    assert "Available after the questionnaire" not in page
    assert 'href="/consent"' not in page
    assert "We will go through the consent with you when we talk." in page


def test_outcome_without_an_intake_sends_the_patient_to_the_form(signed_in):
    response = signed_in.get("/intake/outcome")
    assert response.status_code == 302
    assert response.headers["Location"] == "/intake"
