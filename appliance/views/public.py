"""The public picture of the building: what the display, /status.* , live pages and the
MQTT ``rooms`` / ``visits`` / ``status`` topics show (and the volunteers needed, as
``rota/uncovered`` carries them).

Only counts, states, room names and PUBLIC booking titles (a private booking is
"Booked"); never a person's name or contact (the privacy rule: docs/PRIVACY.md). The
queries below select only the columns that may be shown, so a name cannot leak by
accident.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from appliance.core import language
from appliance.core.clock import iso, parse_iso, rfc3339
from appliance.core.config import Config
from appliance.core.hours import is_open
from appliance.core.language import ENGLISH, Words
from appliance.decisions import results
from appliance.rota import coverage
from appliance.storage import state

PRIVATE_TITLE = "Booked"


def _day_bounds(config: Config, now: datetime) -> tuple[str, str]:
    """The site's local day around ``now``, as UTC ISO strings [start, end)."""
    zone = config.site.zone
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return iso(start), iso(end)


def _slot(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "title": row["title"] if row["public"] else PRIVATE_TITLE,
        "start": row["start_at"],
        "end": row["end_at"],
    }


def rooms(conn: sqlite3.Connection, config: Config, now: datetime) -> list[dict[str, Any]]:
    """Each public room: busy now, what is on now and what is next today (public titles only)."""
    at = iso(now)
    _, day_end = _day_bounds(config, now)
    found = []
    for room in conn.execute("SELECT id, name FROM rooms WHERE public = 1 ORDER BY sort_order, name"):
        current = conn.execute(
            "SELECT title, public, start_at, end_at FROM bookings WHERE room_id = ? AND status = 'confirmed'"
            " AND start_at <= ? AND end_at > ? ORDER BY start_at LIMIT 1",
            (room["id"], at, at),
        ).fetchone()
        upcoming = conn.execute(
            "SELECT title, public, start_at, end_at FROM bookings WHERE room_id = ? AND status = 'confirmed'"
            " AND start_at > ? AND start_at < ? ORDER BY start_at LIMIT 1",
            (room["id"], at, day_end),
        ).fetchone()
        found.append(
            {
                "room": room["id"],
                "name": room["name"],
                "busy": current is not None,
                "now": _slot(current) if current else None,
                "next": _slot(upcoming) if upcoming else None,
            }
        )
    return found


def visit_counts(conn: sqlite3.Connection, config: Config, now: datetime) -> dict[str, dict[str, int]]:
    """People signed in now and visits begun today, by kind (``in_building``, ``today``).
    Not for a public surface as it is: :func:`summary` applies the band rule to it."""
    day_start, day_end = _day_bounds(config, now)
    inside = conn.execute(
        "SELECT kind, count(*) FROM visits WHERE signed_out_at IS NULL GROUP BY kind ORDER BY kind"
    )
    today = conn.execute(
        "SELECT kind, count(*) FROM visits WHERE signed_in_at >= ? AND signed_in_at < ? GROUP BY kind ORDER BY kind",
        (day_start, day_end),
    )
    return {"in_building": {k: int(n) for k, n in inside}, "today": {k: int(n) for k, n in today}}


def people_in(conn: sqlite3.Connection, config: Config) -> int:
    """About how many people are inside: the beams' occupancy when there are beams, else sign-ins."""
    if config.beams:
        value = state.get(conn, "occupancy")
        if isinstance(value, dict) and isinstance(value.get("value"), int):
            return max(int(value["value"]), 0)
    row = conn.execute("SELECT count(*) FROM visits WHERE signed_out_at IS NULL").fetchone()
    return int(row[0])


QUIET, BUSY, VERY_BUSY = "Quiet", "Busy", "Very busy"


def busy_band(people: int, config: Config) -> str:
    """How busy in words, by the ``[display]`` thresholds: Quiet, Busy or Very busy."""
    if people >= config.display.very_busy_at:
        return VERY_BUSY
    if people >= config.display.busy_at:
        return BUSY
    return QUIET


def _the(name: str) -> str:
    return name if name.lower().startswith("the ") else f"the {name}"


def _clock(at: str, zone: ZoneInfo) -> str:
    return parse_iso(at).astimezone(zone).strftime("%H:%M")


def band_words(band: str, words: Words = ENGLISH) -> str:
    """A busy band as the screens say it in the catalog's language."""
    _ = words.gettext
    return {QUIET: _("Quiet"), BUSY: _("Busy"), VERY_BUSY: _("Very busy")}.get(band, band)


def sentence(
    open_now: bool, people: int | None, now_on: list[dict[str, Any]], next_on: list[dict[str, Any]], zone: ZoneInfo,
    busy: str | None = None, words: Words = ENGLISH, lang: str = "en",
) -> str:
    """One plain sentence for a hall display or a radio presenter, in the language of
    ``words`` (the site's: appliance.core.language).

    ``now_on`` / ``next_on`` items have ``title``, ``room`` (its name), ``start``, ``end``.
    E.g. "Open. About 12 people in. Now: Toddler group in the Main Hall until 11:30.
    Next: Repair café at 14:00."
    """
    _ = words.gettext

    def room(name: str) -> str:
        # English puts "the" before a room's name; another language's words say it their way.
        return _the(name) if lang == "en" else name

    parts = [_("Open.") if open_now else _("Closed.")]
    if busy is not None and open_now:
        parts.append(_("%(band)s.") % {"band": band_words(busy, words)})  # a band, not a number (display.busy_as)
    elif busy is None and people is not None and (open_now or people > 0):
        if people == 0:
            parts.append(_("Nobody in."))
        elif people == 1:
            parts.append(_("About 1 person in."))
        else:
            parts.append(_("About %(n)d people in.") % {"n": people})
    current = []
    for item in now_on:
        until = _clock(item["end"], zone)
        if item["title"] == PRIVATE_TITLE:
            current.append(_("%(room)s is booked until %(time)s") % {"room": room(item["room"]), "time": until})
        else:
            current.append(_("%(title)s in %(room)s until %(time)s")
                           % {"title": item["title"], "room": room(item["room"]), "time": until})
    if current:
        parts.append(_("Now: %(items)s.") % {"items": "; ".join(current)})
    if next_on:
        first = min(next_on, key=lambda item: item["start"])
        title = first["title"] if first["title"] != PRIVATE_TITLE else (
            _("%(room)s is booked") % {"room": room(first["room"])})
        parts.append(_("Next: %(title)s at %(time)s.") % {"title": title, "time": _clock(first["start"], zone)})
    return " ".join(parts)


def summary(conn: sqlite3.Connection, config: Config, now: datetime) -> dict[str, Any]:
    """Open or not, people in, what is on now and next (public titles), and the sentence
    (in the site's language).

    Pass ``settings.effective(config, conn)`` (read once per request or job), so the
    dashboard's Settings (site name, opening hours) show here; so for :func:`snapshot`.
    """
    room_list = rooms(conn, config, now)
    now_on = [{"room": r["name"], **r["now"]} for r in room_list if r["now"]]
    next_on = [{"room": r["name"], **r["next"]} for r in room_list if r["next"]]
    open_now = is_open(config, now)
    people = people_in(conn, config)
    band = busy_band(people, config)
    # A site that shows a band (so "1 person in" never tells who is alone) shows no count on
    # any public surface: display, /status.*, the API, the live streams and MQTT status and
    # visits. This is the one place that rule is applied; every surface reads it from here.
    banded = config.display.busy_as == "band"
    counts = visit_counts(conn, config, now)
    return {
        "open": open_now,
        "people_in": None if banded else people,
        "now": now_on,
        "next": next_on,
        "busy": band,
        "sentence": sentence(open_now, people, now_on, next_on, config.site.zone, busy=band if banded else None,
                             words=language.words(config.site.language), lang=config.site.language),
        "rooms": room_list,
        "visits": {"in_building": None, "today": None, "busy": band} if banded else {**counts, "busy": band},
    }


def snapshot(conn: sqlite3.Connection, config: Config, now: datetime) -> dict[str, Any]:
    """Everything public about the building right now, as JSON-ready data."""
    doors = state.with_prefix(conn, "door/")
    names = {d.id: d.name or d.id for d in config.doors}
    health = {
        row["component"]: {"status": row["status"], "since": row["since"], "detail": row["detail"]}
        for row in conn.execute("SELECT component, status, since, detail FROM health ORDER BY component")
    }
    public = summary(conn, config, now)
    zone = config.site.zone

    def timed(item: dict[str, Any] | None) -> dict[str, Any] | None:
        # stored UTC times become the one form every JSON answer uses (RFC 3339, site offset)
        if item is None:
            return None
        return {**item, **{k: rfc3339(item[k], zone) for k in ("start", "end", "since", "at") if item.get(k)}}

    return {
        "site": config.site.id,
        "name": config.site.name,
        "at": rfc3339(now, zone),
        "open": public["open"],
        "people_in": public["people_in"],
        "busy": public["busy"],
        "busy_as": config.display.busy_as,
        "sentence": public["sentence"],
        "now": [timed(item) for item in public["now"]],
        "next": [timed(item) for item in public["next"]],
        "rooms": [{**room, "now": timed(room["now"]), "next": timed(room["next"])} for room in public["rooms"]],
        "visits": public["visits"],
        # Shifts of the coming days with open places: times and counts, never who.
        "volunteers_needed": coverage.needed(conn, config, now),
        # Ballots open now (turnout) and closed lately (their result): counts, never who.
        "decisions": [{**item, "closes_at": rfc3339(item["closes_at"], zone)} for item in results.public(conn, now)],
        "doors": {
            door_id: timed({"name": names.get(door_id, door_id), **value}) for door_id, value in doors.items()
        },
        "health": {component: timed(value) for component, value in health.items()},
    }
