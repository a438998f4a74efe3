"""Each consent checkbox refers to a section of the text: a text without it cannot be signed."""

from pathlib import Path

import pytest

import intake
from intake.domain.consent import ACKNOWLEDGEMENTS, Acknowledgement, headings, missing_sections

SHIPPED = Path(intake.__file__).parent / "content" / "consent_v1.md"
RISKS = (
    Acknowledgement("common", "Common effects", "I understand the common effects."),
    Acknowledgement("rights", "Your rights", "I may stop at any time."),
)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("# Consent\n\n## Common effects\n\nText.", ["Consent", "Common effects"]),
        ("## Closed heading ##\n", ["Closed heading"]),
        ("#Tight\n", ["Tight"]),  # our renderer needs no space after the hashes
        ("   ### Indented a little\n", ["Indented a little"]),
        ("Underlined\n==========\n\nSecond\n------\n", ["Underlined", "Second"]),
        ("    ## Code, not a heading\n", []),
        ("- a list item\n---\n", []),  # a rule under a list item, not a title
        ("Plain text with # inside.\n", []),
        ("", []),
    ],
)
def test_headings_are_read_as_the_renderer_reads_them(markdown, expected):
    assert headings(markdown) == expected


@pytest.mark.parametrize(
    ("markdown", "missing"),
    [
        ("## Common effects\n\n## Your rights\n", []),
        ("## COMMON EFFECTS\n\n## your rights\n", []),  # case does not matter
        ("## Common   effects:\n\n## **Your rights**\n", []),  # nor spacing, colon, emphasis
        ("Common effects\n---\n\nYour rights\n===\n", []),
        ("## Common effects\n\nYour rights are many.\n", ["rights"]),  # words, not a heading
        ("## Uncommon effects\n\n## Your rights\n", ["common"]),  # a heading must match whole
        ("## Common effects and more\n\n## Your rights\n", ["common"]),
        ("# Consent\n\nNothing else.\n", ["common", "rights"]),
        ("", ["common", "rights"]),
    ],
)
def test_a_text_lacks_the_sections_whose_heading_it_does_not_have(markdown, missing):
    assert [ack.key for ack in missing_sections(markdown, RISKS)] == missing


def test_every_checkbox_names_a_section():
    assert all(ack.heading.strip() for ack in ACKNOWLEDGEMENTS)


def test_the_shipped_consent_has_every_section_the_checkboxes_refer_to():
    assert missing_sections(SHIPPED.read_text(encoding="utf-8")) == []
