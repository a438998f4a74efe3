"""Every form, posted hypothesis-made values anonymously and as its own user: never a 500, and
an error answer writes nothing."""

import logging

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intake import forms
from intake.extensions import db
from intake.models import Appointment, AppointmentStatus
from intake.permissions import Role
from tests.security.fuzz_support import (
    ANONYMOUS,
    BIG_HOSTILE,
    build_world,
    choice_values,
    field_names,
    form_classes,
    good_submission,
    reads_query_string,
    row_counts,
    signed_in_client,
    urlencoded,
    value_strategy,
)

EXAMPLES = 12  # per route: 36 routes, a few hundred posts in all

# Who posts each form in real use; the fuzz also posts every one anonymously.
POST_FORMS = {
    "account.register": (ANONYMOUS, forms.RegisterForm),
    "account.login": (ANONYMOUS, forms.LoginForm),
    "account.logout": (Role.PATIENT, forms.SignOutForm),
    "account.still_here": (Role.FRONT_DESK, forms.StillHereForm),
    "account.reset_password": (ANONYMOUS, forms.ResetRequestForm),
    "account.choose_password": (ANONYMOUS, forms.NewPasswordForm),
    "account.change_password": (Role.PATIENT, forms.ChangePasswordForm),
    "intake.edit": (Role.PATIENT, forms.IntakeForm),
    "consent.sign": (Role.PATIENT, forms.ConsentForm),
    "consent.withdraw": (Role.PATIENT, forms.WithdrawConsentForm),
    "booking.confirm": (Role.PATIENT, forms.BookingRequestForm),
    "appointments.cancel": (Role.PATIENT, forms.CancelAppointmentForm),
    "check_in.own": (Role.PATIENT, forms.CheckInForm),
    "check_in.by_link": (ANONYMOUS, forms.CheckInForm),
    "forms.choose_password": (ANONYMOUS, forms.FirstPasswordForm),
    "forms_pending.resend": (Role.FRONT_DESK, forms.PostForm),
    "forms_pending.on_paper": (Role.FRONT_DESK, forms.PostForm),
    "appointments.move": (Role.PATIENT, forms.MoveAppointmentForm),
    "waitlist.join": (Role.PATIENT, forms.WaitlistForm),
    "waitlist.leave": (Role.PATIENT, forms.PostForm),
    "waitlist.offer": (Role.PATIENT, forms.PostForm),
    "staff_waitlist.new": (Role.FRONT_DESK, forms.WaitlistForm),
    "staff_waitlist.remove": (Role.FRONT_DESK, forms.PostForm),
    "staff.confirm": (Role.FRONT_DESK, forms.ConfirmForm),
    "staff.decline": (Role.FRONT_DESK, forms.DeclineForm),
    "staff.cancel": (Role.FRONT_DESK, forms.CancelForm),
    "staff.note": (Role.FRONT_DESK, forms.NoteForm),
    "staff.move": (Role.FRONT_DESK, forms.MoveForm),
    "staff.log_call": (Role.FRONT_DESK, forms.CallLogForm),
    "callbacks.log_call": (Role.FRONT_DESK, forms.CallLogForm),
    "callbacks.close": (Role.FRONT_DESK, forms.CloseCallbackForm),
    "callbacks.book": (Role.FRONT_DESK, forms.BookForPatientForm),
    "patients.new": (Role.FRONT_DESK, forms.NewPatientForm),
    "patients.book_post": (Role.FRONT_DESK, forms.BookForPatientForm),
    "schedule.mark": (Role.THERAPIST, forms.OutcomeForm),
    "schedule.review": (Role.THERAPIST, forms.ReviewForm),
    "schedule.note": (Role.THERAPIST, forms.NeedlingNoteForm),
    "schedule.add_addendum": (Role.THERAPIST, forms.AddendumForm),
    "schedule.add_hours": (Role.THERAPIST, forms.HoursForm),
    "schedule.remove_hours": (Role.THERAPIST, forms.PostForm),
    "schedule.add_time_off": (Role.THERAPIST, forms.TimeOffForm),
    "schedule.delete_time_off": (Role.THERAPIST, forms.PostForm),
    "schedule.regenerate_feed_token": (Role.THERAPIST, forms.PostForm),
    "admin.new_consent": (Role.ADMIN, forms.ConsentDraftForm),
    "admin.edit_consent": (Role.ADMIN, forms.ConsentDraftForm),
    "admin.publish_consent": (Role.ADMIN, forms.PostForm),
    "admin.delete_consent": (Role.ADMIN, forms.PostForm),
    "admin.new_location": (Role.ADMIN, forms.LocationForm),
    "admin.edit_location": (Role.ADMIN, forms.LocationForm),
    "admin.new_provider": (Role.ADMIN, forms.ProviderForm),
    "admin.edit_provider": (Role.ADMIN, forms.ProviderForm),
    "admin.provider_add_hours": (Role.ADMIN, forms.HoursForm),
    "admin.provider_remove_hours": (Role.ADMIN, forms.PostForm),
    "admin.provider_add_time_off": (Role.ADMIN, forms.TimeOffForm),
    "admin.provider_delete_time_off": (Role.ADMIN, forms.PostForm),
    "admin.record_attestation": (Role.ADMIN, forms.AttestationForm),
    "admin.new_type": (Role.ADMIN, forms.AppointmentTypeForm),
    "admin.edit_type": (Role.ADMIN, forms.AppointmentTypeForm),
    "admin.invite_user": (Role.ADMIN, forms.InviteForm),
    "admin.change_role": (Role.ADMIN, forms.RoleForm),
    "admin.resend_invitation": (Role.ADMIN, forms.PostForm),
    "admin.deactivate_user": (Role.ADMIN, forms.PostForm),
    "admin.reactivate_user": (Role.ADMIN, forms.PostForm),
    "admin.add_addendum": (Role.ADMIN, forms.AddendumForm),
}


@pytest.fixture
def world(app, clinic, ready_patient, make_user, make_appointment):
    return build_world(app, clinic, ready_patient, make_user, make_appointment)


def post_url(app, endpoint: str, world) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint) if "POST" in r.methods)
    with app.test_request_context():
        ids = world.ids | world.endpoint_ids.get(endpoint, {})
        query = world.endpoint_query.get(endpoint, {})
        return url_for(endpoint, **{name: ids[name] for name in rule.arguments}, **query)


UNSTORABLE = ["\x00", "\ud800", "\udfff"]


@st.composite
def form_pairs(draw, good: dict[str, str], names: list[str], values):
    """A submission that would pass, with a few fields dropped, repeated, replaced by hostile
    values or laced with a character no database stores; sometimes a stranger key or 1 MB."""
    chosen = draw(st.sets(st.sampled_from(names), max_size=3)) if names else set()
    pairs = []
    for name in names:
        kept = good.get(name, "")
        if name not in chosen:
            pairs += [(name, kept)] if name in good else []
            continue
        change = draw(st.sampled_from(["lace", "replace", "drop", "repeat", "lace"]))
        if change == "repeat":
            pairs += [(name, kept), (name, draw(values))]
        elif change == "replace":
            pairs.append((name, draw(values)))
        elif change == "lace":
            at = draw(st.integers(0, len(kept)))
            pairs.append((name, kept[:at] + draw(st.sampled_from(UNSTORABLE)) + kept[at:]))
    if draw(st.integers(0, 4)) == 0:
        pairs.append((draw(values), draw(values)))
    if names and draw(st.integers(0, 6)) == 0:
        pairs.append((draw(st.sampled_from(names)), draw(st.sampled_from(BIG_HOSTILE))))
    return pairs


def encodable(pairs) -> bool:
    try:
        for key, value in pairs:
            key.encode()
            value.encode()
    except UnicodeEncodeError:
        return False
    return True


def send(client, url: str, pairs, multipart: bool):
    # Werkzeug's test client leaves a large multipart body's temporary file open: the 1 MB
    # values go urlencoded, which reaches the same form parsing limits.
    small = sum(len(key) + len(value) for key, value in pairs) < 100_000
    if multipart and small and encodable(pairs):
        return client.post(url, data=MultiDict(pairs), content_type="multipart/form-data")
    return client.post(
        url, data=urlencoded(pairs), content_type="application/x-www-form-urlencoded"
    )


def test_every_post_route_and_every_form_has_a_fuzz_rule(app):
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posts == set(POST_FORMS), "a new POST route needs its line in POST_FORMS"
    fuzzed = {form_class for _role, form_class in POST_FORMS.values()}
    for form_class in form_classes():
        # A base form (ActionForm) counts through the forms built on it.
        posted = any(issubclass(fuzzed_form, form_class) for fuzzed_form in fuzzed)
        assert posted or reads_query_string(form_class), form_class.__name__


@pytest.mark.parametrize("endpoint", sorted(POST_FORMS))
def test_posting_anything_to_a_form_never_answers_500_nor_writes_on_an_error(
    endpoint, app, world, caplog
):
    caplog.set_level(logging.DEBUG)
    role, form_class = POST_FORMS[endpoint]
    url = post_url(app, endpoint, world)
    names = field_names(app, form_class)
    values = value_strategy(world.values + choice_values(app, form_class))
    email = world.emails[Role.PATIENT if role == ANONYMOUS else role]
    clients = {False: signed_in_client(app, None), True: signed_in_client(app, email)}
    answered = set()
    good = good_submission(app, form_class, world)
    pairs = form_pairs(good, names, values)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(signed_in=st.sampled_from([True, True, False]), pairs=pairs, multipart=st.booleans())
    def post_anything(signed_in, pairs, multipart):
        before = row_counts(app)
        answer = send(clients[signed_in], url, pairs, multipart)
        answered.add(answer.status_code)
        assert answer.status_code != 500, (endpoint, pairs[:5])
        if answer.status_code >= 400:
            assert row_counts(app) == before, (endpoint, answer.status_code)

    # First, deterministically: each field in turn carries a NUL in an otherwise good form.
    for name in names:
        laced = {**good, name: good.get(name, "") + "\x00"}
        before = row_counts(app)
        answer = clients[True].post(url, data=laced)
        assert answer.status_code == 400, (endpoint, name)
        assert row_counts(app) == before, (endpoint, name)

    post_anything()
    assert answered, "no request was sent"
    # Whatever was refused or failed on the way, no account's address reached the log.
    logged = caplog.text.lower()
    assert [e for e in world.emails.values() if e.lower() in logged] == []


def test_a_cancel_reason_with_a_nul_byte_is_refused_before_anything_is_written(app, world):
    patient = signed_in_client(app, world.emails[Role.PATIENT])
    appointment_id = world.ids["appointment_id"]
    before = row_counts(app)

    answer = patient.post(
        f"/account/appointments/{appointment_id}/cancel", data={"reason": "a\x00b"}
    )

    assert answer.status_code == 400
    assert "characters we cannot accept" in answer.get_data(as_text=True)
    assert row_counts(app) == before
    with app.app_context():
        status = db.session.scalar(
            select(Appointment.status).where(Appointment.id == appointment_id)
        )
    assert status == AppointmentStatus.REQUESTED


def test_a_nul_byte_in_a_field_of_the_intake_is_refused(app, world):
    patient = signed_in_client(app, world.emails[Role.PATIENT])
    before = row_counts(app)

    answer = patient.post("/intake", data={"legal_first_name": "Ma\x00ria", "city": "Durham"})

    assert answer.status_code == 400
    assert row_counts(app) == before
