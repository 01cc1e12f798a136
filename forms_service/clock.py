"""The organisation's clock: the moments coordinators read (the desk, its export, the
emails, the digest's day) in FORMS_TIMEZONE, with the zone named, so that nobody has to
guess whose clock a time is on.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(timestamp: float, timezone: str) -> datetime:
    """A stored moment (seconds since the epoch) in the organisation's time zone."""
    return datetime.fromtimestamp(timestamp, ZoneInfo(timezone))


def zone_name(moment: datetime) -> str:
    """The zone as people write it (EST, CEST); the zones the tz database gives no letters
    ("-03", "+0545") read as an offset from UTC as people write one ("UTC-03",
    "UTC+05:45")."""
    abbreviation = moment.strftime("%Z")
    if not abbreviation.startswith(("+", "-")):
        return abbreviation
    if len(abbreviation) == 5:  # hours and minutes
        abbreviation = f"{abbreviation[:3]}:{abbreviation[3:]}"
    return "UTC" + abbreviation


def readable(moment: datetime) -> str:
    """For a person: "26 Nov 2026, 09:15 EST"."""
    return f"{moment:%-d %b %Y, %H:%M} {zone_name(moment)}"


def iso(moment: datetime) -> str:
    """For a machine: ISO 8601 with the offset, "2026-11-26T09:15:00-05:00"."""
    return moment.isoformat(timespec="seconds")
