"""Every GET route, with hostile values in each path argument and in the query string: never a
500; NUL is a 400 and an id past the column range a 404."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.models import Appointment, AppointmentStatus
from intake.permissions import Role
from intake.services.queue import PER_PAGE
from tests.security.fuzz_support import (
    ANONYMOUS,
    EDGE_NUMBERS,
    build_world,
    field_names,
    form_classes,
    raw,
    reads_query_string,
    signed_in_client,
    urlencoded,
    value_strategy,
)

EXAMPLES = 6  # query strings per route: about 45 routes

# Who opens each area in real use; the fuzz also opens every route anonymously.
ROLE_OF_BLUEPRINT = {
    "admin": Role.ADMIN,
    "staff": Role.FRONT_DESK,
    "calendar": Role.FRONT_DESK,
    "callbacks": Role.FRONT_DESK,
    "records": Role.FRONT_DESK,
    "patients": Role.FRONT_DESK,
    "schedule": Role.THERAPIST,
    "appointments": Role.PATIENT,
    "intake": Role.PATIENT,
    "consent": Role.PATIENT,
}
ROLE_OF_ENDPOINT = {"booking.confirm": Role.PATIENT, "account.home": Role.PATIENT}

# Keys the views read, and keys that would collide with url_for's own arguments.
COMMON_KEYS = [
    "next",
    "page",
    "move",
    "week",
    "date",
    "view",
    "show",
    "near",
    "location",
    "type",
    "provider",
    "start",
    "requested",
    "endpoint",
    "_external",
    "_anchor",
    "_method",
    "_scheme",
    "values",
]
PATH_HOSTILE = [
    "a\x00b",
    "\x00",
    "\ud800",
    "..",
    "%",
    "' OR 1=1 --",
    "💉",
    "x" * 3000,
    *EDGE_NUMBERS,
]
ARGUMENT = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


@pytest.fixture
def world(app, clinic, ready_patient, make_user, make_appointment):
    return build_world(app, clinic, ready_patient, make_user, make_appointment)


def role_of(endpoint: str):
    blueprint = endpoint.split(".")[0]
    return ROLE_OF_ENDPOINT.get(endpoint) or ROLE_OF_BLUEPRINT.get(blueprint, ANONYMOUS)


def get_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


def path_of(rule, world, replace: str | None = None, value: str = "") -> str:
    """The rule's path with the world's values, one argument replaced by a raw value."""

    def fill(match):
        name = match.group(1)
        if name == replace:
            return raw(value)
        if name == "token" and rule.endpoint == "feed.calendar":
            return raw(world.ids["feed_token"])
        return raw(str(world.ids[name]))

    return ARGUMENT.sub(fill, rule.rule)


class Clients:
    """One signed-in client per role (a GET changes nothing), and one anonymous."""

    def __init__(self, app, world):
        self.app, self.world, self.made = app, world, {}

    def _client(self, email):
        if email not in self.made:
            self.made[email] = signed_in_client(self.app, email)
        return self.made[email]

    def for_endpoint(self, endpoint: str):
        role = role_of(endpoint)
        email = self.world.emails[Role.PATIENT if role == ANONYMOUS else role]
        return {False: self._client(None), True: self._client(email)}


def query_keys(app) -> list[str]:
    keys = set(COMMON_KEYS)
    for form_class in form_classes():
        if reads_query_string(form_class):
            keys.update(field_names(app, form_class))
    return sorted(keys)


# --- the cases the outside fuzzer found ----------------------------------------------------


@pytest.mark.parametrize("path", ["/providers/a%00b", "/book/a%00b", "/providers?near=a%00b"])
def test_a_nul_byte_in_an_address_gets_the_sites_400_page(client, path):
    answer = client.get(path)

    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "characters we cannot accept" in page
    assert "Triangle Dry Needling" in page  # the site's own layout, not a bare error


def test_an_appointment_number_past_the_column_range_is_not_found(app, world):
    patient = signed_in_client(app, world.emails[Role.PATIENT])

    assert patient.get("/account/appointments/2147483648").status_code == 404
    assert patient.get("/account/appointments/" + "9" * 5000).status_code == 404
    own = world.ids["appointment_id"]
    assert patient.get(f"/account/appointments/{own}").status_code == 200


def test_a_huge_appointment_to_move_just_shows_the_free_times(app, world):
    patient = signed_in_client(app, world.emails[Role.PATIENT])
    slug, location, kind = world.ids["slug"], world.good["location"], world.good["type"]

    answer = patient.get(f"/book/{slug}?move={2**70}&location={location}&type={kind}")

    assert answer.status_code == 200
    assert "move=" not in answer.get_data(as_text=True)  # nothing is being moved


def test_an_unknown_query_key_never_reaches_the_queue_links(app, world, clinic, make_user):
    from tests.conftest import persist

    patient = make_user(Role.PATIENT)
    start = datetime(2030, 1, 7, 15, tzinfo=UTC)
    persist(
        app,
        *(
            Appointment(
                patient_id=patient.id,
                provider_id=clinic.provider.id,
                location_id=clinic.location.id,
                type_id=clinic.type.id,
                starts_at=start + timedelta(hours=n),
                ends_at=start + timedelta(hours=n, minutes=30),
                blocks_until=start + timedelta(hours=n, minutes=30),
                status=AppointmentStatus.DECLINED,
                screening_snapshot={},
            )
            for n in range(PER_PAGE)
        ),
    )
    desk = signed_in_client(app, world.emails[Role.FRONT_DESK])

    answer = desk.get("/staff/requests?status=all&endpoint=x&_anchor=y&page=2")

    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'rel="prev"' in page  # the link that carries the filters on is there
    assert "status=all" in page
    assert "endpoint=" not in page
    assert "#y" not in page


def test_an_audit_search_to_the_end_of_time_is_a_form_error(app, world):
    admin = signed_in_client(app, world.emails[Role.ADMIN])

    answer = admin.get("/admin/audit?until=9999-12-31")

    assert answer.status_code == 200
    assert "Choose a day between 2000 and 2100." in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("patient", "shown"),
    [
        ("²", "Enter a patient number, such as 42"),
        ("99999999999999999999", "No events match these filters."),
        ("2147483648", "No events match these filters."),
    ],
)
def test_an_audit_search_for_an_impossible_patient_number_finds_nothing(app, world, patient, shown):
    admin = signed_in_client(app, world.emails[Role.ADMIN])

    answer = admin.get("/admin/audit", query_string={"patient": patient})

    assert answer.status_code == 200
    assert shown in answer.get_data(as_text=True)


# --- the fuzz ------------------------------------------------------------------------------


def test_every_path_argument_refuses_hostile_values_without_a_500(app, world):
    failures = []
    signed_in_clients = Clients(app, world)
    for rule in get_rules(app):
        if not rule.arguments:
            continue
        clients = signed_in_clients.for_endpoint(rule.endpoint)
        for name in sorted(rule.arguments):
            for value in PATH_HOSTILE:
                for signed_in, client in clients.items():
                    path = path_of(rule, world, name, value)
                    with client.get(path) as answer:
                        code = answer.status_code
                    if code == 500 or ("\x00" in value and code != 400):
                        failures.append((rule.rule, name, value[:20], signed_in, code))
                    big = value.isascii() and value.isdigit() and len(value) >= 10
                    if signed_in and big and rule.rule.find(f"int:{name}") > 0 and code != 404:
                        failures.append((rule.rule, name, value[:20], signed_in, code))
    assert failures == []


def fuzz_query(rule, path: str, clients, keys, values, opened):
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        signed_in=st.sampled_from([True, True, False]),
        pairs=st.lists(st.tuples(keys, values), min_size=1, max_size=4),
    )
    def open_with(signed_in, pairs):
        with clients[signed_in].get(f"{path}?{urlencoded(pairs)}") as answer:
            code = answer.status_code  # closed at once: a file answer holds its file open
        opened.append(rule.rule)
        assert code != 500, (rule.rule, pairs)
        if any("\x00" in key + value for key, value in pairs):
            assert code == 400, (rule.rule, pairs)

    open_with()


def test_hostile_query_strings_on_every_get_route_never_answer_500(app, world):
    keys = st.sampled_from(query_keys(app))
    values = value_strategy(world.values)
    opened = []
    signed_in_clients = Clients(app, world)
    for rule in get_rules(app):
        clients = signed_in_clients.for_endpoint(rule.endpoint)
        fuzz_query(rule, path_of(rule, world), clients, keys, values, opened)
    assert set(opened) == {rule.rule for rule in get_rules(app)}


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("plain", False),
        ("", False),
        (None, False),
        ("é 💉", False),
        ("a\x00b", True),
        ("\ud800", True),
        ("x\udfff", True),
    ],
)
def test_the_guard_refuses_only_what_no_database_stores(text, refused):
    from intake.requests_guard import unstorable

    assert unstorable(text) is refused
