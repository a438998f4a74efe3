"""Every page the app has, as each kind of visitor sees it, with and without form errors:
axe-core finds no WCAG 2.x A/AA violation, the Nu HTML Checker no error, and at 320 px nothing
scrolls sideways. The page list is checked against the URL map, so a new page needs a line."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.security import conftest as security

quick_passwords = security.quick_passwords  # the fixture: hundreds of quick sign-ins
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("INTAKE_TEST_DATABASE_URL")),
    reason="the page audits check HTML, not SQL: CI runs them once, on SQLite",
)

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP, NARROW = {"width": 1280, "height": 800}, {"width": 320, "height": 640}


@dataclass(frozen=True)
class Visit:
    role: str  # a user of the security world (tests/security/conftest.py), or "anonymous"
    path: str  # "{w.name}" is read from the world
    errors: bool = False  # send the page's form empty (in the browser) and audit the answer
    form: str = "main form[method=post]"  # which form to send, when errors


def page(role: str, path: str, **options) -> list[Visit]:
    """The page as is, and (errors=True) again with its form sent empty."""
    visits = [Visit(role, path)]
    if options.pop("errors", False):
        visits.append(Visit(role, path, errors=True, **options))
    return visits


# fmt: off
VISIT_A, DONE_A = "/account/appointments/{w.visit_a}", "/account/appointments/{w.done_a}"
SLOTS = "/book/xavier?location={w.place}&type={w.kind}"
CONFIRM = "/book/xavier/confirm?location={w.place}&type={w.kind}&start={w.free_1400}"
# One entry per GET endpoint of the URL map: the visits that audit it.
PAGES: dict[str, list[Visit]] = {
    # Public
    "public.home": page("anonymous", "/"),
    "public.dry_needling": page("anonymous", "/dry-needling"),
    "providers.directory": page("anonymous", "/providers")
    + page("anonymous", "/providers?near=27701") + page("anonymous", "/providers?near=nowhere"),
    "providers.profile": page("anonymous", "/providers/xavier"),
    "booking.choose_provider": page("anonymous", "/book"),
    "booking.choose_slot": page("anonymous", "/book/xavier") + page("patient_a", SLOTS),
    "account.login": page("anonymous", "/account/login", errors=True),
    "account.register": page("anonymous", "/account/register", errors=True),
    "account.reset_password": page("anonymous", "/account/reset-password", errors=True),
    "account.choose_password": page("anonymous", "/account/reset-password/{w.reset_token_a}",
                                    errors=True),
    "check_in.by_link": page("anonymous", "/check-in/{w.check_in_token_a}", errors=True),
    # A patient
    "account.home": page("patient_a", "/account"),
    "account.change_password": page("patient_a", "/account/password", errors=True)
    + page("front_desk", "/account/password"),
    "intake.edit": page("patient_a", "/intake", errors=True),
    "intake.outcome": page("patient_a", "/intake/outcome"),
    "consent.sign": page("patient_a", "/consent", errors=True),
    "consent.show": page("patient_a", "/consent/{w.consent_a}"),
    "booking.confirm": page("patient_a", CONFIRM),
    "appointments.index": page("patient_a", "/account/appointments"),
    "appointments.show": page("patient_a", VISIT_A),
    "check_in.own": page("patient_a", DONE_A + "/check-in", errors=True),
    "waitlist.join": page("patient_a", "/waitlist/join?provider={w.provider_x}&location={w.place}"
                          "&type={w.kind}", errors=True),
    "forms.open_link": page("anonymous", "/forms/not-a-real-link")
    + page("patient_a", "/forms/{w.forms_token_a}"),
    # The first-password form needs a caller's account with no password; the world has none.
    "forms.choose_password": page("anonymous", "/forms/not-a-real-link/password"),
    "waitlist.offer": page("patient_a", "/waitlist/offers/{w.offer_token_a}"),
    # Front desk
    "staff.queue": page("front_desk", "/staff/requests")
    + page("front_desk", "/staff/requests?status=all"),
    "staff.request": page("front_desk", "/staff/requests/{w.visit_a}"),
    "staff.move_page": page("front_desk", "/staff/requests/{w.visit_a}/move"),
    "calendar.day": page("front_desk", "/staff/calendar?location={w.place}&date={w.visit_a_day}")
    + page("front_desk", "/staff/calendar?location={w.place}&date=2026-02-30"),
    "callbacks.index": page("front_desk", "/staff/callbacks"),
    "callbacks.show": page("front_desk", "/staff/callbacks/{w.callback_a}"),
    "callbacks.book_page": page("front_desk", "/staff/callbacks/{w.cleared_a}/book"),
    "patients.index": page("front_desk", "/staff/patients")
    + page("front_desk", "/staff/patients?q=Lopez")
    + page("front_desk", "/staff/patients?new=booking"),
    "patients.new": page("front_desk", "/staff/patients/new", errors=True),
    "patients.book": page("front_desk", "/staff/patients/{w.patient_a}/book"),
    "forms_pending.index": page("front_desk", "/staff/forms-pending")
    + page("front_desk", "/staff/forms-pending?date={w.visit_a_day}"),
    "staff_waitlist.index": page("front_desk", "/staff/waitlist")
    + page("therapist_x", "/staff/waitlist"),
    "staff_waitlist.new": page("front_desk", "/staff/waitlist/new?patient={w.patient_a}",
                               errors=True),
    "records.patient": page("front_desk", "/records/patients/{w.patient_a}")
    + page("therapist_x", "/records/patients/{w.patient_a}"),
    # A therapist
    "schedule.view": page("therapist_x", "/schedule")
    + page("therapist_x", "/schedule?date={w.visit_a_day}&view=day"),
    "schedule.note": page("therapist_x", "/schedule/appointments/{w.done_a}/note")
    + page("therapist_x", "/schedule/appointments/{w.past_a}/note", errors=True),
    "schedule.review": page("therapist_x", "/schedule/appointments/{w.visit_a}/review",
                            errors=True),
    "schedule.hours": page("therapist_x", "/schedule/hours", errors=True,
                           form="form[action$='/schedule/hours']"),
    "schedule.time_off": page("therapist_x", "/schedule/time-off", errors=True,
                              form="form[action$='/schedule/time-off']"),
    "schedule.feed_token": page("therapist_x", "/schedule/feed-token"),
    # An admin
    "admin.index": page("admin", "/admin"),
    "admin.audit": page("admin", "/admin/audit"),
    "admin.safety_register": page("admin", "/admin/safety"),
    "admin.visit_note": page("admin", "/admin/safety/visits/{w.done_a}"),
    "admin.consents": page("admin", "/admin/consents"),
    "admin.show_consent": page("admin", "/admin/consents/{w.consent_v1}")
    + page("admin", "/admin/consents/{w.draft}")
    + page("admin", "/admin/consents/{w.unfinished_draft}"),
    "admin.new_consent": page("admin", "/admin/consents/new", errors=True),
    "admin.edit_consent": page("admin", "/admin/consents/{w.draft}/edit", errors=True),
    "admin.locations": page("admin", "/admin/locations"),
    "admin.new_location": page("admin", "/admin/locations/new", errors=True),
    "admin.edit_location": page("admin", "/admin/locations/{w.place}"),
    "admin.providers": page("admin", "/admin/providers"),
    "admin.new_provider": page("admin", "/admin/providers/new", errors=True),
    "admin.edit_provider": page("admin", "/admin/providers/{w.provider_x}"),
    "admin.provider_hours": page("admin", "/admin/providers/{w.provider_x}/hours", errors=True,
                                 form="form[action$='/hours']"),
    "admin.provider_time_off": page("admin", "/admin/providers/{w.provider_x}/time-off",
                                    errors=True, form="form[action$='/time-off']"),
    "admin.types": page("admin", "/admin/types"),
    "admin.new_type": page("admin", "/admin/types/new", errors=True),
    "admin.edit_type": page("admin", "/admin/types/{w.kind}"),
    "admin.users": page("admin", "/admin/users"),
    "admin.show_user": page("admin", "/admin/users/{w.member}"),
    "admin.invite_user": page("admin", "/admin/users/invite", errors=True),
}
# GET endpoints that are not pages, each with the reason.
EXCLUDED: dict[str, str] = {
    "static": "files, not pages",
    "icons.favicon": "an icon",
    "health.healthz": "a status for the load balancer, plain text",
    "staff.home": "redirects to the request queue",
    "staff.export_csv": "a CSV download",
    "admin.audit_csv": "a CSV download",
    "admin.safety_csv": "a CSV download",
    "feed.calendar": "an iCalendar feed",
    "consent.signature": "a PNG image",
}
# fmt: on


def test_every_page_of_the_url_map_is_audited_or_excluded_with_a_reason(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    missing = sorted(endpoints - PAGES.keys() - EXCLUDED.keys())
    assert not missing, f"add these pages to PAGES (or EXCLUDED, with a reason): {missing}"
    stale = sorted((PAGES.keys() | EXCLUDED.keys()) - endpoints)
    assert not stale, f"no such endpoint any more: {stale}"
    assert not PAGES.keys() & EXCLUDED.keys()


def _tool_ready(what: str, present: bool, advice: str) -> None:
    """A missing tool fails the audit, saying how to install it (scripts/test does)."""
    assert present, f"{what} missing: {advice}"


@pytest.fixture(scope="session")
def audit_tools() -> None:
    """axe-core and vnu from package-lock.json (npm ci when missing), and Java for vnu."""
    if not (AXE.exists() and VNU.exists()) and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],  # noqa: S607 - npm from PATH, as a developer runs it
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    _tool_ready("axe-core and vnu-jar", AXE.exists() and VNU.exists(), "install npm, then npm ci")
    _tool_ready("Java", bool(shutil.which("java")), "apt-get install -y default-jre-headless")


AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.html.slice(0, 160)),
  }));
}"""
SIDEWAYS = """() => {
  const root = document.scrollingElement, edge = root.clientWidth + 1;
  if (root.scrollWidth <= root.clientWidth) return null;
  const past = e => e.getBoundingClientRect().right > edge;
  const culprits = [...document.querySelectorAll("body *")].filter(
    e => past(e) && !past(e.parentElement));
  return root.scrollWidth + " px wide; what runs past the edge: " + culprits.slice(0, 3).map(
    e => e.outerHTML.replace(/\\s+/g, " ").slice(0, 140)).join(" | ");
}"""
SEND_EMPTY = """form => {
  for (const field of form.querySelectorAll("input, textarea, select")) {
    if (field.type === "hidden" || field.type === "submit") continue;
    if (field.type === "checkbox" || field.type === "radio") field.checked = false;
    else if (field.tagName === "SELECT") field.selectedIndex = 0;
    else field.value = "";
  }
  form.noValidate = true;
  form.requestSubmit();
}"""


def _signed_in(browser, base: str, role: str, world):
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    tab = context.new_page()
    if role != "anonymous":
        tab.goto(base + "/account/login")
        tab.get_by_label("Email").fill(world.users[role].email)
        tab.get_by_label("Password").fill(PASSWORD)
        with tab.expect_navigation():
            tab.get_by_role("button", name="Sign in").click()
        assert "/account/login" not in tab.url, f"{role} could not sign in"
    return tab


def _open(tab, base: str, visit: Visit, world):
    """The page (its form sent empty, when errors): the HTML the server sent, and its status."""
    response = tab.goto(base + visit.path.format(w=world))
    if visit.errors:
        form = tab.locator(visit.form).first
        with tab.expect_navigation() as sent:
            form.evaluate(SEND_EMPTY)
        response = sent.value
    return response.status, response.text()


def _error_state(tab, label: str) -> list[str]:
    """A form sent back with errors: the summary has the focus and the title says "Error:"."""
    found = []
    if not tab.evaluate("document.activeElement.matches('.error-summary')"):
        found.append(f"{label}: the error summary does not have the focus (or is missing)")
    if not tab.title().startswith("Error: "):
        found.append(f"{label}: the title does not start with 'Error: ' ({tab.title()!r})")
    return found


def _audit(tab) -> tuple[list, str | None]:
    tab.add_script_tag(path=str(AXE))
    violations = tab.evaluate(AXE_RUN, WCAG)
    tab.set_viewport_size(NARROW)
    sideways = tab.evaluate(SIDEWAYS)
    tab.set_viewport_size(DESKTOP)
    return violations, sideways


def _nu_errors(pages: dict[str, str], folder: Path) -> list[str]:
    """vnu once over every page's HTML: its errors, each with the page it was found on."""
    for name, html in pages.items():
        (folder / f"{name}.html").write_text(html)
    files = sorted(str(path) for path in folder.glob("*.html"))
    command = ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files]
    done = subprocess.run(  # noqa: S603 - the machine's Java on our own files
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    return [
        f"{Path(m.get('url', '')).stem} line {m.get('lastLine')}: {m['message']}"
        f" :: {m.get('extract', '').strip()[:100]}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]


def _label(visit: Visit) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in visit.path.strip("/"))
    return f"{visit.role}-{cleaned or 'home'}{'-errors' if visit.errors else ''}"


def test_every_page_passes_axe_nu_and_the_320_px_reflow(
    request, app, live_server, browser, audit_tools, quick_passwords, tmp_path
):
    world = security._build_world(app, quick_passwords, request.getfixturevalue)
    visits = [visit for visits in PAGES.values() for visit in visits]
    tabs, html, problems = {}, {}, []
    for visit in visits:
        if visit.role not in tabs:
            tabs[visit.role] = _signed_in(browser, live_server, visit.role, world)
        tab, label = tabs[visit.role], _label(visit)
        status, html[label] = _open(tab, live_server, visit, world)
        if status >= 500 or status in (403, 404):
            problems.append(f"{label}: answered {status}")
            continue
        if visit.errors:
            problems += _error_state(tab, label)
        violations, sideways = _audit(tab)
        problems += [
            f"{label}: axe {v['id']} ({v['impact']}) {v['help']}\n      "
            + "\n      ".join(v["nodes"])
            for v in violations
        ]
        if sideways:
            problems.append(f"{label}: scrolls sideways at 320 px: {sideways}")
    for tab in tabs.values():
        tab.context.close()
    problems += [f"Nu: {error}" for error in _nu_errors(html, tmp_path)]
    assert not problems, f"{len(problems)} problems on {len(visits)} pages:\n" + "\n".join(problems)
