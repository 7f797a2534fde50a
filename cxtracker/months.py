"""Periods of an organization: the one ``Month`` type (SPEC §4: periods are calendar months in the
organization's timezone), with ``Week`` and ``Quarter`` for the queries that ask for them.

No Django here: a period knows its first and last day; ``bounds(tz)`` turns it into the aware
[start, end) datetimes that filter timestamps. Every app parses, steps and bounds months here.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import ClassVar, Self

# Older dates are typos, and years near 1 overflow when converted to UTC.
MIN_YEAR, MAX_YEAR = 1970, 2999


class _Period:
    """What every period offers: parsing, first/last day, bounds in a timezone, ordering by start.

    A period written ``YYYY-<sep>NN`` is read by ``parse``: its class gives the ``pattern`` (year,
    then number) and how it is ``written``, for the error."""

    kind: ClassVar[str]
    pattern: ClassVar[re.Pattern]
    written: ClassVar[str]

    @classmethod
    def parse(cls, value: str | None) -> Self:
        """The period written ``value``; ValueError otherwise (and outside 1970–2999)."""
        match = cls.pattern.fullmatch(value or "")
        if not match:
            raise ValueError(f"not a {cls.kind} ({cls.written}): {value!r}")
        period = cls(int(match[1]), int(match[2]))
        if not MIN_YEAR <= period.year <= MAX_YEAR:
            raise ValueError(f"year out of {MIN_YEAR}..{MAX_YEAR}: {period.year}")
        period.first_day  # noqa: B018 - raises ValueError for a week the year does not have
        return period

    @classmethod
    def parse_or_none(cls, value: str | None) -> Self | None:
        try:
            return cls.parse(value)
        except ValueError:
            return None

    @property
    def first_day(self) -> datetime.date:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def end_day(self) -> datetime.date:
        """The first day after the period."""
        return self.next().first_day

    @property
    def last_day(self) -> datetime.date:
        return self.end_day - datetime.timedelta(days=1)

    def bounds(self, tz: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) as aware datetimes at midnight in ``tz``."""
        return (
            datetime.datetime.combine(self.first_day, datetime.time.min, tzinfo=tz),
            datetime.datetime.combine(self.end_day, datetime.time.min, tzinfo=tz),
        )

    def months(self) -> list[Month]:
        """The months overlapping the period."""
        return Month.range(Month.of(self.first_day), Month.of(self.last_day))

    def next(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def __lt__(self, other):
        return (self.first_day, self.kind) < (other.first_day, other.kind)

    def __le__(self, other):
        return self == other or self < other


class _YearPart(_Period):
    """A period that cuts the calendar year into ``per_year`` parts numbered from 1 (``number``):
    months and quarters step by arithmetic on their index, ``year × per_year + number − 1``."""

    per_year: ClassVar[int]
    year: int

    @property
    def number(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def shift(self, parts: int) -> Self:
        """The period ``parts`` later (earlier when negative)."""
        index = self.year * self.per_year + self.number - 1 + parts
        return type(self)(index // self.per_year, index % self.per_year + 1)

    def next(self) -> Self:
        return self.shift(1)

    def previous(self) -> Self:
        return self.shift(-1)


@dataclass(frozen=True, eq=True)
class Month(_YearPart):
    year: int
    month: int

    kind: ClassVar[str] = "month"
    per_year: ClassVar[int] = 12
    pattern: ClassVar[re.Pattern] = re.compile(r"(\d{4})-(\d{2})")
    written: ClassVar[str] = "YYYY-MM"

    def __post_init__(self):
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be in 1..12, not {self.month}")

    @classmethod
    def of(cls, day: datetime.date | datetime.datetime, tz: datetime.tzinfo | None = None) -> Month:
        """The month holding ``day``; an aware datetime is first read in ``tz`` when given."""
        if isinstance(day, datetime.datetime):
            if tz is not None:
                day = day.astimezone(tz)
            day = day.date()
        return cls(day.year, day.month)

    @classmethod
    def range(cls, first: Month, last: Month) -> list[Month]:
        """Every month from ``first`` to ``last``, both included (empty when last < first)."""
        months, month = [], first
        while month <= last:
            months.append(month)
            month = month.next()
        return months

    @property
    def number(self) -> int:
        return self.month

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    def __sub__(self, other: Month) -> int:
        """Number of months from ``other`` to this one."""
        return (self.year - other.year) * 12 + self.month - other.month

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, eq=True)
class Week(_Period):
    """An ISO week (Monday to Sunday), ``YYYY-Www``."""

    year: int
    week: int

    kind: ClassVar[str] = "week"
    pattern: ClassVar[re.Pattern] = re.compile(r"(\d{4})-W(\d{2})")
    written: ClassVar[str] = "YYYY-Www"

    @classmethod
    def of(cls, day: datetime.date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def first_day(self) -> datetime.date:
        return datetime.date.fromisocalendar(self.year, self.week, 1)

    def next(self) -> Week:
        return Week.of(self.first_day + datetime.timedelta(days=7))

    def previous(self) -> Week:
        return Week.of(self.first_day - datetime.timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


@dataclass(frozen=True, eq=True)
class Quarter(_YearPart):
    """A calendar quarter, ``YYYY-Qn``: the sum of its three months."""

    year: int
    quarter: int

    kind: ClassVar[str] = "quarter"
    per_year: ClassVar[int] = 4
    pattern: ClassVar[re.Pattern] = re.compile(r"(\d{4})-Q([1-4])")
    written: ClassVar[str] = "YYYY-Qn"

    @classmethod
    def of(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def number(self) -> int:
        return self.quarter

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.quarter - 2, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"


PERIOD_TYPES = {"month": Month, "week": Week, "quarter": Quarter}


def period_of(kind: str, day: datetime.date) -> Month | Week | Quarter:
    """The period of ``kind`` (month, week, quarter) holding ``day``."""
    return PERIOD_TYPES[kind].of(day)


def periods_between(kind: str, first: datetime.date, last: datetime.date) -> list:
    """Every period of ``kind`` overlapping [first, last], in order."""
    periods, period = [], period_of(kind, first)
    while period.first_day <= last:
        periods.append(period)
        period = period.next()
    return periods


@dataclass(frozen=True, eq=True)
class MonthSpan(_Period):
    """The months ``first``…``last`` read as one period: what the dashboard's filters choose.

    The engine's reads take it like a quarter: deployment over its member-months, transformation
    at its end, survey KPIs summed over its months. ``previous()`` is the span of the same length
    just before, the one each change is measured against."""

    first: Month
    last: Month

    kind: ClassVar[str] = "span"

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError("a span ends after it starts")

    @property
    def first_day(self) -> datetime.date:
        return self.first.first_day

    def __len__(self) -> int:
        return self.last - self.first + 1

    def next(self) -> MonthSpan:
        return MonthSpan(self.last.next(), self.last.shift(len(self)))

    def previous(self) -> MonthSpan:
        return MonthSpan(self.first.shift(-len(self)), self.first.previous())

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}/{self.last}"
