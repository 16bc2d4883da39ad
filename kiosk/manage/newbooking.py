"""/dashboard/manage/bookings/new: book a room for a person on the register or a named
group, once or repeating (every week, every two weeks, monthly on a date or a weekday,
until a date or a number of times).

Before anything is saved the dates are checked: a live preview (booking_new.js posts the
form to /new/preview as it is filled in; "Check dates" does the same without
JavaScript) lists every date and, for each one that clashes, offers to skip it or move
it to one of the nearest free times or a time of the admin's choosing. A one-off booking
that clashes offers the nearest free slots as buttons. The admin is the approval: what
is made here is confirmed, in any room.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for

from appliance.booking import bookings, recurrence, rooms, series
from appliance.booking.availability import Slot
from appliance.core.clock import human, parse_iso, rfc3339
from appliance.core.inputs import InputError, clean_text, parse_date
from appliance.people import register
from kiosk.auth import login_required
from kiosk.context import web
from kiosk.manage.forms import (
    FormErrors,
    admin_action,
    checkbox,
    render,
    sentence,
    slot_value,
    whole_number,
)

bp = Blueprint("newbooking", __name__)
bp.add_app_template_filter(sentence, "sentence")

WALL = "%Y-%m-%dT%H:%M"
REPEATS = {
    "": "Does not repeat",
    "weekly": "Every week",
    "fortnightly": "Every two weeks",
    "monthly_date": "Every month on the same date (e.g. the 14th)",
    "monthly_weekday": "Every month on the same weekday (e.g. the 2nd Tuesday)",
    "monthly_last": "Every month on the last of that weekday (e.g. the last Friday)",
}


@dataclass
class Wanted:
    """What the form asks for: the booking, its rule (None: once), and what to do with each clash."""

    request: bookings.BookingRequest
    rule: str | None = None
    moves: dict[datetime, tuple[datetime, datetime]] = field(default_factory=dict)
    skips: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)


def occurrence_key(at: datetime) -> str:
    """A clashing date's name in the form (its UTC start, compact)."""
    return at.strftime("%Y%m%dT%H%MZ")


def _text(form: Any, name: str, label: str, errors: FormErrors, required: bool = False) -> str:
    try:
        return clean_text(form.get(name, ""), label, bookings.MAX_TEXT, required=required)
    except InputError as exc:
        errors[name] = str(exc)
        return ""


def _time(form: Any, name: str, label: str, errors: FormErrors) -> datetime | None:
    try:
        return bookings.parse_time(form.get(name, ""), web().config)
    except bookings.BookingError:
        errors[name] = f"{label}: give a date and time, like 2026-03-02T18:30."
        return None


def _person(form: Any, errors: FormErrors) -> register.Person | None:
    text = (form.get("person") or "").strip()
    if not text:
        return None
    person = register.get(web().db.conn(), int(text)) if text.isdigit() else None
    if person is None or not person.active:
        errors["person"] = f"There is no current member or volunteer #{text[:12]}; choose one from the list."
    return person


DATE_FIELDS = ("room", "start", "end", "repeat", "count", "until")


def parse(form: Any, errors: FormErrors) -> Wanted | None:
    """Read the form into a :class:`Wanted`; each wrong field adds a sentence to ``errors``.

    None only when the room or the dates cannot be read: the dates can be checked (and
    previewed) before the title and the organiser are filled in.
    """
    room = (form.get("room") or "").strip()
    if not room:
        errors["room"] = "Choose a room."
    start, end = _time(form, "start", "Starts", errors), _time(form, "end", "Ends", errors)
    if slot := (form.get("slot") or "").strip():  # a nearest-free-slot button
        start, end = _slot(slot, errors)
    if start and end and end <= start:
        errors["end"] = "Ends must be after the start."
    rule = _rule(form, start, errors)
    title = _text(form, "title", "title", errors, required=True)
    person = _person(form, errors)
    group = _text(form, "group", "group", errors)
    organiser = _text(form, "organiser", "organiser", errors) or (person.name if person else "")
    if not organiser and "organiser" not in errors:
        errors["organiser"] = "Who is organising it? Type a name, or choose a person on the register."
    contact = _text(form, "contact", "contact", errors)
    headcount = whole_number(form, "headcount", errors, "Expected headcount", optional=True, minimum=1)
    if any(name in errors for name in DATE_FIELDS) or start is None or end is None:
        return None
    wanted = Wanted(bookings.BookingRequest(
        room=room, start=start, end=end, title=title, organiser=organiser, contact=contact, group=group,
        headcount=headcount, public=checkbox(form, "public"), person_id=person.id if person else None,
        source="dashboard", approved=True, made_by="admin",
        release_if_no_show=checkbox(form, "release_if_no_show")), rule)
    wanted.seen = set(form.getlist("seen")) if hasattr(form, "getlist") else set()
    _choices(form, wanted, errors)
    return wanted


def _slot(value: str, errors: FormErrors) -> tuple[datetime | None, datetime | None]:
    try:
        first, _, second = value.partition("|")
        return parse_iso(first), parse_iso(second)
    except ValueError:
        errors["start"] = "That free slot could not be read; type the times instead."
        return None, None


def _rule(form: Any, start: datetime | None, errors: FormErrors) -> str | None:
    repeat = form.get("repeat", "")
    if repeat not in REPEATS:
        errors["repeat"] = "Choose how often it repeats from the list."
        return None
    if not repeat or start is None:
        return None
    first = start.astimezone(web().config.site.zone).date()
    count, until = None, None
    if form.get("ends") == "count":
        count = whole_number(form, "count", errors, "How many times", minimum=1)
        if count is None:
            return None
        if count > recurrence.MAX_COUNT:
            errors["count"] = f"How many times: at most {recurrence.MAX_COUNT}."
            return None
    else:
        try:
            until = parse_date(form.get("until", ""), "last date")
        except InputError as exc:
            errors["until"] = f"{exc} Or choose 'after a number of times'."
            return None
    try:
        return recurrence.rule_for(repeat, first, count=count, until=until)
    except recurrence.RecurrenceError as exc:
        errors["repeat"] = sentence(str(exc))
        return None


def _choices(form: Any, wanted: Wanted, errors: FormErrors) -> None:
    """Each clashing date the admin has seen: skip it, or move it to a nearest slot or a time of their own."""
    for key in sorted(wanted.seen):
        choice = form.get(f"move-{key}", "skip")
        try:
            occurrence = datetime.strptime(key, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        except ValueError:
            errors["_form"] = "The list of clashing dates could not be read; press Check dates and choose again."
            return
        if choice == "skip":
            wanted.skips.add(key)
        elif choice == "custom":
            start = _time(form, f"move-{key}-start", "New start", errors)
            end = _time(form, f"move-{key}-end", "New end", errors)
            if start and end:
                wanted.moves[occurrence] = (start, end)
        else:
            start, end = _slot(choice, errors)
            if start and end:
                wanted.moves[occurrence] = (start, end)


@dataclass
class Preview:
    """What the dates look like: for one booking its clash (or none); for a series each date."""

    words: str = ""
    dates: list[dict[str, Any]] = field(default_factory=list)
    clash: bookings.Conflict | None = None
    problem: str = ""
    start: datetime | None = None
    end: datetime | None = None

    @property
    def clashing(self) -> list[dict[str, Any]]:
        """The dates that clash."""
        return [d for d in self.dates if d["problem"]]


def preview(wanted: Wanted) -> Preview:
    """Check the dates without saving anything."""
    w = web()
    conn, now, config = w.db.conn(), w.clock.now(), w.config
    request = wanted.request
    try:
        room = rooms.get_room(conn, request.room)
    except rooms.RoomError as exc:
        return Preview(problem=sentence(str(exc)))
    try:
        if wanted.rule is None:
            bookings.check_times(room, request.start, request.end, config, now)
            clash = bookings.clash(conn, room, request.start, request.end, config, now)
            return Preview(clash=clash, start=request.start, end=request.end)
        plan = series.plan(conn, config, request, wanted.rule, now)
    except (bookings.BookingError, recurrence.RecurrenceError) as exc:
        return Preview(problem=sentence(str(exc)))
    problems = {c["occurrence"]: c for c in plan.conflicts}
    length = request.end - request.start
    dates = []
    for start in plan.occurrences:
        entry = problems.get(rfc3339(start, config.site.zone))
        dates.append({
            "start": start, "end": start + length, "key": occurrence_key(start),
            "problem": sentence(entry["detail"]) if entry else "",
            "nearest": [Slot(parse_iso(s["start"]), parse_iso(s["end"])) for s in (entry or {}).get("nearest", [])],
        })
    return Preview(words=recurrence.describe(wanted.rule), dates=dates)


def _defaults() -> dict[str, Any]:
    """A blank form, or one filled in from the week grid's free slot (?room=&start=&end=)."""
    w = web()
    zone = w.config.site.zone
    values: dict[str, Any] = {"room": request.args.get("room", ""), "ends": "count", "count": "10", "repeat": ""}
    for name in ("start", "end"):
        try:
            values[name] = bookings.parse_time(request.args.get(name, ""), w.config).astimezone(zone).strftime(WALL)
        except bookings.BookingError:
            values[name] = ""
    return values


def _page(values: Any, errors: FormErrors, shown: Preview | None = None, code: int = 200) -> tuple[str, int]:
    conn = web().db.conn()
    people = register.list_people(conn)
    return render("manage/booking_new.html", values=values, errors=errors, preview=shown, repeats=REPEATS,
                  rooms=rooms.list_rooms(conn, bookable_only=True), people=people, slot_value=slot_value), code


@bp.get("/bookings/new")
@login_required
def booking_new() -> tuple[str, int]:
    """The New booking form (prefilled from the week grid's free slot, whose dates are checked at once)."""
    values = _defaults()
    wanted = parse(values, FormErrors()) if values["room"] and values["start"] and values["end"] else None
    return _page(values, FormErrors(), preview(wanted) if wanted else None)


@bp.post("/bookings/new/preview")
@login_required
def booking_preview() -> tuple[str, int]:
    """The dates as the form stands, as the fragment the live preview swaps in."""
    errors = FormErrors()
    wanted = parse(request.form, errors)
    shown = preview(wanted) if wanted else None
    values = request.form.to_dict()
    return render("manage/_booking_preview.html", preview=shown, errors=errors, values=values, slot_value=slot_value), 200


@bp.post("/bookings/new")
@login_required
def booking_create() -> Any:
    """Save the booking or series, unless a clash still needs a decision."""
    form = request.form
    errors = FormErrors()
    values = {**form.to_dict(), "public": checkbox(form, "public")}
    wanted = parse(form, errors)
    shown = preview(wanted) if wanted else None
    if wanted is None or shown is None or errors:
        return _page(values, errors, shown, code=400)
    if shown.problem:
        errors["_form"] = shown.problem
        return _page(values, errors, shown, code=400)
    if form.get("action") == "check":
        return _page(values, errors, shown)
    if wanted.rule is None:
        return _book_once(wanted, values, shown)
    undecided = [d for d in shown.clashing if d["key"] not in wanted.seen]
    if undecided:
        errors["_form"] = (f"{len(undecided)} of the {len(shown.dates)} dates clash. For each, choose to skip it or "
                           f"move it, then press Save again.")
        return _page(values, errors, shown, code=409)
    return _book_series(wanted, values, shown)


def _when(start: datetime, end: datetime) -> str:
    zone = web().config.site.zone
    return f"{human(start, zone)}–{human(end, zone, with_day=False)}"


def _book_once(wanted: Wanted, values: dict[str, Any], shown: Preview) -> Any:
    w = web()
    try:
        with admin_action("booking_created") as act:
            booked = bookings.book(act.conn, w.config, wanted.request, w.clock.now())
            act.detail = f"booking {booked.booking.reference}"
    except bookings.Conflict as exc:
        errors = FormErrors(_form=sentence(str(exc)))
        return _page(values, errors, replace(shown, clash=exc), code=409)
    except bookings.BookingError as exc:
        return _page(values, FormErrors(_form=sentence(str(exc))), shown, code=400)
    booking = booked.booking
    flash(f"Booked: {_when(booking.start, booking.end)}, {wanted.request.title}. Reference {booking.reference}, "
          f"cancel code {booked.cancel_code} (give it to the organiser; it is not shown again).")
    return _to_week(booking.room_id, booking.start)


def _book_series(wanted: Wanted, values: dict[str, Any], shown: Preview) -> Any:
    w = web()
    try:
        with admin_action("series_created") as act:
            series_id, code, ids = series.create(act.conn, w.config, wanted.request, wanted.rule or "", w.clock.now(),
                                                 skip_conflicts=True, moves=wanted.moves)
            act.detail = f"series {series_id}: {len(ids)} dates"
    except series.SeriesConflict as exc:
        errors = FormErrors(_form=sentence(str(exc)) + " " + " ".join(sentence(c["detail"]) for c in exc.conflicts))
        return _page(values, errors, preview(wanted), code=409)
    except (bookings.BookingError, recurrence.RecurrenceError) as exc:
        return _page(values, FormErrors(_form=sentence(str(exc))), shown, code=400)
    skipped = len(shown.clashing) - len(wanted.moves)
    flash(f"Booked {len(ids)} dates of {wanted.request.title} ({shown.words.lower()})"
          + (f", {skipped} skipped" if skipped else "") + f". Cancel code {code} (give it to the organiser; it is "
          "not shown again).")
    return _to_week(wanted.request.room, wanted.request.start)


def _to_week(room_id: str, start: datetime) -> Any:
    day = start.astimezone(web().config.site.zone).date().isoformat()
    return redirect(url_for("manage.week.week_view", room=room_id, day=day), code=303)


