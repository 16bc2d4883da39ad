"""One TOML file configures a Doorstep; this module loads it into frozen dataclasses.

Every key has a default except what cannot have one. The dataclasses below are the
single description of the file: loading, validation, the commented example written by
``doorstep init-config`` and docs/CONFIG.md all come from them, so they cannot drift.

A wrong key, type or value is a :class:`ConfigError` whose message is one line naming
the file and the key; the CLI turns it into exit status 2 before anything starts.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.core.inputs import InputError, clean_text

DEFAULT_PATH = Path("/etc/doorstep/config.toml")

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_HOURS = re.compile(r"^(closed|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d)$")
_TOPIC_PART = re.compile(r"^[^#+/\s][^#+\s]*$")


class ConfigError(Exception):
    """The configuration file cannot be used; the message is one line a person can act on.
    ``key`` is the dotted key it is about ('' when the file itself is unreadable), so a
    caller that must not repeat values (first boot's screen) can name the key alone."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


# -- validators: each returns an error text or None -------------------------------------


def _identifier(value: str) -> str | None:
    """1 to 32 lowercase letters, digits, '-' or '_'"""
    if not _ID.match(value):
        return f"{value!r} must be 1-32 lowercase letters, digits, '-' or '_'"
    return None


def _timezone(value: str) -> str | None:
    """an IANA timezone name, e.g. Europe/London"""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a known timezone (try 'Europe/London')"
    return None


def _hours(value: str) -> str | None:
    """'HH:MM-HH:MM' or 'closed'"""
    if not _HOURS.match(value):
        return f"{value!r} must be 'closed' or 'HH:MM-HH:MM' (e.g. '09:00-22:00')"
    if value != "closed":
        start, end = value.split("-")
        if end <= start:
            return f"{value!r} closes before it opens"
    return None


class Range:
    """The values a number key may take (inclusive). The file loader, the Settings page (its
    min and max) and docs/CONFIG.md all read it, so a number that would break the appliance
    (a retention of 99999999999 days overflows every date sum) is refused in one place."""

    def __init__(self, low: float, high: float, unit: str = "", *, divides: int | None = None) -> None:
        self.low, self.high, self.unit, self.divides = low, high, unit, divides

    def __call__(self, value: float) -> str | None:
        """An error text, or None when ``value`` is allowed."""
        if not self.low <= value <= self.high:
            return f"{value} is out of range; use {self.words}"
        if self.divides and (value != int(value) or self.divides % int(value)):
            return f"{value} must divide {self.divides} evenly (e.g. 5, 10, 15, 30 or 60)"
        return None

    @property
    def words(self) -> str:
        """The range as people read it: "1 to 3650 days"."""
        return f"{self.low} to {self.high}" + (f" {self.unit}" if self.unit else "")


LANGUAGES = ("en", "cy", "fr", "de", "es")


def _language(value: str) -> str | None:
    if value not in LANGUAGES:
        return f"{value!r} must be one of: {', '.join(LANGUAGES)}"
    return None




class Text:
    """What a text key may hold: printable text (no NUL, no control characters), at most
    ``max_length`` characters, and not empty unless ``required`` is false."""

    def __init__(self, max_length: int, *, required: bool = True) -> None:
        self.max_length, self.required = max_length, required

    def __call__(self, value: str) -> str | None:
        """An error text, or None when ``value`` is allowed."""
        try:
            cleaned = clean_text(value, "text", self.max_length, required=self.required)
        except InputError as exc:
            return str(exc).replace("The text ", "it ").replace("Please give the text.", "must not be empty")
        if cleaned != value:
            return f"{value!r} holds control characters or runs of spaces; write it as {cleaned!r}"
        return None


class TextList:
    """A list of short texts (activities): 1 to ``max_items`` different entries, each a :class:`Text`."""

    def __init__(self, max_items: int, max_length: int) -> None:
        self.max_items, self.item = max_items, Text(max_length)

    def __call__(self, values: tuple[str, ...]) -> str | None:
        """An error text, or None when ``values`` are allowed."""
        if not 1 <= len(values) <= self.max_items:
            return f"give 1 to {self.max_items} entries, not {len(values)}"
        seen: set[str] = set()
        for number, value in enumerate(values, start=1):
            problem = self.item(value)
            if problem:
                return f"entry {number}: {problem}"
            if value.casefold() in seen:
                return f"entry {number}: {value!r} is listed twice"
            seen.add(value.casefold())
        return None


class _Port(Range):
    def __call__(self, value: float) -> str | None:
        return None if self.low <= value <= self.high else f"{value} is not a TCP port ({self.low}-{self.high})"


_port = _Port(1, 65535)
_port_or_off = _Port(0, 65535)  # 0: switched off


def _pin(value: str) -> str | None:
    """empty (off), or 6 to 12 digits"""
    if value and (len(value) < 6 or not value.isdigit()):
        return "must be empty (off) or at least 6 digits, so it cannot be guessed in a few tries"
    if len(value) > 12:
        return "must be 12 digits at most"
    return None


def _networks(value: tuple[str, ...]) -> str | None:
    """networks such as 192.168.1.0/24"""
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"{item!r} is not a network (e.g. '192.168.1.0/24' or '127.0.0.1/32')"
    return None


def _topic_part(value: str) -> str | None:
    """no '#', '+', spaces or leading '/'"""
    if not _TOPIC_PART.match(value):
        return f"{value!r} cannot be used in an MQTT topic (no '#', '+', spaces, no leading '/')"
    return None


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if value not in choices:
            return f"{value!r} must be one of: {', '.join(choices)}"
        return None

    check.__doc__ = "one of " + ", ".join(choices)
    return check


class _Gpio(Range):
    def __call__(self, value: float) -> str | None:
        return None if self.low <= value <= self.high else f"{value} is not a Raspberry Pi BCM GPIO number (0-27)"


_gpio = _Gpio(0, 27)


def key(default: Any = dataclasses.MISSING, doc: str = "", check: Any = None, *, label: str = "") -> Any:
    """Declare a config key: its default, a one-line description (the help text), an optional
    validator, and for keys the Settings page shows, a ``label`` in words."""
    meta = {"doc": doc, "check": check, "label": label}
    if isinstance(default, list | dict | tuple) or dataclasses.is_dataclass(default):
        frozen = default
        return field(default_factory=lambda: frozen, metadata=meta)
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


# -- the sections ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningHours:
    """When the space is open, per weekday, in the site's timezone."""

    mon: str = key("09:00-22:00", "Monday: 'HH:MM-HH:MM' or 'closed'", _hours, label="Monday")
    tue: str = key("09:00-22:00", "Tuesday", _hours, label="Tuesday")
    wed: str = key("09:00-22:00", "Wednesday", _hours, label="Wednesday")
    thu: str = key("09:00-22:00", "Thursday", _hours, label="Thursday")
    fri: str = key("09:00-23:00", "Friday", _hours, label="Friday")
    sat: str = key("10:00-23:00", "Saturday", _hours, label="Saturday")
    sun: str = key("10:00-18:00", "Sunday", _hours, label="Sunday")

    def for_weekday(self, weekday: int) -> tuple[str, str] | None:
        """Opening and closing 'HH:MM' for a weekday (Monday is 0), or None when closed."""
        value: str = getattr(self, ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[weekday])
        if value == "closed":
            return None
        start, end = value.split("-")
        return start, end


@dataclass(frozen=True)
class SiteConfig:
    """Who this Doorstep is."""

    id: str = key("community-hall", "Short id used in MQTT topics; unique per broker", _identifier)
    name: str = key("Our Community Hall", "The name shown on the kiosk, the display and the dashboard", Text(80),
                    label="Name of this place")
    timezone: str = key("Europe/London", "IANA timezone; times are stored in UTC and shown in this", _timezone)
    language: str = key("en", "Default language of the screens (and of the status sentence)", _language)
    opening_hours: OpeningHours = key(OpeningHours(), "Opening hours per weekday")

    @property
    def zone(self) -> ZoneInfo:
        """The site's timezone as a ZoneInfo."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DatabaseConfig:
    """Where the one SQLite file lives."""

    path: str = key("/var/lib/doorstep/doorstep.db", "The SQLite database shared by both roles")


@dataclass(frozen=True)
class WebConfig:
    """The web role: kiosk, dashboard, display and JSON API."""

    host: str = key("0.0.0.0", "Address the web role listens on")
    port: int = key(8080, "TCP port of the web role", _port)
    kiosk_networks: tuple[str, ...] = key(
        ("127.0.0.1/32", "::1/128"),
        "Networks allowed to use kiosk write actions (sign in, book); loopback is the Pi's own screen",
        _networks,
    )
    threads: int = key(8, "Web worker threads for pages and API calls; 4 are kept for the Pi's own screen, each holds a database connection (live streams need none)", Range(2, 256))
    base_url: str = key(
        "", "URL phones on the LAN use for this Doorstep, in QR codes (empty: found from the Pi's network address)"
    )
    streams_per_address: int = key(
        4, "Live streams (display, dashboard, kiosk) one LAN address may hold; more get 503", Range(1, 64))
    connections_per_address: int = key(
        32, "Open connections one LAN address may hold; more are refused", Range(2, 1024))
    lan_connections: int = key(
        600, "Open connections from the whole LAN; the Pi's own screen (127.0.0.1) has its own", Range(10, 10000))
    trusted_proxies: tuple[str, ...] = key(
        (),
        "Reverse proxies whose X-Forwarded-For/-Proto are believed (empty: forwarded headers are ignored)",
        _networks,
    )
    https_port: int = key(8443, "HTTPS port of the dashboard (0: no HTTPS); the kiosk keeps plain HTTP", _port_or_off)
    tls_certificate: str = key("", "PEM certificate for HTTPS (empty: one made on first start, in secrets_dir)")
    tls_key: str = key("", "PEM private key of tls_certificate (empty: made with it)")
    secrets_dir: str = key(
        "", "Folder (0700) of the web role's key files (empty: web-secrets beside the database); keep it out of backups")
    session_idle_minutes: int = key(120, "A dashboard login ends after this long unused", Range(5, 7 * 24 * 60, "minutes"))
    session_hours: int = key(12, "A dashboard login ends this long after it began, used or not", Range(1, 24 * 30, "hours"))


@dataclass(frozen=True)
class MqttConfig:
    """The community's broker."""

    enabled: bool = key(True, "Publish to an MQTT broker at all")
    host: str = key("localhost", "Broker host name or address")
    port: int = key(1883, "Broker port (8883 is usual with TLS)", _port)
    protocol: str = key("3.1.1", "MQTT protocol version", _one_of("3.1.1", "5"))
    tls_ca: str = key("", "CA certificate file; when set, TLS is used and the broker is verified")
    username: str = key("", "Username on the broker (empty: none)")
    password_file: str = key("", "File holding the broker password (read by the agent only)")
    client_id: str = key("", "MQTT client id (empty: doorstep-<site id>)")
    topic_prefix: str = key("doorstep", "First part of every topic", _topic_part)
    discovery: bool = key(True, "Announce entities to Home Assistant")
    discovery_prefix: str = key("homeassistant", "Home Assistant discovery prefix", _topic_part)
    keepalive: int = key(30, "Keepalive seconds", Range(5, 3600, "seconds"))
    inflight: int = key(20, "Messages sent but not yet acknowledged, at most", Range(1, 1000))
    events_max_rows: int = key(100_000, "Undelivered events kept during an outage; beyond it the oldest are dropped",
                               Range(1000, 10_000_000))
    events_max_days: int = key(7, "Undelivered events older than this many days are dropped", Range(1, 365, "days"))


@dataclass(frozen=True)
class HardwareConfig:
    """How GPIO is reached."""

    pin_factory: str = key(
        "auto", "gpiozero pin factory", _one_of("auto", "lgpio", "rpigpio", "native", "mock")
    )
    simulate: bool = key(False, "Drive the mock pins with simulated visitors (demo and benchmarks)")


@dataclass(frozen=True)
class DoorConfig:
    """One door contact (reed switch between a GPIO and ground)."""

    id: str = key(doc="Door id used in topics and on screens", check=_identifier)
    pin: int = key(doc="BCM GPIO number", check=_gpio)
    name: str = key("", "Name shown on screens (empty: the id)")
    closed_when: str = key("low", "Level of the pin when the door is closed", _one_of("low", "high"))
    debounce_ms: int = key(50, "Edges closer than this are contact bounce", Range(0, 2000, "ms"))
    held_open_seconds: int = key(300, "Alert when the door stays open this long", Range(5, 86400, "seconds"))


@dataclass(frozen=True)
class BeamConfig:
    """A pair of IR break-beams across a doorway: outer (street side) and inner."""

    id: str = key(doc="Beam pair id", check=_identifier)
    outer_pin: int = key(doc="BCM GPIO of the street-side beam", check=_gpio)
    inner_pin: int = key(doc="BCM GPIO of the inside beam", check=_gpio)
    blocked_when: str = key("low", "Level of the pin while the beam is broken", _one_of("low", "high"))
    obstruction_seconds: float = key(5.0, "A beam blocked longer than this is an obstruction",
                                     Range(0.5, 3600, "seconds"))


@dataclass(frozen=True)
class PirConfig:
    """A PIR motion sensor counting visits without direction."""

    id: str = key(doc="Sensor id", check=_identifier)
    pin: int = key(doc="BCM GPIO number", check=_gpio)
    rearm_seconds: float = key(8.0, "Motion within this time counts once", Range(0.5, 3600, "seconds"))


@dataclass(frozen=True)
class CardReaderConfig:
    """A fob reader on a serial port."""

    enabled: bool = key(False, "A fob reader is attached")
    path: str = key("/dev/serial0", "Serial device; prefer a /dev/serial/by-id/ path for USB readers")
    mode: str = key("rdm6300", "Frame format", _one_of("rdm6300", "line"))
    baudrate: int = key(9600, "Serial speed", Range(1200, 921600))
    repeat_seconds: float = key(2.0, "The same card again within this time is one read", Range(0, 60, "seconds"))


@dataclass(frozen=True)
class ActivityName:
    """What an activity is called in one language on the kiosk (it is stored and reported
    under its name in ``kiosk.activities``)."""

    activity: str = key(doc="The activity, exactly as in kiosk.activities")
    lang: str = key(doc="The language code (e.g. 'cy')", check=_language)
    name: str = key(doc="What the kiosk shows in that language")


# Welsh names of the default activities, so a Welsh-speaking volunteer reads their own
# language out of the box; a site with other activities adds its own rows.
_DEFAULT_ACTIVITY_NAMES = (
    ActivityName("Reception", "cy", "Derbynfa"),
    ActivityName("Cafe", "cy", "Caffi"),
    ActivityName("Events", "cy", "Digwyddiadau"),
    ActivityName("Maintenance", "cy", "Cynnal a chadw"),
    ActivityName("Other", "cy", "Arall"),
)


@dataclass(frozen=True)
class KioskConfig:
    """The entrance touchscreen."""

    visit_kinds: tuple[str, ...] = key(("visitor", "member", "volunteer"), "Kinds of sign-in offered")
    activities: tuple[str, ...] = key(
        ("Reception", "Cafe", "Events", "Maintenance", "Other"),
        "What volunteers choose from when they sign in (one per line); reports count hours by these",
        TextList(20, 40), label="What volunteers can sign in for",
    )
    idle_seconds: int = key(60, "Back to the home screen after this long untouched", Range(10, 3600, "seconds"),
                            label="Back to the start screen after (seconds untouched)")
    rollcall_pin: str = key(
        "", "PIN (6 digits or more) that opens the fire roll-call on the kiosk (empty: off)", _pin,
        label="Kiosk roll-call PIN",
    )
    activity_names: tuple[ActivityName, ...] = key(
        _DEFAULT_ACTIVITY_NAMES, "The activities' names in other languages, one table per activity and language"
    )
    done_seconds: int = key(8, "A 'signed in' or 'signed out' screen goes back to the start after this long",
                            Range(3, 120, "seconds"), label="Success screens go back to the start after (seconds)")
    receipt_seconds: int = key(
        45, "The booking receipt (reference, cancel code, QR code) goes back to the start after this long",
        Range(10, 600, "seconds"), label="The booking receipt stays for (seconds)",
    )

    def activity_name(self, activity: str, lang: str) -> str:
        """``activity`` as the kiosk shows it in ``lang`` (its own name when none is given)."""
        for row in self.activity_names:
            if row.activity == activity and row.lang == lang:
                return row.name
        return activity


@dataclass(frozen=True)
class BookingConfig:
    """Room booking rules."""

    granularity_minutes: int = key(15, "Slots start on multiples of this", Range(5, 240, "minutes", divides=1440))
    no_show_minutes: int = key(15, "Release unchecked bookings this long after start (rooms that opt in)",
                               Range(5, 240, "minutes"))
    checkin_window_minutes: int = key(30, "Check-in (a fob tap, or We're here on the kiosk) opens this long before start",
                                      Range(0, 240, "minutes"))
    horizon_days: int = key(365, "Recurring series are stored this far ahead", Range(7, 1825, "days"))
    max_days_ahead: int = key(180, "Bookings further ahead than this are refused", Range(1, 730, "days"))
    phone_requests: bool = key(
        True, "Let people on the hall's Wi-Fi ask for a booking from their phone (an admin approves each one)"
    )
    phone_requests_per_hour: int = key(3, "Booking requests one phone's address may send in an hour",
                                       Range(1, 60, "requests"))
    phone_requests_waiting: int = key(
        20, "Requests from phones that may wait for approval at once; more are refused until some are decided",
        Range(1, 500, "requests"),
    )


@dataclass(frozen=True)
class PrivacyConfig:
    """How long records are kept (days); daily counts are always kept."""

    visitor_days: int = key(30, "A visitor's name and who they came to see; then the visit is kept without them",
                            Range(1, 3650, "days"), label="Visitor names and reasons (days)")
    member_visit_days: int = key(730, "Member and volunteer visits, for volunteer hours reports; then kept without the person",
                                 Range(1, 3650, "days"), label="Member and volunteer visits (days)")
    sensor_event_days: int = key(90, "Raw door, beam and fob events; the daily counts stay", Range(1, 3650, "days"),
                                 label="Door and sensor events (days)")
    booking_contact_days: int = key(90, "Organiser name and contact after the booking ended", Range(1, 3650, "days"),
                                    label="Booking organisers' contact details (days after the booking)")
    audit_days: int = key(365, "The admin audit log", Range(1, 3650, "days"), label="Audit log (days)")
    uncertain_hours: int = key(12, "The roll-call marks people signed in longer than this as 'may have left'",
                               Range(1, 168, "hours"), label="Mark as 'may have left' after (hours signed in)")


@dataclass(frozen=True)
class DisplayConfig:
    """The status display in the hall (/display/) and /status.*."""

    busy_as: str = key("number", "Show how busy as a 'number' of people or as a 'band' (Quiet / Busy / Very busy)",
                       _one_of("number", "band"))
    busy_at: int = key(15, "From this many people in, the band says 'Busy'", Range(1, 10000, "people"))
    very_busy_at: int = key(40, "From this many people in, the band says 'Very busy' (above busy_at)",
                            Range(2, 10000, "people"))


@dataclass(frozen=True)
class RotaConfig:
    """Volunteer rotas: shifts taken at the door (docs/ROTAS.md)."""

    signup_days: int = key(14, "Volunteers see and take open shifts this many days ahead at the door",
                           Range(1, 90, "days"))
    giveup_hours: int = key(
        24, "A volunteer can give up a shift at the door until this many hours before it starts; "
        "after that they ask a coordinator", Range(0, 24 * 14, "hours"),
        label="Volunteers can give up a shift at the door until (hours before it starts)",
    )
    needed_days: int = key(7, "The display and MQTT ask for volunteers for shifts this many days ahead",
                           Range(1, 60, "days"))


@dataclass(frozen=True)
class Config:
    """The whole configuration file."""

    site: SiteConfig = key(SiteConfig(), "The site")
    database: DatabaseConfig = key(DatabaseConfig(), "The database")
    web: WebConfig = key(WebConfig(), "The web role")
    mqtt: MqttConfig = key(MqttConfig(), "The broker")
    hardware: HardwareConfig = key(HardwareConfig(), "GPIO")
    doors: tuple[DoorConfig, ...] = key((), "Door contacts")
    beams: tuple[BeamConfig, ...] = key((), "Break-beam pairs")
    pir: tuple[PirConfig, ...] = key((), "PIR sensors")
    cardreader: CardReaderConfig = key(CardReaderConfig(), "Fob reader")
    kiosk: KioskConfig = key(KioskConfig(), "The kiosk")
    bookings: BookingConfig = key(BookingConfig(), "Bookings")
    privacy: PrivacyConfig = key(PrivacyConfig(), "Retention")
    display: DisplayConfig = key(DisplayConfig(), "The status display")
    rota: RotaConfig = key(RotaConfig(), "Volunteer rotas")

    source: str = field(default="", compare=False, metadata={"internal": True})

    def with_changes(self, **sections: Any) -> Config:
        """A copy with whole sections replaced (tests and the demo use this)."""
        return dataclasses.replace(self, **sections)


def secrets_dir(config: Config) -> Path:
    """The web role's folder of key files (``web.secrets_dir``, else web-secrets beside the database)."""
    if config.web.secrets_dir:
        return Path(config.web.secrets_dir)
    return Path(config.database.path).parent / "web-secrets"


# -- loading -----------------------------------------------------------------------------


def _convert(tp: Any, value: Any, where: str) -> Any:
    """Turn a TOML value into the declared type, or raise ConfigError naming the key."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, not {value!r}", key=where)
        return _build(tp, value, where)
    origin = typing.get_origin(tp)
    if origin is tuple:
        (item_type, _) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {value!r}", key=where)
        return tuple(_convert(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{where}: unsupported type", key=where)  # pragma: no cover - not declared
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}", key=where)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, not {value!r}", key=where)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {value!r}", key=where)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {value!r}", key=where)
        return value
    raise ConfigError(f"{where}: unsupported type {tp!r}", key=where)  # pragma: no cover


def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


def _build(cls: Any, raw: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = _fields(cls)
    for name in raw:
        if name not in known:
            near = _closest(name, list(known))
            hint = f" (did you mean '{near}'?)" if near else ""
            raise ConfigError(f"{_join(where, name)} is not a known key{hint}", key=_join(where, name))
    values: dict[str, Any] = {}
    for name, f in known.items():
        here = _join(where, name)
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{here} is required", key=here)
            continue
        value = _convert(hints[name], raw[name], here)
        check = f.metadata.get("check")
        if check is not None:
            problem = check(value)
            if problem:
                raise ConfigError(f"{here}: {problem}", key=here)
        values[name] = value
    return cls(**values)


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _closest(name: str, candidates: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def check_whole(config: Config) -> None:
    """Rules that span keys: unique ids, no pin used twice, simulation only on mock pins."""
    if config.hardware.simulate and config.hardware.pin_factory != "mock":
        raise ConfigError('hardware.simulate: simulated visitors need hardware.pin_factory = "mock"', key="hardware.simulate")
    if config.web.https_port and config.web.https_port == config.web.port:
        raise ConfigError(f"web.https_port: {config.web.https_port} is web.port already; choose another (e.g. 8443) or 0",
                          key="web.https_port")
    if bool(config.web.tls_certificate) != bool(config.web.tls_key):
        raise ConfigError("web.tls_key: a provided certificate needs its key too (set both web.tls_certificate "
                          "and web.tls_key, or neither)", key="web.tls_key")
    if config.display.very_busy_at <= config.display.busy_at:
        raise ConfigError(f"display.very_busy_at: {config.display.very_busy_at} must be above "
                          f"display.busy_at ({config.display.busy_at})", key="display.very_busy_at")
    seen_ids: set[str] = set()
    pins: dict[int, str] = {}
    groups: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("doors", config.doors), ("beams", config.beams), ("pir", config.pir)
    )
    for kind, items in groups:
        for i, item in enumerate(items):
            where = f"{kind}[{i}].id"
            if item.id in seen_ids:
                raise ConfigError(f"{where}: the id {item.id!r} is used twice", key=where)
            seen_ids.add(item.id)
            for attr in ("pin", "outer_pin", "inner_pin"):
                pin = getattr(item, attr, None)
                if pin is None:
                    continue
                here = f"{kind}[{i}].{attr}"
                if pin in pins:
                    raise ConfigError(f"{here}: GPIO {pin} is already used by {pins[pin]}", key=here)
                pins[pin] = here


def parse(text: str, source: str = "<config>") -> Config:
    """Parse TOML text into a Config; errors are ConfigError prefixed with ``source``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        config = _build(Config, raw, "")
        check_whole(config)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}", key=exc.key) from None
    return dataclasses.replace(config, source=source)


def load(path: str | Path = DEFAULT_PATH) -> Config:
    """Load and validate the config file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file (write one with 'doorstep init-config {path}')"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    return parse(text, str(path))
