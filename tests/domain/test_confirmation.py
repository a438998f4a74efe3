"""May a visit be confirmed: each safety check, and what staff read when one fails."""

from datetime import date

import pytest

from intake.domain.confirmation import (
    Check,
    ConsentFacts,
    VisitFacts,
    failed_checks,
    refusal,
)
from intake.domain.consent import ConsentState

VALID = ConsentFacts(ConsentState.VALID, "2", date(2026, 3, 1))
WITHDRAWN = ConsentFacts(
    ConsentState.WITHDRAWN, "2", date(2026, 3, 1), withdrawn_on=date(2026, 12, 1)
)
EXPIRED = ConsentFacts(ConsentState.EXPIRED, "2", date(2025, 3, 1), expired_on=date(2026, 3, 1))
SUPERSEDED = ConsentFacts(ConsentState.SUPERSEDED, "1", date(2026, 3, 1))
NEVER = ConsentFacts(None)
PHOBIA = "Dry needling should only go ahead with a patient who accepts needles."


def facts(consent=VALID, absolute=(), needling=True, needs_review=False, outcome=None):
    return VisitFacts(needling, consent, tuple(absolute), needs_review, outcome)


@pytest.mark.parametrize(
    ("visit", "checks", "words"),
    [
        (facts(), [], []),
        (
            facts(WITHDRAWN),
            [Check.CONSENT],
            [
                "The patient withdrew consent on December 1, 2026; they must sign again "
                "before this visit is confirmed."
            ],
        ),
        (facts(EXPIRED), [Check.CONSENT], ["signed on March 1, 2025, expired on March 1, 2026"]),
        (
            facts(SUPERSEDED),
            [Check.CONSENT],
            ["version 1", "published a new version", "current one"],
        ),
        (facts(NEVER), [Check.CONSENT], ["has not signed the consent"]),
        (facts(absolute=[PHOBIA]), [Check.SCREENING], ["rules out dry needling", PHOBIA]),
        (facts(needs_review=True), [Check.REVIEW], ["A therapist must review"]),
        (facts(needs_review=True, outcome="cleared"), [], []),
        (facts(needs_review=True, outcome="not_suitable"), [Check.REVIEW], ["not suitable"]),
        (
            facts(WITHDRAWN, [PHOBIA], needs_review=True),
            [Check.CONSENT, Check.SCREENING, Check.REVIEW],
            ["withdrew", PHOBIA, "must review"],
        ),
        # Consent and screening are about needling: other visits go ahead without them.
        (facts(WITHDRAWN, [PHOBIA], needling=False), [], []),
        (facts(NEVER, needling=False, needs_review=True), [Check.REVIEW], ["must review"]),
    ],
)
def test_what_fails_and_why(visit, checks, words):
    failures = failed_checks(visit)
    assert [f.check for f in failures] == checks
    said = " ".join(f.message for f in failures)
    for phrase in words:
        assert phrase in said


def test_a_move_leaves_the_review_for_the_confirmation_after_it():
    visit = facts(WITHDRAWN, needs_review=True)
    assert [f.check for f in failed_checks(visit, review=False)] == [Check.CONSENT]


@pytest.mark.parametrize(
    ("may_override", "verb", "ending"),
    [
        (False, "confirm", "before this visit is confirmed."),
        (True, "confirm", " To confirm anyway, give the reason for overriding."),
        (True, "move it", " To move it anyway, give the reason for overriding."),
    ],
)
def test_the_refusal_tells_an_admin_the_way_on(may_override, verb, ending):
    message = refusal(failed_checks(facts(WITHDRAWN)), may_override=may_override, verb=verb)
    assert message.startswith("The patient withdrew consent on December 1, 2026")
    assert message.endswith(ending)
