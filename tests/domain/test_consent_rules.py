"""When a signed consent still counts, whose name must be typed, and what a signature may be."""

import base64
from datetime import UTC, date, datetime, timedelta

import pytest

from intake.domain.consent import (
    ConsentState,
    InvalidSignature,
    consent_state,
    decode_signature,
    same_name,
    text_sha256,
)
from intake.domain.patients import age_on, is_minor

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.mark.parametrize(
    ("signed_days_ago", "version_id", "withdrawn", "expected"),
    [
        (1, 2, False, ConsentState.VALID),
        (364, 2, False, ConsentState.VALID),
        (365, 2, False, ConsentState.EXPIRED),
        (400, 2, False, ConsentState.EXPIRED),
        (1, 1, False, ConsentState.SUPERSEDED),
        (1, 2, True, ConsentState.WITHDRAWN),
        (400, 1, True, ConsentState.WITHDRAWN),  # withdrawal is what the patient needs to see
    ],
)
def test_consent_state(signed_days_ago, version_id, withdrawn, expected):
    state = consent_state(
        signed_at=NOW - timedelta(days=signed_days_ago),
        version_id=version_id,
        current_version_id=2,
        withdrawn=withdrawn,
        now=NOW,
    )
    assert state is expected


def test_the_maximum_age_is_configurable():
    kwargs = dict(version_id=1, current_version_id=1, withdrawn=False, now=NOW)
    signed_at = NOW - timedelta(days=40)
    assert consent_state(signed_at=signed_at, max_age=timedelta(days=30), **kwargs) == "expired"
    assert consent_state(signed_at=signed_at, max_age=timedelta(days=60), **kwargs) == "valid"


def test_no_published_version_means_no_valid_consent():
    state = consent_state(
        signed_at=NOW, version_id=1, current_version_id=None, withdrawn=False, now=NOW
    )
    assert state is ConsentState.SUPERSEDED


@pytest.mark.parametrize(
    ("typed", "legal", "matches"),
    [
        ("Maria Lopez", "Maria Lopez", True),
        ("  maria   LOPEZ ", "Maria Lopez", True),
        ("Maria López", "Maria Lopez", False),
        ("Maria", "Maria Lopez", False),
        ("", "Maria Lopez", False),
    ],
)
def test_typed_name_must_match_the_legal_name(typed, legal, matches):
    assert same_name(typed, legal) is matches


@pytest.mark.parametrize(
    ("born_on", "today", "age"),
    [
        (date(2008, 11, 24), date(2026, 11, 24), 18),
        (date(2008, 11, 25), date(2026, 11, 24), 17),
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # a leap-day birthday comes on 1 March
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_and_minority(born_on, today, age):
    assert age_on(born_on, today) == age
    assert is_minor(born_on, today) is (age < 18)


def data_url(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def test_a_png_signature_is_kept_and_an_empty_one_is_no_signature():
    assert decode_signature(data_url(PNG)) == PNG
    assert decode_signature("") is None
    assert decode_signature("   ") is None


@pytest.mark.parametrize(
    "value",
    [
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode(),
        "data:image/png;base64,not base64!!",
        data_url(b"GIF89a not a png"),
        data_url(PNG + b"\x00" * 400_000),
        "javascript:alert(1)",
    ],
)
def test_anything_but_a_small_png_is_refused(value):
    with pytest.raises(InvalidSignature):
        decode_signature(value)


def test_text_hash_is_sha256_of_the_exact_text():
    assert text_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert text_sha256("abc ") != text_sha256("abc")
