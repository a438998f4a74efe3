"""After a needling visit: what patients are told, the next-day check-in, and which answers
cannot wait (a collapsed lung can show itself hours after the visit)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from .questionnaire import Choice

# What is normal, what helps, and the signs that need an emergency department. The aftercare
# email and the check-in pages say the same words; the clinic's phone is added where used.
NORMAL_AFTER_EFFECTS = (
    "Soreness like after a hard workout, for a day or two.",
    "A bruise where a needle went in, which can take a week to fade.",
    "Feeling tired, or a little light-headed, later on the day of the visit.",
)
WHAT_HELPS = (
    "Warmth on the sore muscles (a warm shower or a heat pack).",
    "Gentle movement, and the exercises your therapist gave you.",
    "Drinking plenty of water.",
)
WARNING_SIGNS = (
    "You are short of breath, or breathing is getting harder.",
    "You have chest pain, or pain that is worse when you breathe in deeply.",
    "You have a new dry cough.",
    "Any of these is getting worse over hours.",
)
EMERGENCY_ACTION = (
    "Call 911 or go to an emergency department now. These can be signs of a collapsed lung "
    "(pneumothorax), which is rare but needs urgent care. Then tell us."
)

YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))


@dataclass(frozen=True)
class Question:
    key: str
    label: str  # what the patient is asked
    short: str  # what staff read in the record
    alarming: bool  # a "yes" shows the emergency instructions and opens an urgent callback


# The check-in's yes/no questions, in the order asked. Soreness (0-10) is asked first.
# fmt: off
QUESTIONS = (
    Question("bruising", "Do you have bruising where the needles went in?", "bruising", False),
    Question("dizziness", "Have you felt dizzy or faint since your visit?",
             "dizzy or faint", False),
    Question("short_of_breath", "Are you short of breath, or is breathing harder than usual?",
             "short of breath", True),
    Question("chest_pain", "Do you have chest pain, or pain when you breathe in deeply?",
             "chest pain", True),
    Question("dry_cough", "Do you have a new dry cough?", "new dry cough", True),
)
# fmt: on
SORENESS_LABEL = "How sore are you now, from 0 (not at all) to 10 (the worst you can imagine)?"


@dataclass(frozen=True)
class CheckInAnswers:
    soreness: int
    bruising: bool
    dizziness: bool
    short_of_breath: bool
    chest_pain: bool
    dry_cough: bool
    comments: str = ""

    def said_yes(self) -> tuple[Question, ...]:
        return tuple(q for q in QUESTIONS if getattr(self, q.key))


def is_alarming(answers: CheckInAnswers) -> bool:
    """Any breathing or chest symptom: the patient is told to get emergency care now, and the
    clinic calls them. Soreness, bruising and dizziness go to the therapist's record."""
    return any(question.alarming for question in answers.said_yes())


def check_in_due(completed_at: datetime, delay: timedelta) -> datetime:
    return completed_at + delay


def still_worth_sending(due_at: datetime, now: datetime, link_life: timedelta) -> bool:
    """A check-in queued late (the worker was down) still goes out while its link would work;
    after that, asking "how are you a day later" would be misleading."""
    return due_at <= now < due_at + link_life
