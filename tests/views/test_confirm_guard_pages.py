"""The desk sees before clicking why a visit cannot be confirmed; an admin overrides through
the form, and the audit log shows the reason (escaped, on the page and in the CSV)."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AppointmentStatus, AuditEvent, ConsentWithdrawal, SignedConsent
from intake.permissions import Role
from tests.conftest import persist
from tests.support.clock import next_weekday_at


@pytest.fixture
def withdrawn_request(app, clinic, ready_patient, make_appointment):
    """A dry-needling request whose patient has since withdrawn consent."""
    patient = ready_patient()
    with app.app_context():
        consent_id = db.session.scalar(
            select(SignedConsent.id).where(SignedConsent.patient_id == patient.id)
        )
    persist(app, ConsentWithdrawal(consent_id=consent_id, ip_address="::1"))
    starts_at = next_weekday_at(datetime.now(UTC), 10, days_ahead=3)
    return make_appointment(patient, clinic.provider, clinic.location, clinic.type, starts_at)


def revision_on(page: str) -> str:
    return re.search(r'name="revision" value="(\d+)"', page).group(1)


def test_the_desk_reads_the_failed_check_before_clicking_and_is_refused(
    app, client, login_as, make_user, withdrawn_request
):
    login_as(make_user(Role.FRONT_DESK))
    url = f"/staff/requests/{withdrawn_request.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Confirming will be refused" in page
    assert "The patient withdrew consent on" in page
    assert "override_reason" not in page  # the desk cannot override

    response = client.post(
        f"{url}/confirm", data={"revision": revision_on(page), "override_reason": "fine"}
    )

    assert response.status_code == 409
    assert "they must sign again before this visit is confirmed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(type(withdrawn_request), withdrawn_request.id).status == (
            AppointmentStatus.REQUESTED
        )


def test_the_move_page_says_a_move_will_be_refused(client, login_as, make_user, withdrawn_request):
    login_as(make_user(Role.FRONT_DESK))
    page = client.get(f"/staff/requests/{withdrawn_request.id}/move").get_data(as_text=True)
    assert "Moving will be refused" in page and "withdrew consent" in page


def test_an_admin_overrides_in_writing_and_the_audit_log_shows_why(
    app, client, login_as, make_user, withdrawn_request
):
    login_as(make_user(Role.ADMIN))
    url = f"/staff/requests/{withdrawn_request.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Admin override: why confirm although the checks above fail?" in page
    reason = "Signed on paper <b>today</b>"

    response = client.post(
        f"{url}/confirm", data={"revision": revision_on(page), "override_reason": reason}
    )

    assert response.status_code == 302
    with app.app_context():
        [override] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "safety_overridden")
        ).all()
        assert override.detail["override_reason"] == reason
    log = client.get("/admin/audit?action=safety_overridden").get_data(as_text=True)
    assert "Overrode a safety check" in log
    assert "Reason given: Signed on paper &lt;b&gt;today&lt;/b&gt;" in log
    assert "Failed check (consent): The patient withdrew consent on" in log
    exported = client.get("/admin/audit.csv?action=safety_overridden").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(exported)))
    assert header[-1] == "detail"
    assert '"override_reason": "Signed on paper <b>today</b>"' in row[-1]


def test_an_admin_sees_no_override_field_when_nothing_fails(
    client, login_as, make_user, clinic, ready_patient, make_appointment
):
    starts_at = next_weekday_at(datetime.now(UTC) + timedelta(days=1), 10)
    fine = make_appointment(
        ready_patient(), clinic.provider, clinic.location, clinic.type, starts_at
    )
    login_as(make_user(Role.ADMIN))
    page = client.get(f"/staff/requests/{fine.id}").get_data(as_text=True)
    assert "Confirming will be refused" not in page
    assert "override_reason" not in page
