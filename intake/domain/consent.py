"""Informed consent: what the patient acknowledges, and when a signed consent still counts."""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 300_000
DEFAULT_MAX_AGE = timedelta(days=365)


@dataclass(frozen=True)
class Acknowledgement:
    key: str
    heading: str  # the section of the consent text it refers to
    statement: str


# One checkbox per risk group of the consent text; each must be ticked to sign.
ACKNOWLEDGEMENTS: tuple[Acknowledgement, ...] = (
    Acknowledgement(
        "nature",
        "About the procedure",
        "I understand that dry needling puts a thin, solid, sterile needle into my muscle, "
        "that nothing is injected, that it is not acupuncture, and that twitches and a brief "
        "cramp or ache are expected.",
    ),
    Acknowledgement(
        "common",
        "Common effects",
        "I understand the common effects: soreness for one to two days, bruising or minor "
        "bleeding, tiredness and light-headedness.",
    ),
    Acknowledgement(
        "uncommon",
        "Uncommon effects",
        "I understand the uncommon effects: fainting, nausea and a short flare of my symptoms.",
    ),
    Acknowledgement(
        "serious",
        "Rare but serious risks",
        "I understand the rare but serious risks: a collapsed lung (pneumothorax), whose signs "
        "can start hours later and need urgent care; infection; nerve or blood-vessel injury; "
        "and a broken needle.",
    ),
    Acknowledgement(
        "rights",
        "No guarantee, other options and your rights",
        "I understand that results are not guaranteed, that other treatments exist, and that "
        "I may ask questions, refuse, or stop at any time, even mid-session.",
    ),
    Acknowledgement(
        "duration",
        "How long this consent lasts",
        "I understand that this consent covers my course of treatment until I withdraw it or "
        "the clinic issues a new version.",
    ),
)


# As our renderer (Python-Markdown, no extensions) reads them: `#Title` needs no space, and a
# line indented by four spaces is code.
_ATX = re.compile(r"^ {0,3}#{1,6}(.*?)#*[ \t]*$")
_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_NOT_A_TITLE = re.compile(r"^(?: {4}|\t)| {0,3}(?:[-*+>]|\d+\.)(?:\s|$)")


def _comparable(heading: str) -> str:
    """Case, spacing, emphasis marks and a trailing colon or full stop do not matter."""
    words = " ".join(heading.replace("*", " ").replace("_", " ").split())
    return words.rstrip(":.").strip().casefold()


def headings(markdown: str) -> list[str]:
    """The headings of a Markdown text: `## Title` lines and underlined titles."""
    found: list[str] = []
    previous = ""
    for line in markdown.splitlines():
        if atx := _ATX.match(line):
            found.append(atx[1].strip())
            previous = ""
        elif previous.strip() and not _NOT_A_TITLE.match(previous) and _UNDERLINE.match(line):
            found.append(previous.strip())
            previous = ""
        else:
            previous = line
    return found


def missing_sections(
    markdown: str, acknowledgements: tuple[Acknowledgement, ...] = ACKNOWLEDGEMENTS
) -> list[Acknowledgement]:
    """The acknowledgements whose section heading the text lacks: a patient would tick a box
    about a risk the text never explains, so such a text cannot be published."""
    present = {_comparable(heading) for heading in headings(markdown)}
    return [ack for ack in acknowledgements if _comparable(ack.heading) not in present]


class ConsentState(StrEnum):
    VALID = "valid"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"  # signed for an older version of the text
    EXPIRED = "expired"


class InvalidSignature(ValueError):
    """The drawn signature is not a PNG image we can keep."""


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def consent_state(
    *,
    signed_at: datetime,
    version_id: int,
    current_version_id: int | None,
    withdrawn: bool,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> ConsentState:
    """Valid while for the current version, not withdrawn, and younger than max_age."""
    if withdrawn:
        return ConsentState.WITHDRAWN
    if version_id != current_version_id:
        return ConsentState.SUPERSEDED
    if now - signed_at >= max_age:
        return ConsentState.EXPIRED
    return ConsentState.VALID


def same_name(typed: str, legal: str) -> bool:
    """Case and spacing do not matter; spelling does."""
    return " ".join(typed.split()).casefold() == " ".join(legal.split()).casefold()


def decode_signature(data_url: str) -> bytes | None:
    """An empty field means no drawn signature (it is optional); anything else must be a PNG."""
    if not data_url.strip():
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise InvalidSignature("The signature must be a PNG image.")
    try:
        image = base64.b64decode(data_url.removeprefix(prefix), validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidSignature("The signature image could not be read.") from error
    if not image.startswith(PNG_MAGIC):
        raise InvalidSignature("The signature must be a PNG image.")
    if len(image) > MAX_SIGNATURE_BYTES:
        raise InvalidSignature("The signature image is too large.")
    return image
