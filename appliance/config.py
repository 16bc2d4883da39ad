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

DEFAULT_PATH = Path("/etc/doorstep/config.toml")

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_HOURS = re.compile(r"^(closed|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d)$")
_TOPIC_PART = re.compile(r"^[^#+/\s][^#+\s]*$")


class ConfigError(Exception):
    """The configuration file cannot be used; the message is one line a person can act on."""


# -- validators: each returns an error text or None -------------------------------------


def _identifier(value: str) -> str | None:
    if not _ID.match(value):
        return f"{value!r} must be 1-32 lowercase letters, digits, '-' or '_'"
    return None


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a known timezone (try 'Europe/London')"
    return None


def _hours(value: str) -> str | None:
    if not _HOURS.match(value):
        return f"{value!r} must be 'closed' or 'HH:MM-HH:MM' (e.g. '09:00-22:00')"
    if value != "closed":
        start, end = value.split("-")
        if end <= start:
            return f"{value!r} closes before it opens"
    return None


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else f"{value} is not a TCP port (1-65535)"


def _positive(value: float) -> str | None:
    return None if value > 0 else f"{value} must be greater than 0"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else f"{value} must not be negative"


def _networks(value: tuple[str, ...]) -> str | None:
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"{item!r} is not a network (e.g. '192.168.1.0/24' or '127.0.0.1/32')"
    return None


def _topic_part(value: str) -> str | None:
    if not _TOPIC_PART.match(value):
        return f"{value!r} cannot be used in an MQTT topic (no '#', '+', spaces, no leading '/')"
    return None


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if value not in choices:
            return f"{value!r} must be one of: {', '.join(choices)}"
        return None

    return check


def _gpio(value: int) -> str | None:
    return None if 0 <= value <= 27 else f"{value} is not a Raspberry Pi BCM GPIO number (0-27)"


def key(default: Any = dataclasses.MISSING, doc: str = "", check: Any = None) -> Any:
    """Declare a config key: its default, a one-line description and an optional validator."""
    meta = {"doc": doc, "check": check}
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

    mon: str = key("09:00-22:00", "Monday: 'HH:MM-HH:MM' or 'closed'", _hours)
    tue: str = key("09:00-22:00", "Tuesday", _hours)
    wed: str = key("09:00-22:00", "Wednesday", _hours)
    thu: str = key("09:00-22:00", "Thursday", _hours)
    fri: str = key("09:00-23:00", "Friday", _hours)
    sat: str = key("10:00-23:00", "Saturday", _hours)
    sun: str = key("10:00-18:00", "Sunday", _hours)

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
    name: str = key("Our Community Hall", "The name shown on the kiosk and the display")
    timezone: str = key("Europe/London", "IANA timezone; times are stored in UTC and shown in this", _timezone)
    language: str = key("en", "Default language of the screens", _one_of("en", "cy", "fr", "de", "es"))
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
    threads: int = key(24, "Web worker threads (each live dashboard or display holds one)", _positive)
    base_url: str = key("", "URL of this Doorstep on the LAN, for QR codes (empty: guessed from the request)")


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
    keepalive: int = key(30, "Keepalive seconds", _positive)
    inflight: int = key(20, "Messages sent but not yet acknowledged, at most", _positive)
    events_max_rows: int = key(100_000, "Undelivered events kept during an outage; beyond it the oldest are dropped", _positive)
    events_max_days: int = key(7, "Undelivered events older than this many days are dropped", _positive)


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
    debounce_ms: int = key(50, "Edges closer than this are contact bounce", _not_negative)
    held_open_seconds: int = key(300, "Alert when the door stays open this long", _positive)


@dataclass(frozen=True)
class BeamConfig:
    """A pair of IR break-beams across a doorway: outer (street side) and inner."""

    id: str = key(doc="Beam pair id", check=_identifier)
    outer_pin: int = key(doc="BCM GPIO of the street-side beam", check=_gpio)
    inner_pin: int = key(doc="BCM GPIO of the inside beam", check=_gpio)
    blocked_when: str = key("low", "Level of the pin while the beam is broken", _one_of("low", "high"))
    obstruction_seconds: float = key(5.0, "A beam blocked longer than this is an obstruction", _positive)


@dataclass(frozen=True)
class PirConfig:
    """A PIR motion sensor counting visits without direction."""

    id: str = key(doc="Sensor id", check=_identifier)
    pin: int = key(doc="BCM GPIO number", check=_gpio)
    rearm_seconds: float = key(8.0, "Motion within this time counts once", _positive)


@dataclass(frozen=True)
class CardReaderConfig:
    """A fob reader on a serial port."""

    enabled: bool = key(False, "A fob reader is attached")
    path: str = key("/dev/serial0", "Serial device; prefer a /dev/serial/by-id/ path for USB readers")
    mode: str = key("rdm6300", "Frame format", _one_of("rdm6300", "line"))
    baudrate: int = key(9600, "Serial speed", _positive)
    repeat_seconds: float = key(2.0, "The same card again within this time is one read", _not_negative)


@dataclass(frozen=True)
class KioskConfig:
    """The entrance touchscreen."""

    visit_kinds: tuple[str, ...] = key(("visitor", "member", "volunteer"), "Kinds of sign-in offered")
    activities: tuple[str, ...] = key(
        ("Reception", "Cafe", "Events", "Maintenance", "Other"), "What volunteers can sign in for"
    )
    idle_seconds: int = key(60, "Back to the home screen after this long untouched", _positive)
    rollcall_pin: str = key("", "PIN that opens the fire roll-call on the kiosk (empty: off)")


@dataclass(frozen=True)
class BookingConfig:
    """Room booking rules."""

    granularity_minutes: int = key(15, "Slots start on multiples of this", _positive)
    no_show_minutes: int = key(15, "Release unchecked bookings this long after start", _positive)
    checkin_window_minutes: int = key(30, "A fob tap this long before start checks the organiser in", _positive)
    horizon_days: int = key(365, "Recurring series are stored this far ahead", _positive)
    max_days_ahead: int = key(180, "Bookings further ahead than this are refused", _positive)


@dataclass(frozen=True)
class PrivacyConfig:
    """How long records are kept (days); daily counts are always kept."""

    visitor_days: int = key(30, "Visitor names and reasons", _positive)
    member_visit_days: int = key(730, "Member and volunteer visits (volunteer hours reports)", _positive)
    sensor_event_days: int = key(90, "Raw door, beam and fob events", _positive)
    booking_contact_days: int = key(90, "Organiser contact details after the booking ended", _positive)
    audit_days: int = key(365, "Admin audit log", _positive)
    uncertain_hours: int = key(12, "Roll-call flags people signed in longer than this", _positive)


@dataclass(frozen=True)
class DisplayConfig:
    """The status display in the hall (/display/) and /status.*."""

    busy_as: str = key("number", "Show how busy as a 'number' of people or as a 'band' (Quiet / Busy / Very busy)",
                       _one_of("number", "band"))
    busy_at: int = key(15, "From this many people in, the band says 'Busy'", _positive)
    very_busy_at: int = key(40, "From this many people in, the band says 'Very busy' (above busy_at)", _positive)


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

    source: str = field(default="", compare=False, metadata={"internal": True})

    def with_changes(self, **sections: Any) -> Config:
        """A copy with whole sections replaced (tests and the demo use this)."""
        return dataclasses.replace(self, **sections)


# -- loading -----------------------------------------------------------------------------


def _convert(tp: Any, value: Any, where: str) -> Any:
    """Turn a TOML value into the declared type, or raise ConfigError naming the key."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, not {value!r}")
        return _build(tp, value, where)
    origin = typing.get_origin(tp)
    if origin is tuple:
        (item_type, _) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {value!r}")
        return tuple(_convert(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{where}: unsupported type")  # pragma: no cover - not declared
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, not {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported type {tp!r}")  # pragma: no cover


def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


def _build(cls: Any, raw: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = _fields(cls)
    for name in raw:
        if name not in known:
            near = _closest(name, list(known))
            hint = f" (did you mean '{near}'?)" if near else ""
            raise ConfigError(f"{_join(where, name)} is not a known key{hint}")
    values: dict[str, Any] = {}
    for name, f in known.items():
        here = _join(where, name)
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{here} is required")
            continue
        value = _convert(hints[name], raw[name], here)
        check = f.metadata.get("check")
        if check is not None:
            problem = check(value)
            if problem:
                raise ConfigError(f"{here}: {problem}")
        values[name] = value
    return cls(**values)


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _closest(name: str, candidates: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def _check_whole(config: Config) -> None:
    """Rules that span keys: unique ids, no pin used twice, simulation only on mock pins."""
    if config.hardware.simulate and config.hardware.pin_factory != "mock":
        raise ConfigError('hardware.simulate: simulated visitors need hardware.pin_factory = "mock"')
    if config.display.very_busy_at <= config.display.busy_at:
        raise ConfigError(f"display.very_busy_at: {config.display.very_busy_at} must be above "
                          f"display.busy_at ({config.display.busy_at})")
    seen_ids: set[str] = set()
    pins: dict[int, str] = {}
    groups: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("doors", config.doors), ("beams", config.beams), ("pir", config.pir)
    )
    for kind, items in groups:
        for i, item in enumerate(items):
            where = f"{kind}[{i}].id"
            if item.id in seen_ids:
                raise ConfigError(f"{where}: the id {item.id!r} is used twice")
            seen_ids.add(item.id)
            for attr in ("pin", "outer_pin", "inner_pin"):
                pin = getattr(item, attr, None)
                if pin is None:
                    continue
                here = f"{kind}[{i}].{attr}"
                if pin in pins:
                    raise ConfigError(f"{here}: GPIO {pin} is already used by {pins[pin]}")
                pins[pin] = here


def parse(text: str, source: str = "<config>") -> Config:
    """Parse TOML text into a Config; errors are ConfigError prefixed with ``source``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        config = _build(Config, raw, "")
        _check_whole(config)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
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
