"""Every route x every kind of visitor, against a written policy: a new route without a rule,
or a route answering someone it must not, fails here with the route and the role named."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import pytest
from flask import url_for

from intake.domain.consent import ACKNOWLEDGEMENTS
from tests.conftest import PASSWORD
from tests.security.conftest import clinic_time, snapshot, wall
from tests.support.answers import form_answers

ROLES = (
    "anonymous",
    "patient_a",
    "patient_b",
    "front_desk",
    "therapist_x",
    "therapist_y",
    "admin",
)
START_PAGES = {"front_desk": "/staff/requests", "therapist_x": "/schedule", "admin": "/admin"}
START_PAGES["therapist_y"] = "/schedule"
MISSING_ID, MISSING_NAME = 999_999, "no-such-thing"


class Access(Enum):
    PUBLIC = "anyone, signed in or not"
    SIGNED_IN = "patients; staff are sent to their own start page"
    PATIENT = "patients only, each their own (staff, admins included, 403)"
    CONSENT_COPY = "the patient, or staff who may see that patient"
    DESK = "front desk and admin"
    RECORDS = "front desk, admin, and the patient's own therapist"
    THERAPIST = "therapists, each their own; an admin sees that they have no schedule"
    ADMIN = "admins only"


@dataclass(frozen=True)
class Rule:
    access: Access
    # URL values (path and query) from the world; a form that would succeed for who may use it.
    args: Callable = lambda w: {}
    form: Callable = lambda w: {}
    owned: bool = False  # the URL names patient A's or therapist X's own record
    ok: int | None = None  # the allowed answer: 200 for GET, 302 for POST unless said
    writes: bool = True  # an allowed POST stores something or sends an email
    missing: int = 404  # what a made-up id, slug or token gets
    mail: bool = False  # sends an email at once: a real SMTP server takes it


def appointment_a(w):
    return {"appointment_id": w.visit_a}


def booking(w):
    start = clinic_time(14, 14).isoformat()
    return {"slug": "xavier", "location": w.place, "type": w.kind, "start": start}


def consent_signing(w):
    version = {"version_id": "1", "typed_name": "Maria Lopez", "signature": ""}
    return version | {f"ack_{a.key}": "y" for a in ACKNOWLEDGEMENTS}


def location_form(w):
    return dict(
        name="Raleigh North",
        slug="raleigh-north",
        address="1 Elm St",
        city="Raleigh",
        state="NC",
        zip_code="27601",
        phone="919-555-0111",
        timezone="America/New_York",
    )


def provider_form(user_id, slug):
    return lambda w: dict(
        user_id=user_id(w),
        display_name="Sam Newcomer",
        slug=slug,
        credentials="PT, DPT",
        training_hours="60",
        bio="",
        accepting_new_patients="y",
        location_ids=[str(w.place)],
    )


def type_form(w):
    return dict(
        name="First visit",
        slug="first-visit",
        duration_minutes="45",
        buffer_after_minutes="15",
        involves_dry_needling="y",
        active="y",
    )


A, P = Access, Rule
draft = {"args": lambda w: {"version_id": w.draft}}
member = {"args": lambda w: {"user_id": w.member.id}}
consent_text = {"form": lambda w: {"label": "3", "body_markdown": "# Consent\n\nText."}}
POLICY: dict[tuple[str, str], Rule] = {
    # Anyone
    ("static", "GET"): P(A.PUBLIC, lambda w: {"filename": "site.css"}),
    ("public.home", "GET"): P(A.PUBLIC),
    ("public.dry_needling", "GET"): P(A.PUBLIC),
    ("health.healthz", "GET"): P(A.PUBLIC),
    ("providers.directory", "GET"): P(A.PUBLIC),
    ("providers.profile", "GET"): P(A.PUBLIC, lambda w: {"slug": "xavier"}),
    ("booking.choose_provider", "GET"): P(A.PUBLIC),
    ("booking.choose_slot", "GET"): P(A.PUBLIC, lambda w: {"slug": "xavier"}),
    # The token is the key: whoever holds it reads the feed, signed in or not.
    ("feed.calendar", "GET"): P(A.PUBLIC, lambda w: {"token": w.feed_token_x}),
    ("account.login", "GET"): P(A.PUBLIC),
    ("account.login", "POST"): P(
        A.PUBLIC, form=lambda w: {"email": w.patient_a.email, "password": PASSWORD}
    ),
    ("account.logout", "POST"): P(A.PUBLIC, writes=False),
    ("account.register", "GET"): P(A.PUBLIC),
    ("account.register", "POST"): P(
        A.PUBLIC,
        form=lambda w: dict(
            first_name="Cy", last_name="Gamma", email="cy@example.com", password="a long new secret"
        ),
    ),
    ("account.reset_password", "GET"): P(A.PUBLIC),
    ("account.reset_password", "POST"): P(
        A.PUBLIC, form=lambda w: {"email": w.patient_a.email}, ok=200, mail=True
    ),
    ("account.choose_password", "GET"): P(
        A.PUBLIC, lambda w: {"token": w.reset_token_a}, missing=400
    ),
    ("account.choose_password", "POST"): P(
        A.PUBLIC,
        lambda w: {"token": w.reset_token_a},
        lambda w: {"password": "a brand new secret"},
        missing=400,
    ),
    # Signed in
    ("account.home", "GET"): P(A.SIGNED_IN),
    # A patient's own forms and records
    ("intake.edit", "GET"): P(A.PATIENT),
    ("intake.edit", "POST"): P(A.PATIENT, form=lambda w: form_answers()),
    ("intake.outcome", "GET"): P(A.PATIENT),
    ("consent.sign", "GET"): P(A.PATIENT),
    ("consent.sign", "POST"): P(A.PATIENT, form=consent_signing),
    ("consent.withdraw", "POST"): P(
        A.PATIENT, lambda w: {"consent_id": w.consent_a}, lambda w: {"reason": ""}, owned=True
    ),
    ("booking.confirm", "GET"): P(A.PATIENT, booking),
    ("booking.confirm", "POST"): P(A.PATIENT, booking, lambda w: booking(w) | {"note": ""}),
    ("appointments.index", "GET"): P(A.PATIENT),
    ("appointments.show", "GET"): P(A.PATIENT, appointment_a, owned=True),
    ("appointments.cancel", "POST"): P(
        A.PATIENT, appointment_a, lambda w: {"reason": "Feeling better"}, owned=True
    ),
    ("appointments.move", "POST"): P(
        A.PATIENT, appointment_a, lambda w: {"start": clinic_time(14, 15).isoformat()}, owned=True
    ),
    ("consent.show", "GET"): P(A.CONSENT_COPY, lambda w: {"consent_id": w.consent_a}),
    ("consent.signature", "GET"): P(A.CONSENT_COPY, lambda w: {"consent_id": w.consent_a}),
    # Front desk (and admins)
    ("staff.queue", "GET"): P(A.DESK),
    ("staff.export_csv", "GET"): P(
        A.DESK, lambda w: {"from": clinic_time(0, 0).date(), "to": clinic_time(30, 0).date()}
    ),
    ("staff.request", "GET"): P(A.DESK, appointment_a),
    ("staff.confirm", "POST"): P(A.DESK, appointment_a, lambda w: {"revision": "1"}),
    ("staff.decline", "POST"): P(
        A.DESK, appointment_a, lambda w: {"revision": "1", "reason": "Full"}
    ),
    ("staff.cancel", "POST"): P(
        A.DESK, appointment_a, lambda w: {"revision": "1", "reason": "Ill"}
    ),
    ("staff.note", "POST"): P(A.DESK, appointment_a, lambda w: {"text": "Called back."}),
    ("staff.move_page", "GET"): P(A.DESK, appointment_a),
    ("staff.move", "POST"): P(
        A.DESK,
        appointment_a,
        lambda w: dict(
            revision="1",
            provider=w.provider_x,
            location=w.place,
            start=clinic_time(14, 16).isoformat(),
        ),
    ),
    ("records.patient", "GET"): P(A.RECORDS, lambda w: {"patient_id": w.patient_a.id}),
    # Therapists, each their own
    ("schedule.view", "GET"): P(A.THERAPIST),
    ("schedule.mark", "POST"): P(
        A.THERAPIST,
        lambda w: {"appointment_id": w.past_a},
        lambda w: {"revision": "1", "outcome": "completed"},
        owned=True,
    ),
    ("schedule.review", "GET"): P(A.THERAPIST, appointment_a, owned=True),
    ("schedule.review", "POST"): P(
        A.THERAPIST,
        appointment_a,
        lambda w: dict(revision="1", outcome="cleared", note="Fine to needle."),
        owned=True,
    ),
    ("schedule.hours", "GET"): P(A.THERAPIST),
    ("schedule.add_hours", "POST"): P(
        A.THERAPIST,
        form=lambda w: dict(location=w.place, weekday="6", starts="09:00", ends="12:00"),
    ),
    ("schedule.remove_hours", "POST"): P(
        A.THERAPIST, lambda w: {"block_id": w.hours_x}, owned=True
    ),
    ("schedule.time_off", "GET"): P(A.THERAPIST),
    ("schedule.add_time_off", "POST"): P(
        A.THERAPIST,
        form=lambda w: dict(
            starts=wall(clinic_time(45, 8)), ends=wall(clinic_time(45, 12)), reason="Course"
        ),
    ),
    ("schedule.delete_time_off", "POST"): P(
        A.THERAPIST, lambda w: {"time_off_id": w.time_off_x}, owned=True
    ),
    ("schedule.feed_token", "GET"): P(A.THERAPIST),
    ("schedule.regenerate_feed_token", "POST"): P(A.THERAPIST, ok=200),
    # Admins only
    ("admin.index", "GET"): P(A.ADMIN),
    ("admin.audit", "GET"): P(A.ADMIN),
    ("admin.audit_csv", "GET"): P(A.ADMIN),
    ("admin.consents", "GET"): P(A.ADMIN),
    ("admin.new_consent", "GET"): P(A.ADMIN),
    ("admin.new_consent", "POST"): P(A.ADMIN, **consent_text),
    ("admin.show_consent", "GET"): P(A.ADMIN, **draft),
    ("admin.edit_consent", "GET"): P(A.ADMIN, **draft),
    ("admin.edit_consent", "POST"): P(A.ADMIN, **draft, **consent_text),
    ("admin.publish_consent", "POST"): P(A.ADMIN, **draft),
    ("admin.delete_consent", "POST"): P(A.ADMIN, **draft),
    ("admin.locations", "GET"): P(A.ADMIN),
    ("admin.new_location", "GET"): P(A.ADMIN),
    ("admin.new_location", "POST"): P(A.ADMIN, form=location_form),
    ("admin.edit_location", "GET"): P(A.ADMIN, lambda w: {"location_id": w.place}),
    ("admin.edit_location", "POST"): P(A.ADMIN, lambda w: {"location_id": w.place}, location_form),
    ("admin.providers", "GET"): P(A.ADMIN),
    ("admin.new_provider", "GET"): P(A.ADMIN),
    ("admin.new_provider", "POST"): P(A.ADMIN, form=provider_form(lambda w: w.member.id, "sam")),
    ("admin.edit_provider", "GET"): P(A.ADMIN, lambda w: {"provider_id": w.provider_x}),
    ("admin.edit_provider", "POST"): P(
        A.ADMIN,
        lambda w: {"provider_id": w.provider_x},
        provider_form(lambda w: w.therapist_x.id, "xavier"),
    ),
    ("admin.types", "GET"): P(A.ADMIN),
    ("admin.new_type", "GET"): P(A.ADMIN),
    ("admin.new_type", "POST"): P(A.ADMIN, form=type_form),
    ("admin.edit_type", "GET"): P(A.ADMIN, lambda w: {"type_id": w.kind}),
    ("admin.edit_type", "POST"): P(A.ADMIN, lambda w: {"type_id": w.kind}, type_form),
    ("admin.users", "GET"): P(A.ADMIN),
    ("admin.invite_user", "GET"): P(A.ADMIN),
    ("admin.invite_user", "POST"): P(
        A.ADMIN,
        form=lambda w: dict(
            first_name="Dee", last_name="Delta", email="dee@example.org", role="front_desk"
        ),
        mail=True,
    ),
    ("admin.show_user", "GET"): P(A.ADMIN, **member),
    ("admin.change_role", "POST"): P(A.ADMIN, **member, form=lambda w: {"role": "front_desk"}),
    ("admin.resend_invitation", "POST"): P(A.ADMIN, **member, mail=True),
    ("admin.deactivate_user", "POST"): P(A.ADMIN, **member),
    # The member is active: the answer says so and nothing needs storing.
    ("admin.reactivate_user", "POST"): P(A.ADMIN, **member, writes=False),
}


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
        case A.PATIENT:
            return 403 if not patient else 404 if rule.owned and other else OK
        case A.CONSENT_COPY:
            return 404 if other else OK
        case A.DESK:
            return OK if role in ("front_desk", "admin") else 403
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


def url(app, endpoint: str, values: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def made_up(app, endpoint: str, values: dict) -> dict:
    """The same URL with every id, slug or token in its path swapped for one that is not."""
    return values | {
        name: MISSING_ID if isinstance(values[name], int) else MISSING_NAME
        for name in path_arguments(app, endpoint)
    }


def path_arguments(app, endpoint: str) -> set[str]:
    [rule] = app.url_map.iter_rules(endpoint)
    return set(rule.arguments)


CASES = [
    pytest.param(endpoint, method, role, id=f"{endpoint}-{method}-{role}")
    for endpoint, method in POLICY
    for role in ROLES
]


def sign_in(client, user) -> None:
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"


@pytest.mark.parametrize(("endpoint", "method", "role"), CASES)
def test_access(request, matrix_app, world, endpoint, method, role):
    app, client, rule = matrix_app, matrix_app.test_client(), POLICY[(endpoint, method)]
    mail = request.getfixturevalue("matrix_mail").messages if rule.mail else []
    if world.users[role] is not None:
        sign_in(client, world.users[role])
    values = rule.args(world)
    outcome = expected(rule, role)
    before = snapshot(app) if outcome != OK or method == "POST" else None
    response = client.open(url(app, endpoint, values), method=method, data=rule.form(world))
    status, where = response.status_code, response.location or ""
    page = response.get_data().decode(errors="replace")
    response.close()  # a static file stays open until then

    if outcome == OK:
        assert status == (rule.ok or (200 if method == "GET" else 302)), page[:2000]
        if method == "POST" and rule.writes:
            assert mail or snapshot(app) != before, "nothing stored or sent: is the form right?"
        if path_arguments(app, endpoint):
            before = snapshot(app)
            missing = client.open(
                url(app, endpoint, made_up(app, endpoint, values)),
                method=method,
                data=rule.form(world),
            )
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
