"""Reading the dates editors write and showing them the way Vietnamese readers expect."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATE_FORMAT = "%d/%m/%Y - %I:%M %p"

_VIETNAMESE = re.compile(
    r"""^(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})
        (?:\s*(?:-\s*|\s)\s*(?P<hour>\d{1,2})[:hg](?P<minute>\d{2})(?::(?P<second>\d{2}))?
           \s*(?P<ampm>[AaPp]\.?[Mm]\.?|SA|CH|sa|ch)?)?$""",
    re.VERBOSE,
)

_ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|[Zz])?$")


class DateError(ValueError):
    """A date value that cannot be read; the message says which forms work."""


def time_zone(name: str) -> tzinfo:
    """Look up an IANA time zone such as ``Asia/Ho_Chi_Minh``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DateError(f"unknown time zone {name!r}") from exc


def _localize(value: datetime, tz: tzinfo) -> datetime:
    """A naive date-time is in the site's time zone, never UTC (hugo#12940)."""
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _from_vietnamese(match: re.Match[str]) -> datetime:
    parts = match.groupdict()
    hour = int(parts["hour"] or 0)
    ampm = (parts["ampm"] or "").replace(".", "").upper()
    if ampm:
        if not 1 <= hour <= 12:
            raise DateError(f"hour {hour} is not valid with {ampm}")
        is_pm = ampm in ("PM", "CH")
        hour = hour % 12 + (12 if is_pm else 0)
    return datetime(
        int(parts["year"]),
        int(parts["month"]),
        int(parts["day"]),
        hour,
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
    )


def parse_date(value: object, tz: tzinfo) -> datetime:
    """Turn a front-matter value into an aware datetime.

    Accepts YAML dates and timestamps, ISO 8601 strings with or without an
    offset, and ``dd/mm/yyyy``, ``dd/mm/yyyy HH:MM`` and the old portal's
    ``dd/mm/yyyy - hh:mm AM/PM``.
    """
    if isinstance(value, datetime):
        return _localize(value, tz)
    if isinstance(value, date):
        return datetime.combine(value, time(), tz)
    if not isinstance(value, str):
        raise DateError(f"expected a date, got {type(value).__name__}")
    text = " ".join(value.split())
    match = _VIETNAMESE.match(text)
    try:
        if match:
            return _localize(_from_vietnamese(match), tz)
        iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        return _localize(datetime.fromisoformat(iso), tz)
    except ValueError as exc:
        if isinstance(exc, DateError):
            raise
        if match or _ISO_SHAPE.match(text):  # the form is right, the day or hour is not (31/02, 24:00)
            raise DateError(f"date {value!r} does not exist: {exc}") from None
        raise DateError(
            f"cannot read date {value!r}: use 2020-07-14T16:29:00+07:00, "
            "14/07/2020, 14/07/2020 16:29 or 14/07/2020 - 04:29 PM"
        ) from None


def format_date(value: datetime, pattern: str = DEFAULT_DATE_FORMAT, months: list[str] | None = None) -> str:
    """strftime without the C locale's surprises: ``%p`` is always AM/PM.

    ``%B`` uses the given month names (from the language file) when present.
    """
    pattern = pattern.replace("%p", "AM" if value.hour < 12 else "PM")
    if months:
        pattern = pattern.replace("%B", months[value.month - 1].replace("%", "%%"))
    return value.strftime(pattern)


def isoformat(value: datetime) -> str:
    """ISO 8601 with the offset, to the second, for ``<time>`` and feeds."""
    return value.isoformat(timespec="seconds")


def date_style(site_format: str, ui: dict[str, str]) -> tuple[str, list[str] | None]:
    """The pattern and month names dates are shown with: the language's unless site.yaml sets its own."""
    months = [ui[f"month_{n}"] for n in range(1, 13)] if "month_1" in ui else None
    pattern = ui.get("date_format", site_format) if site_format == DEFAULT_DATE_FORMAT else site_format
    return pattern, months
