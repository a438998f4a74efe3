"""The adverse-event register: counts by type and month in the clinic's zone, the events
themselves with each serious one's follow-up, and an export without any free text; each in one
statement whatever the numbers."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..domain import needling
from ..domain.questionnaire import Choice
from ..extensions import db
from ..models import AdverseEvent, Callback, Provider, User
from . import audit

MONTHS = 12
LIST_LIMIT = 200
KINDS: tuple[Choice, ...] = tuple(c for c in needling.ADVERSE_EVENTS if c.value != needling.NONE)
CSV_HEADER = ("date", "type", "provider", "visit_id")


@dataclass(frozen=True)
class Month:
    first_day: date  # the first of the month at the clinic
    start: datetime  # its first instant, UTC
    end: datetime  # the next month's first instant, UTC


@dataclass(frozen=True)
class Register:
    months: list[Month]  # oldest first
    counts: dict[tuple[int, str], int]  # (month index, kind) -> events
    # Newest first: occurred_at, kind, appointment_id, provider, and the follow-up callback of a
    # serious one (callback_id, follow_up_status, followed_up_at, follow_up_outcome, and the
    # closer's closer_first and closer_last names), all None when it has none.
    events: list
    more: bool  # more events than listed

    def count(self, month: int, kind: str) -> int:
        return self.counts.get((month, kind), 0)

    def month_total(self, month: int) -> int:
        return sum(n for (m, _kind), n in self.counts.items() if m == month)

    def kind_total(self, kind: str) -> int:
        return sum(n for (_m, k), n in self.counts.items() if k == kind)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def months_back(now: datetime, zone: str, count: int = MONTHS) -> list[Month]:
    """The clinic's current month and the `count - 1` before it, oldest first, each bounded
    by local midnights on the first: a month in which the clocks change keeps its own hours."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    current = date(local.year, local.month, 1)

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)

    firsts = [_months_after(current, -back) for back in range(count - 1, -1, -1)]
    return [Month(f, midnight(f), midnight(_months_after(f, 1))) for f in firsts]


def _months_after(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def register(now: datetime, zone: str) -> Register:
    """Two statements: the counts grouped in the database, and the latest events."""
    months = months_back(now, zone)
    window = (
        AdverseEvent.occurred_at >= months[0].start,
        AdverseEvent.occurred_at < months[-1].end,
    )
    bucket = case(
        *((AdverseEvent.occurred_at < month.end, index) for index, month in enumerate(months))
    )
    # Grouped outside a subquery: PostgreSQL cannot match a GROUP BY of an expression with
    # bound values to the same expression in the SELECT list.
    inner = select(bucket.label("month"), AdverseEvent.kind.label("kind")).where(*window).subquery()
    counted = db.session.execute(
        select(inner.c.month, inner.c.kind, func.count()).group_by(inner.c.month, inner.c.kind)
    ).all()
    events = db.session.execute(_followed_up().where(*window).limit(LIST_LIMIT + 1)).all()
    return Register(
        months=months,
        counts={(month, str(kind)): n for month, kind, n in counted},
        events=events[:LIST_LIMIT],
        more=len(events) > LIST_LIMIT,
    )


def _events():
    return (
        select(
            AdverseEvent.occurred_at,
            AdverseEvent.kind,
            AdverseEvent.appointment_id,
            Provider.display_name.label("provider"),
        )
        .join(Provider, Provider.id == AdverseEvent.provider_id)
        .order_by(AdverseEvent.occurred_at.desc(), AdverseEvent.id.desc())
    )


def _followed_up():
    """The events with the callback each serious one opened or joined, and who closed it."""
    closer = aliased(User)
    return (
        _events()
        .add_columns(
            Callback.id.label("callback_id"),
            Callback.status.label("follow_up_status"),
            Callback.closed_at.label("followed_up_at"),
            Callback.outcome.label("follow_up_outcome"),
            closer.first_name.label("closer_first"),
            closer.last_name.label("closer_last"),
        )
        .outerjoin(Callback, Callback.id == AdverseEvent.callback_id)
        .outerjoin(closer, closer.id == Callback.closed_by_id)
    )


def record_export(actor: User) -> None:
    audit.record("exported_csv", actor_id=actor.id, object_type="adverse_events", commit=True)


def csv_rows(zone: str) -> Iterator[tuple]:
    """Every event ever recorded: its local date, type, provider and visit. No free text: the
    "other" description and the aftercare stay on the note."""
    tz = ZoneInfo(zone)
    for row in db.session.execute(_events().execution_options(yield_per=500)):
        yield (
            row.occurred_at.astimezone(tz).date().isoformat(),
            needling.label(row.kind),
            row.provider,
            row.appointment_id,
        )
