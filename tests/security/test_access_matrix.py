"""Every route x every kind of visitor, against a written policy: a new route without a rule,
or a route answering someone it must not, fails here with the route and the role named."""

import re
from dataclasses import dataclass, field
from enum import Enum

import pytest
from flask import url_for

from intake.domain.consent import ACKNOWLEDGEMENTS
from tests.conftest import PASSWORD
from tests.security.conftest import snapshot
from tests.support.answers import form_answers

ROLES = ("anonymous", "patient_a", "patient_b", "front_desk", "therapist_x", "therapist_y", "admin")
START_PAGES = {"front_desk": "/staff/requests", "admin": "/admin"}
START_PAGES |= {"therapist_x": "/schedule", "therapist_y": "/schedule"}
MISSING_ID, MISSING_NAME = "999999", "no-such-thing"


class Access(Enum):
    PUBLIC = "anyone, signed in or not"
    SIGNED_IN = "patients; staff are sent to their own start page"
    ANYONE_SIGNED_IN = "every signed-in user, each for their own account"
    PATIENT = "patients only, each their own; staff, admins included, 403"
    CONSENT_COPY = "the patient, or staff who may see that patient"
    FORMS_LINK = "the link's patient; sent to sign in first; anyone else signed in 404"
    DESK = "front desk and admins"
    STAFF = "front desk, admins, and therapists who work at that location"
    RECORDS = "front desk, admins, and the patient's own therapist"
    THERAPIST = "therapists, each their own; an admin sees that they have no schedule"
    ADMIN = "admins only"


@dataclass(frozen=True)
class Rule:
    access: Access
    # URL values (path and query) and the form a permitted user would post; "{w.name}" is read
    # from the world, so a refusal is the guard at work, never a validation error.
    args: dict = field(default_factory=dict)
    form: dict = field(default_factory=dict)
    owned: bool = False  # the URL names patient A's or therapist X's own record
    ok: int | None = None  # the permitted answer: 200 for GET, 302 for POST unless said
    writes: bool = True  # a permitted POST stores something or sends an email
    missing: int = 404  # what a made-up id, slug or token gets
    mail: bool = False  # sends an email at once: a real SMTP server takes it


# fmt: off
VISIT_A = {"appointment_id": "{w.visit_a}"}
DONE_A = {"appointment_id": "{w.done_a}"}
CHECK_IN_LINK = {"token": "{w.check_in_token_a}"}
FORMS_LINK = {"token": "{w.forms_token_a}"}
CHECKED_IN = {"soreness": "3", "bruising": "no", "dizziness": "no", "short_of_breath": "no",
              "chest_pain": "no", "dry_cough": "no"}
CONSENT_A = {"consent_id": "{w.consent_a}"}
CALLBACK_A = {"callback_id": "{w.callback_a}"}
CLEARED_A = {"callback_id": "{w.cleared_a}"}
BOOK_FOR_A = {"provider": "{w.provider_x}", "location": "{w.place}", "type": "{w.kind}",
              "start": "{w.free_1700}"}
PATIENT_A = {"patient_id": "{w.patient_a}"}
NEW_PATIENT = dict(first_name="Carl", last_name="Caller", born_on="05/06/1971",
                   phone="919-555-0142", email="")
DRAFT = {"version_id": "{w.draft}"}
MEMBER = {"user_id": "{w.member}"}
SLOT = {"slug": "xavier", "location": "{w.place}", "type": "{w.kind}", "start": "{w.free_1400}"}
SIGNING = {"version_id": "{w.consent_v1}", "typed_name": "Maria Lopez", "signature": ""}
SIGNING |= {f"ack_{a.key}": "y" for a in ACKNOWLEDGEMENTS}
LOCATION = dict(name="Raleigh North", slug="raleigh-north", address="1 Elm St", city="Raleigh",
                state="NC", zip_code="27601", phone="919-555-0111", timezone="America/New_York")
PROFILE = dict(display_name="Sam Newcomer", credentials="PT, DPT", training_hours="60", bio="",
               accepting_new_patients="y", location_ids=["{w.place}"])
KIND = dict(name="First visit", slug="first-visit", duration_minutes="45",
            buffer_after_minutes="15", involves_dry_needling="y", active="y")
CONSENT_TEXT = {"label": "3", "body_markdown": "# Consent\n\nText."}
INVITE = dict(first_name="Dee", last_name="Delta", email="dee@example.org", role="front_desk")

DONE_A = {"appointment_id": "{w.done_a}"}
WISH = {"provider": "{w.provider_x}", "location": "{w.place}", "type": "{w.kind}",
        "first_on": "{w.wish_from}", "last_on": "{w.wish_until}", "times_of_day": ["morning"]}
OFFER_A = {"token": "{w.offer_token_a}"}
NOTE = dict(revision="1", regions=["neck:left", "shoulder:left"], needle_count="6",
            tolerance="good", twitch_response="yes", adverse_events=["none"], other_event="",
            aftercare="Heat and gentle movement for two days.")

A, P = Access, Rule
POLICY: dict[tuple[str, str], Rule] = {
    # Anyone
    ("static", "GET"): P(A.PUBLIC, {"filename": "site.css"}),
    ("public.home", "GET"): P(A.PUBLIC),
    ("public.dry_needling", "GET"): P(A.PUBLIC),
    ("health.healthz", "GET"): P(A.PUBLIC),
    ("icons.favicon", "GET"): P(A.PUBLIC),
    ("providers.directory", "GET"): P(A.PUBLIC),
    ("providers.profile", "GET"): P(A.PUBLIC, {"slug": "xavier"}),
    ("booking.choose_provider", "GET"): P(A.PUBLIC),
    ("booking.choose_slot", "GET"): P(A.PUBLIC, {"slug": "xavier"}),
    # The token is the key: whoever holds it reads the feed, signed in or not.
    ("feed.calendar", "GET"): P(A.PUBLIC, {"token": "{w.feed_token_x}"}),
    ("account.login", "GET"): P(A.PUBLIC),
    ("account.login", "POST"): P(A.PUBLIC, form={"email": "{w.patient_a_email}",
                                                 "password": PASSWORD}),
    ("account.logout", "POST"): P(A.PUBLIC, writes=False),
    # "Stay signed in": the session's idle clock, in its cookie; nothing stored.
    ("account.still_here", "POST"): P(A.ANYONE_SIGNED_IN, ok=204, writes=False),
    ("account.register", "GET"): P(A.PUBLIC),
    ("account.register", "POST"): P(A.PUBLIC, form=dict(
        first_name="Cy", last_name="Gamma", email="cy@example.com", password="a long new secret")),
    ("account.reset_password", "GET"): P(A.PUBLIC),
    ("account.reset_password", "POST"): P(A.PUBLIC, form={"email": "{w.patient_a_email}"},
                                          ok=200, mail=True),
    ("account.choose_password", "GET"): P(A.PUBLIC, {"token": "{w.reset_token_a}"}, missing=400),
    ("account.choose_password", "POST"): P(A.PUBLIC, {"token": "{w.reset_token_a}"},
                                           {"password": "a brand new secret"}, missing=400),
    ("check_in.by_link", "GET"): P(A.PUBLIC, CHECK_IN_LINK),
    ("check_in.by_link", "POST"): P(A.PUBLIC, CHECK_IN_LINK, CHECKED_IN, ok=303),
    # A's visit has every form: the link shows them done; a made-up token is a bad link (400).
    ("forms.open_link", "GET"): P(A.FORMS_LINK, FORMS_LINK, missing=400),
    # A has a password: choosing a first one sends everyone back to the link.
    ("forms.choose_password", "GET"): P(A.PUBLIC, FORMS_LINK, ok=302, missing=400),
    ("forms.choose_password", "POST"): P(A.PUBLIC, FORMS_LINK, {"password": "x"}, ok=302,
                                         writes=False, missing=400),
    # Signed in
    ("account.home", "GET"): P(A.SIGNED_IN),
    ("account.change_password", "GET"): P(A.ANYONE_SIGNED_IN),
    ("account.change_password", "POST"): P(A.ANYONE_SIGNED_IN, form={
        "current_password": PASSWORD, "password": "a brand new secret",
        "confirm": "a brand new secret"}),
    # A patient's own forms and records
    ("intake.edit", "GET"): P(A.PATIENT),
    ("intake.edit", "POST"): P(A.PATIENT, form=form_answers()),
    ("intake.outcome", "GET"): P(A.PATIENT),
    ("consent.sign", "GET"): P(A.PATIENT),
    # The world's patients hold a valid consent: signing again shows it, and stores nothing.
    ("consent.sign", "POST"): P(A.PATIENT, form=SIGNING, writes=False),
    ("consent.withdraw", "POST"): P(A.PATIENT, CONSENT_A, {"reason": ""}, owned=True),
    ("booking.confirm", "GET"): P(A.PATIENT, SLOT),
    ("booking.confirm", "POST"): P(A.PATIENT, SLOT, SLOT | {"note": ""}),
    ("appointments.index", "GET"): P(A.PATIENT),
    ("check_in.own", "GET"): P(A.PATIENT, DONE_A, owned=True),
    ("check_in.own", "POST"): P(A.PATIENT, DONE_A, CHECKED_IN, owned=True, ok=303),
    ("appointments.show", "GET"): P(A.PATIENT, VISIT_A, owned=True),
    ("appointments.cancel", "POST"): P(A.PATIENT, VISIT_A, {"reason": "Better", "revision": "1"},
                                       owned=True),
    ("appointments.move", "POST"): P(A.PATIENT, VISIT_A, {"start": "{w.free_1500}",
                                                          "revision": "1"}, owned=True),
    ("waitlist.join", "GET"): P(A.PATIENT),
    ("waitlist.join", "POST"): P(A.PATIENT, form=WISH),
    ("waitlist.leave", "POST"): P(A.PATIENT, {"entry_id": "{w.entry_a}"}, owned=True),
    ("waitlist.offer", "GET"): P(A.PATIENT, OFFER_A, owned=True),
    ("waitlist.offer", "POST"): P(A.PATIENT, OFFER_A, owned=True),
    ("consent.show", "GET"): P(A.CONSENT_COPY, CONSENT_A),
    ("consent.signature", "GET"): P(A.CONSENT_COPY, CONSENT_A),
    # Front desk (and admins)
    ("staff.home", "GET"): P(A.DESK, ok=302),  # /staff goes on to the requests
    ("staff.queue", "GET"): P(A.DESK),
    ("staff.export_csv", "GET"): P(A.DESK, {"from": "{w.export_from}",
                                            "to": "{w.export_until}"}),
    ("staff.request", "GET"): P(A.DESK, VISIT_A),
    ("staff.confirm", "POST"): P(A.DESK, VISIT_A, {"revision": "1"}),
    ("staff.decline", "POST"): P(A.DESK, VISIT_A, {"revision": "1", "reason": "Full"}),
    ("staff.cancel", "POST"): P(A.DESK, VISIT_A, {"revision": "1", "reason": "Ill"}),
    ("staff.note", "POST"): P(A.DESK, VISIT_A, {"text": "Called back."}),
    ("staff.move_page", "GET"): P(A.DESK, VISIT_A),
    ("staff.move", "POST"): P(A.DESK, VISIT_A, {"revision": "1", "provider": "{w.provider_x}",
                                                "location": "{w.place}",
                                                "start": "{w.free_1600}"}),
    ("staff.log_call", "POST"): P(A.DESK, VISIT_A, {"outcome": "no_answer", "advice": ""}),
    ("forms_pending.index", "GET"): P(A.DESK, {"date": "{w.visit_a_day}"}),
    # A's forms are complete: the desk is told there is nothing to send, and nothing is.
    ("forms_pending.resend", "POST"): P(A.DESK, VISIT_A, writes=False),
    ("forms_pending.on_paper", "POST"): P(A.DESK, VISIT_A),
    # Both therapists work at the place: they see its day, read-only.
    ("calendar.day", "GET"): P(A.STAFF, {"location": "{w.place}", "date": "{w.visit_a_day}"}),
    ("callbacks.index", "GET"): P(A.DESK),
    ("callbacks.show", "GET"): P(A.DESK, CALLBACK_A),
    ("callbacks.log_call", "POST"): P(A.DESK, CALLBACK_A, {"outcome": "no_answer"}),
    ("callbacks.close", "POST"): P(A.DESK, CALLBACK_A, {"outcome": "could_not_reach"}),
    ("callbacks.book_page", "GET"): P(A.DESK, CLEARED_A),
    ("callbacks.book", "POST"): P(A.DESK, CLEARED_A, BOOK_FOR_A),
    ("records.patient", "GET"): P(A.RECORDS, {"patient_id": "{w.patient_a}"}),
    # Therapists read the waitlist of their own provider; only the desk changes it.
    ("staff_waitlist.index", "GET"): P(A.STAFF),
    ("staff_waitlist.new", "GET"): P(A.DESK, {"patient": "{w.patient_a}"}),
    ("staff_waitlist.new", "POST"): P(A.DESK, {"patient": "{w.patient_a}"}, WISH),
    ("staff_waitlist.remove", "POST"): P(A.DESK, {"entry_id": "{w.entry_a}"}),
    ("patients.index", "GET"): P(A.DESK, {"q": "Lopez"}),
    ("patients.new", "GET"): P(A.DESK),
    ("patients.new", "POST"): P(A.DESK, form=NEW_PATIENT),
    ("patients.book", "GET"): P(A.DESK, PATIENT_A),
    ("patients.book_post", "POST"): P(A.DESK, PATIENT_A, BOOK_FOR_A),
    # Therapists, each their own
    ("schedule.view", "GET"): P(A.THERAPIST),
    # A dry-needling visit is completed by signing its note; a no-show needs none.
    ("schedule.mark", "POST"): P(A.THERAPIST, {"appointment_id": "{w.past_a}"},
                                 {"revision": "1", "outcome": "no_show"}, owned=True),
    ("schedule.note", "GET"): P(A.THERAPIST, DONE_A, owned=True),
    ("schedule.note", "POST"): P(A.THERAPIST, {"appointment_id": "{w.past_a}"}, NOTE,
                                 owned=True),
    ("schedule.add_addendum", "POST"): P(A.THERAPIST, DONE_A, {"text": "Also: calf."},
                                         owned=True),
    ("schedule.review", "GET"): P(A.THERAPIST, VISIT_A, owned=True),
    ("schedule.review", "POST"): P(A.THERAPIST, VISIT_A, {"revision": "1", "outcome": "cleared",
                                                          "note": "Fine."}, owned=True),
    ("schedule.hours", "GET"): P(A.THERAPIST),
    ("schedule.add_hours", "POST"): P(A.THERAPIST, form={"location": "{w.place}", "weekday": "6",
                                                         "starts": "09:00", "ends": "12:00"}),
    ("schedule.remove_hours", "POST"): P(A.THERAPIST, {"block_id": "{w.hours_x}"}, owned=True),
    ("schedule.time_off", "GET"): P(A.THERAPIST),
    ("schedule.add_time_off", "POST"): P(A.THERAPIST, form={"starts": "{w.time_off_from}",
                                                            "ends": "{w.time_off_until}"}),
    ("schedule.delete_time_off", "POST"): P(A.THERAPIST, {"time_off_id": "{w.time_off_x}"},
                                            owned=True),
    ("schedule.feed_token", "GET"): P(A.THERAPIST),
    ("schedule.regenerate_feed_token", "POST"): P(A.THERAPIST, ok=200),
    # Admins only
    ("admin.index", "GET"): P(A.ADMIN),
    ("admin.audit", "GET"): P(A.ADMIN),
    ("admin.audit_csv", "GET"): P(A.ADMIN),
    ("admin.safety_register", "GET"): P(A.ADMIN),
    ("admin.safety_csv", "GET"): P(A.ADMIN),
    ("admin.visit_note", "GET"): P(A.ADMIN, DONE_A),
    ("admin.add_addendum", "POST"): P(A.ADMIN, DONE_A, {"text": "Reviewed with the therapist."}),
    ("admin.consents", "GET"): P(A.ADMIN),
    ("admin.new_consent", "GET"): P(A.ADMIN),
    ("admin.new_consent", "POST"): P(A.ADMIN, form=CONSENT_TEXT),
    ("admin.show_consent", "GET"): P(A.ADMIN, DRAFT),
    ("admin.edit_consent", "GET"): P(A.ADMIN, DRAFT),
    ("admin.edit_consent", "POST"): P(A.ADMIN, DRAFT, CONSENT_TEXT),
    ("admin.publish_consent", "POST"): P(A.ADMIN, DRAFT),
    ("admin.delete_consent", "POST"): P(A.ADMIN, DRAFT),
    ("admin.locations", "GET"): P(A.ADMIN),
    ("admin.new_location", "GET"): P(A.ADMIN),
    ("admin.new_location", "POST"): P(A.ADMIN, form=LOCATION),
    ("admin.edit_location", "GET"): P(A.ADMIN, {"location_id": "{w.place}"}),
    ("admin.edit_location", "POST"): P(A.ADMIN, {"location_id": "{w.place}"}, LOCATION),
    ("admin.providers", "GET"): P(A.ADMIN),
    ("admin.new_provider", "GET"): P(A.ADMIN),
    ("admin.new_provider", "POST"): P(A.ADMIN, form=PROFILE | {"user_id": "{w.member}",
                                                               "slug": "sam"}),
    ("admin.edit_provider", "GET"): P(A.ADMIN, {"provider_id": "{w.provider_x}"}),
    ("admin.edit_provider", "POST"): P(A.ADMIN, {"provider_id": "{w.provider_x}"},
                                       PROFILE | {"user_id": "{w.therapist_x}", "slug": "xavier"}),
    ("admin.record_attestation", "POST"): P(A.ADMIN, {"provider_id": "{w.provider_x}"},
                                            {"checked": "y"}),
    # An admin keeps any therapist's hours and time off on the therapist's own pages.
    ("admin.provider_hours", "GET"): P(A.ADMIN, {"provider_id": "{w.provider_x}"}),
    ("admin.provider_add_hours", "POST"): P(A.ADMIN, {"provider_id": "{w.provider_x}"},
                                            {"location": "{w.place}", "weekday": "6",
                                             "starts": "09:00", "ends": "12:00"}),
    ("admin.provider_remove_hours", "POST"): P(A.ADMIN, {"provider_id": "{w.provider_x}",
                                                         "block_id": "{w.hours_x}"}),
    ("admin.provider_time_off", "GET"): P(A.ADMIN, {"provider_id": "{w.provider_x}"}),
    ("admin.provider_add_time_off", "POST"): P(A.ADMIN, {"provider_id": "{w.provider_x}"},
                                               {"starts": "{w.time_off_from}",
                                                "ends": "{w.time_off_until}"}),
    ("admin.provider_delete_time_off", "POST"): P(A.ADMIN, {"provider_id": "{w.provider_x}",
                                                            "time_off_id": "{w.time_off_x}"}),
    ("admin.types", "GET"): P(A.ADMIN),
    ("admin.new_type", "GET"): P(A.ADMIN),
    ("admin.new_type", "POST"): P(A.ADMIN, form=KIND),
    ("admin.edit_type", "GET"): P(A.ADMIN, {"type_id": "{w.kind}"}),
    ("admin.edit_type", "POST"): P(A.ADMIN, {"type_id": "{w.kind}"}, KIND),
    ("admin.users", "GET"): P(A.ADMIN),
    ("admin.invite_user", "GET"): P(A.ADMIN),
    ("admin.invite_user", "POST"): P(A.ADMIN, form=INVITE, mail=True),
    ("admin.show_user", "GET"): P(A.ADMIN, MEMBER),
    ("admin.change_role", "POST"): P(A.ADMIN, MEMBER, {"role": "front_desk"}),
    ("admin.resend_invitation", "POST"): P(A.ADMIN, MEMBER, mail=True),
    ("admin.deactivate_user", "POST"): P(A.ADMIN, MEMBER),
    # The member is active already: the answer says so, and nothing needs storing.
    ("admin.reactivate_user", "POST"): P(A.ADMIN, MEMBER, writes=False),
}
# fmt: on

# --- what each role should get ------------------------------------------------------------

OK, SIGN_IN, START_PAGE, NO_SCHEDULE = "ok", "sign in", "start page", "no schedule"


def expected(rule: Rule, role: str) -> str | int:
    """The answer the policy gives this role: an outcome name, or 403 / 404."""
    patient, therapist = role.startswith("patient"), role.startswith("therapist")
    other = role in ("patient_b", "therapist_y")  # the one who does not own A's or X's record
    if rule.access is A.PUBLIC:
        return OK
    if role == "anonymous":
        return SIGN_IN
    match rule.access:
        case A.SIGNED_IN:
            return OK if patient else START_PAGE
        case A.ANYONE_SIGNED_IN:
            return OK
        case A.PATIENT:
            return 403 if not patient else 404 if rule.owned and other else OK
        case A.CONSENT_COPY:
            return 404 if other else OK
        case A.FORMS_LINK:
            return OK if role == "patient_a" else 404
        case A.DESK:
            return OK if role in ("front_desk", "admin") else 403
        case A.STAFF:
            return 403 if patient else OK
        case A.RECORDS:
            return 403 if patient else 404 if other else OK
        case A.THERAPIST:
            if role == "admin":
                return NO_SCHEDULE
            return 403 if not therapist else 404 if rule.owned and other else OK
        case A.ADMIN:
            return OK if role == "admin" else 403
    raise AssertionError(rule.access)


def test_every_route_has_a_rule_and_every_rule_a_route(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(routes - POLICY.keys()) == [], "routes without a rule in POLICY"
    assert sorted(POLICY.keys() - routes) == [], "rules in POLICY for routes that are gone"


def test_the_policy_refuses_and_allows_as_written():
    assert expected(POLICY[("appointments.show", "GET")], "patient_b") == 404
    assert expected(POLICY[("intake.edit", "GET")], "admin") == 403
    assert expected(POLICY[("records.patient", "GET")], "therapist_y") == 404
    assert expected(POLICY[("schedule.review", "POST")], "therapist_x") == OK
    assert expected(POLICY[("staff.request", "GET")], "therapist_x") == 403
    assert expected(POLICY[("admin.users", "GET")], "anonymous") == SIGN_IN


# --- trying it ----------------------------------------------------------------------------


def filled(value, world):
    """Values with "{w.name}" read from the world."""
    if isinstance(value, dict):
        return {key: filled(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item, world) for item in value]
    return value.format(w=world)


def made_up(app, endpoint: str, values: dict) -> dict:
    """The same URL with every id, slug or token in its path swapped for one that is not."""
    [rule] = app.url_map.iter_rules(endpoint)
    return values | {
        name: MISSING_ID if values[name].isdigit() else MISSING_NAME for name in rule.arguments
    }


def url(app, endpoint: str, values: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def sign_in(client, user) -> None:
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"


CASES = [
    pytest.param(endpoint, method, role, id=f"{endpoint}-{method}-{role}")
    for endpoint, method in POLICY
    for role in ROLES
]


@pytest.mark.parametrize(("endpoint", "method", "role"), CASES)
def test_access(request, matrix_app, world, endpoint, method, role):
    app, client, rule = matrix_app, matrix_app.test_client(), POLICY[(endpoint, method)]
    mail = request.getfixturevalue("matrix_mail").messages if rule.mail else []
    if world.users[role] is not None:
        sign_in(client, world.users[role])
    values, form = filled(rule.args, world), filled(rule.form, world)
    outcome = expected(rule, role)
    before = snapshot(app) if outcome != OK or method == "POST" else None
    response = client.open(url(app, endpoint, values), method=method, data=form)
    status, where = response.status_code, response.location or ""
    page = response.get_data().decode(errors="replace")
    response.close()  # a static file stays open until then

    if outcome == OK:
        assert status == (rule.ok or (200 if method == "GET" else 302)), page[:2000]
        if method == "POST" and rule.writes:
            assert mail or snapshot(app) != before, "nothing stored or sent: is the form right?"
        if made_up(app, endpoint, values) != values:
            before = snapshot(app)
            missing = client.open(url(app, endpoint, made_up(app, endpoint, values)),
                                  method=method, data=form)  # fmt: skip
            missing.close()
            assert missing.status_code == rule.missing
            assert snapshot(app) == before
        return
    if outcome == SIGN_IN:
        assert (status, where.split("?")[0]) == (302, "/account/login")
    elif outcome == START_PAGE:
        assert (status, where) == (302, START_PAGES[role])
    elif outcome == NO_SCHEDULE:
        assert status == 200 and "Your schedule is not set up yet" in page
    else:
        assert status == outcome
    assert snapshot(app) == before, "a refused request changed the database"
    assert mail == [], "a refused request sent an email"


# An id of the right shape that names the wrong kind of record, or someone else's.
# fmt: off
WRONG_IDS = [
    ("admin.show_user", "GET", "admin", {"user_id": "{w.patient_a}"}, {}),
    ("admin.change_role", "POST", "admin", {"user_id": "{w.patient_a}"}, {"role": "admin"}),
    ("admin.deactivate_user", "POST", "admin", {"user_id": "{w.patient_a}"}, {}),
    ("admin.resend_invitation", "POST", "admin", {"user_id": "{w.patient_a}"}, {}),
    ("records.patient", "GET", "front_desk", {"patient_id": "{w.front_desk}"}, {}),
    ("records.patient", "GET", "admin", {"patient_id": "{w.therapist_x}"}, {}),
    ("appointments.show", "GET", "patient_a", {"appointment_id": "{w.visit_b}"}, {}),
    ("consent.show", "GET", "therapist_x", {"consent_id": "{w.consent_b}"}, {}),
    ("consent.withdraw", "POST", "patient_a", {"consent_id": "{w.consent_b}"}, {}),
    ("schedule.review", "GET", "therapist_x", {"appointment_id": "{w.visit_b}"}, {}),
    ("schedule.mark", "POST", "therapist_x", {"appointment_id": "{w.visit_b}"},
     {"revision": "1", "outcome": "completed"}),
    ("schedule.note", "GET", "therapist_x", {"appointment_id": "{w.visit_b}"}, {}),
    ("schedule.note", "POST", "therapist_x", {"appointment_id": "{w.visit_b}"}, NOTE),
    ("schedule.add_addendum", "POST", "therapist_x", {"appointment_id": "{w.visit_b}"},
     {"text": "Not mine."}),
]
# fmt: on


@pytest.mark.parametrize(
    ("endpoint", "method", "role", "args", "form"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}-{case[2]}") for case in WRONG_IDS],
)
def test_an_id_of_the_wrong_kind_or_owner_reads_as_missing(
    matrix_app, world, endpoint, method, role, args, form
):
    client = matrix_app.test_client()
    sign_in(client, world.users[role])
    before = snapshot(matrix_app)
    address = url(matrix_app, endpoint, filled(args, world))
    assert client.open(address, method=method, data=filled(form, world)).status_code == 404
    assert snapshot(matrix_app) == before


@pytest.mark.parametrize(("role", "freed"), [("patient_a", True), ("patient_b", False)])
def test_only_the_owner_may_free_a_visits_time_by_naming_it_in_a_move(
    matrix_app, world, role, freed
):
    client = matrix_app.test_client()
    sign_in(client, world.users[role])
    week = {"location": world.place, "type": world.kind, "week": world.visit_a_day}
    plain = client.get(url(matrix_app, "booking.choose_slot", {"slug": "xavier", **week}))
    moving = client.get(
        url(matrix_app, "booking.choose_slot", {"slug": "xavier", "move": world.visit_a, **week})
    )
    assert plain.status_code == moving.status_code == 200
    assert (without_csrf(moving.text) != without_csrf(plain.text)) is freed


def without_csrf(page: str) -> str:
    # The sign-out form's token carries a timestamp: two requests a second apart differ there.
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)
