"""The believable demo clinic that `flask seed-demo` loads (fictional people, real ZIP codes)."""

from datetime import date, time

LOCATIONS = [
    dict(
        slug="raleigh-downtown",
        name="Raleigh Downtown",
        address="215 Fayetteville St, Suite 300",
        city="Raleigh",
        state="NC",
        zip_code="27601",
        phone="+19195550101",
    ),
    dict(
        slug="durham-central",
        name="Durham Central",
        address="400 W Main St, Suite 110",
        city="Durham",
        state="NC",
        zip_code="27701",
        phone="+19195550102",
    ),
    dict(
        slug="chapel-hill",
        name="Chapel Hill",
        address="1129 Weaver Dairy Rd, Suite B",
        city="Chapel Hill",
        state="NC",
        zip_code="27514",
        phone="+19195550103",
    ),
    dict(
        slug="cary",
        name="Cary",
        address="1155 Kildaire Farm Rd, Suite 202",
        city="Cary",
        state="NC",
        zip_code="27511",
        phone="+19195550104",
    ),
]

ADMIN_EMAIL = "admin@example.org"  # attests the therapists' competence
STAFF = [
    dict(role="admin", first_name="Alex", last_name="Morgan", email=ADMIN_EMAIL),
    dict(role="front_desk", first_name="Dana", last_name="Reyes", email="frontdesk@example.org"),
]

PATIENTS = [
    dict(role="patient", first_name="Pat", last_name="Jordan", email="patient@example.org"),
    dict(
        role="patient",
        first_name="Robin",
        last_name="Hale",
        email="robin.hale@example.org",
        answers={"anticoagulants": "yes", "anticoagulants_detail": "Apixaban 5 mg twice a day"},
    ),
    dict(
        role="patient",
        first_name="Casey",
        last_name="Ford",
        email="casey.ford@example.org",
        answers={"night_pain": "yes", "night_pain_detail": "Wakes me most nights"},
    ),
]
# Waits for the first request's time, and is offered it when that patient cancels.
WAITLISTED = "patient@example.org"
# The queue is not empty on the first morning: these patients have asked for a visit.
REQUESTS = [("robin.hale@example.org", "john-carver"), ("casey.ford@example.org", "john-carver")]

MORNING, AFTERNOON, LATE = (time(8), time(12)), (time(13), time(17)), (time(12), time(19))

# Each therapist: account, public profile, training, and weekly hours as (location slug, weekday,
# block). The demo admin attests each one's competence on seeding (services/demo.py).
THERAPISTS = [
    dict(
        first_name="John",
        last_name="Carver",
        email="john.carver@example.org",
        slug="john-carver",
        training_course="Dry Needling Level 1 and 2 (Evidence in Motion)",
        training_completed_on=date(2016, 5, 15),
        credentials="PT, DPT, Cert. DN",
        training_hours=150,
        accepting=True,
        locations=["durham-central", "chapel-hill"],
        bio="John treats runners, cyclists and weekend athletes with calf, hamstring and "
        "hip pain.\n\n"
        "He combines dry needling with a progressive running plan so patients get back to "
        "training quickly and safely.",
        hours=[("durham-central", d, b) for d in (0, 2, 4) for b in (MORNING, AFTERNOON)]
        + [("chapel-hill", d, b) for d in (1, 3) for b in (MORNING, AFTERNOON)],
    ),
    dict(
        first_name="Maya",
        last_name="Patel",
        email="maya.patel@example.org",
        slug="maya-patel",
        training_course="Certified Dry Needling Practitioner (Myopain Seminars)",
        training_completed_on=date(2017, 9, 24),
        credentials="PT, DPT, OCS",
        training_hours=120,
        accepting=True,
        locations=["raleigh-downtown", "cary"],
        bio="Maya is a board-certified orthopaedic clinical specialist. She focuses on neck and "
        "shoulder pain, tension headaches and desk-work strain.\n\n"
        "She explains every step before she starts and checks in throughout a session.",
        hours=[("raleigh-downtown", d, b) for d in (0, 1, 3) for b in (MORNING, AFTERNOON)]
        + [("cary", 4, MORNING)],
    ),
    dict(
        first_name="Aisha",
        last_name="Greene",
        email="aisha.greene@example.org",
        slug="aisha-greene",
        training_course="Certified Myofascial Trigger Point Therapist (CMTPT)",
        training_completed_on=date(2019, 3, 10),
        credentials="PT, MPT, CMTPT",
        training_hours=90,
        accepting=True,
        locations=["chapel-hill"],
        bio="Aisha is a certified myofascial trigger point therapist who works with low back, "
        "hip and jaw pain. Before physical therapy she taught high-school biology, and she "
        "still loves to explain how muscles work.",
        hours=[("chapel-hill", d, LATE) for d in (0, 2, 4)],
    ),
    dict(
        first_name="Luis",
        last_name="Ortega",
        email="luis.ortega@example.org",
        slug="luis-ortega",
        training_course="Dry Needling Level 1 and 2 (KinetaCore)",
        training_completed_on=date(2018, 11, 4),
        credentials="PT, DPT, SCS",
        training_hours=110,
        accepting=True,
        locations=["raleigh-downtown", "durham-central"],
        bio="Luis is a sports clinical specialist who has worked with college and club teams. "
        "He treats shoulder, elbow and knee problems in athletes of every age.",
        hours=[("raleigh-downtown", d, b) for d in (2, 4) for b in (MORNING, AFTERNOON)]
        + [("durham-central", d, AFTERNOON) for d in (1, 3)],
    ),
    dict(
        first_name="Grace",
        last_name="Kim",
        email="grace.kim@example.org",
        slug="grace-kim",
        training_course="Functional Dry Needling Level 1 and 2 (Kinetacore)",
        training_completed_on=date(2021, 6, 27),
        credentials="PT, DPT",
        training_hours=80,
        accepting=False,
        locations=["cary"],
        bio="Grace helps people with long-standing pain after injury or surgery return to the "
        "activities they enjoy. Her list is full for now; her current patients can still book.",
        hours=[("cary", d, b) for d in (0, 1, 2, 3) for b in (MORNING, AFTERNOON)],
    ),
]

APPOINTMENT_TYPES = [
    dict(
        slug="initial-dry-needling",
        name="Initial evaluation + dry needling",
        duration_minutes=60,
        buffer_after_minutes=10,
        involves_dry_needling=True,
    ),
    dict(
        slug="dry-needling-follow-up",
        name="Dry needling follow-up",
        duration_minutes=30,
        buffer_after_minutes=10,
        involves_dry_needling=True,
    ),
]


def patient_answers(first_name: str, last_name: str, email: str, **overrides) -> dict:
    """A complete intake as stored, every safety answer "no" unless overridden."""
    from ..domain.screening import nothing_to_report

    answers = {
        "legal_first_name": first_name,
        "legal_last_name": last_name,
        "preferred_name": "",
        "born_on": "1979-04-12",
        "sex": "not_said",
        "phone": "+19195550150",
        "email": email,
        "address": "10 Demo Lane",
        "city": "Durham",
        "state": "NC",
        "zip_code": "27701",
        "emergency_name": "Sam Jordan",
        "emergency_relationship": "Partner",
        "emergency_phone": "+19195550151",
        "reason": "Tight, painful upper back and neck.",
        "pain_areas": ["neck:left", "upper_back:left"],
        "duration": "3_12_months",
        "onset": "gradual",
        "pain_now": 4,
        "pain_worst": 7,
        "pain_least": 2,
        "pain_character": ["aching"],
        "better": "Heat",
        "worse": "Long days at the desk",
        "daily_life": "Hard to concentrate at work.",
        "goals": "Work a full day without pain.",
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


# A visit last week, so the therapist's note, the record and the safety register show something.
PAST_VISIT = dict(
    patient="patient@example.org",
    provider=THERAPISTS[1]["slug"],
    type="dry-needling-follow-up",
    regions=["calf_shin:right", "thigh:right"],
    needles=5,
    events=["bruising"],
    aftercare="Heat on the calf, the two stretches twice a day, walking as usual.",
    addendum="Patient phoned on day 2: the bruise is fading, no other after-effects.",
    check_in_comments="Sore for a day, then much looser. Small bruise behind the knee.",
)


# The clinic's regulars: enough people to fill two weeks of the calendar (services/demo_weeks.py).
REGULARS = [
    ("Avery", "Quinn"), ("Blake", "Morrow"), ("Cameron", "Ellis"), ("Drew", "Patel"),
    ("Emerson", "Shaw"), ("Finley", "Garcia"), ("Harper", "Nguyen"), ("Jamie", "Brooks"),
    ("Kendall", "Rivera"), ("Logan", "Kim"), ("Morgan", "Ortiz"), ("Noel", "Bennett"),
    ("Parker", "Diaz"), ("Reese", "Coleman"), ("Sage", "Howard"), ("Taylor", "Ward"),
    ("Jordan", "Price"), ("Riley", "Foster"),
]  # fmt: skip
# Of the visits before now: how each one ended, as (status, weight).
PAST_OUTCOMES = (("completed", 16), ("cancelled", 2), ("no_show", 1))
# The share of each therapist's slot-grid the regulars fill, on every working day.
BUSY_SHARE = 0.8
