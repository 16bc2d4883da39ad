"""Every setting has a range, checked in one place for the TOML file and the Settings page,
with a one-line error naming the key (issue 14.4); what the kiosk says about retention
follows the Settings page (issue 14.8).

``privacy.uncertain_hours = 99999999`` once made the roll-call answer 500, and
``privacy.visitor_days = 99999999999`` made "Purge now" answer 500 and stopped the agent's
daily purge for every category.
"""

from __future__ import annotations

import dataclasses
import typing

import pytest
from csrf_support import csrf_token
from dashboard_support import log_in, make_admin
from flask.testing import FlaskClient

from appliance.core import config as config_mod
from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config, ConfigError, parse
from appliance.core.config_reference import iter_keys
from appliance.privacy import retention
from appliance.storage import settings
from appliance.storage.db import Database, put_setting


def _number_keys() -> list[tuple[str, dataclasses.Field, type]]:  # type: ignore[type-arg]
    found = []
    for dotted, f in iter_keys():
        owner: typing.Any = Config
        for part in dotted.replace("[]", "").split(".")[:-1]:
            hint = typing.get_type_hints(owner)[part]
            owner = typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else hint
        kind = typing.get_type_hints(owner)[f.name]
        if kind in (int, float):
            found.append((dotted, f, kind))
    return found


def _toml_for(dotted: str, value: object) -> str:
    """A config file setting one key (array tables get their required keys too)."""
    parts = dotted.split(".")
    table = parts[0].removesuffix("[]")
    required = {"doors": {"id": '"front"', "pin": 17}, "beams": {"id": '"e"', "outer_pin": 5, "inner_pin": 6},
                "pir": {"id": '"hall"', "pin": 4}}
    if table in required:
        fields = {**required[table], parts[1]: value}
        return f"[[{table}]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items())
    return f"[{'.'.join(parts[:-1])}]\n{parts[-1]} = {value}\n"


def test_every_number_key_declares_a_range() -> None:
    keys = _number_keys()
    assert len(keys) > 20
    for dotted, f, _ in keys:
        check = f.metadata.get("check")
        assert isinstance(check, config_mod.Range), f"{dotted} has no range (declare it with Range(low, high))"


@pytest.mark.parametrize("dotted", [k for k, _, _ in _number_keys()])
def test_a_file_value_out_of_range_is_one_line_naming_the_key(dotted: str) -> None:
    for value in (99999999999, -1):
        with pytest.raises(ConfigError) as caught:
            parse(_toml_for(dotted.replace("[]", ""), value), "doorstep.toml")
        message = str(caught.value)
        assert "\n" not in message and message.startswith("doorstep.toml: ")
        assert dotted.replace("[]", "[0]").split(".", 1)[-1] in message, message


@pytest.mark.parametrize(("text", "key"), [
    ("[privacy]\nuncertain_hours = 99999999\n", "privacy.uncertain_hours"),
    ("[privacy]\nvisitor_days = 99999999999\n", "privacy.visitor_days"),
    ("[bookings]\ngranularity_minutes = 7\n", "bookings.granularity_minutes"),
    ('[site]\nname = "Hall\\u0000"\n', "site.name"),
    ('[kiosk]\nactivities = ["Cafe", ""]\n', "kiosk.activities"),
])
def test_the_values_that_broke_the_appliance_are_refused_in_the_file(text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse(text, "config.toml")


@pytest.fixture
def admin(client: FlaskClient, db: Database, clock: ManualClock) -> FlaskClient:
    make_admin(db, clock.now())
    log_in(client)
    return client


def _field(dotted: str) -> str:
    return dotted.replace(".", "__")


def _form(config: Config, db: Database) -> dict[str, str]:
    return {_field(s.key): s.text for s in settings.describe(config, db.conn())}


@pytest.mark.parametrize(("dotted", "value", "words"), [
    ("privacy.visitor_days", "99999999999", "1 to 3650"),
    ("privacy.uncertain_hours", "99999999", "1 to 168"),
    ("privacy.audit_days", "-5", "1 to 3650"),
    ("kiosk.idle_seconds", "0", "10 to 3600"),
])
def test_the_settings_page_refuses_out_of_range_values_naming_the_key(
    admin: FlaskClient, db: Database, config: Config, dotted: str, value: str, words: str
) -> None:
    page = "/dashboard/manage/settings"
    reply = admin.post(page, data={**_form(config, db), _field(dotted): value, "csrf_token": csrf_token(admin, page)})
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    error = html.split(f'id="{_field(dotted)}-error">', 1)[1].split("</p>", 1)[0]
    assert dotted in error and words in error, error
    assert settings.overrides(db.conn()) == {}
    assert admin.post("/dashboard/manage/privacy/purge",
                      data={"csrf_token": csrf_token(admin, "/dashboard/manage/privacy")}).status_code == 302
    assert admin.get("/dashboard/rollcall").status_code == 200


def test_an_old_override_out_of_range_cannot_break_the_purge_or_the_roll_call(
    admin: FlaskClient, db: Database, config: Config, clock: ManualClock
) -> None:
    """A value stored before the ranges existed is ignored, not fatal."""
    conn = db.conn()
    with db.write():
        put_setting(conn, settings.PREFIX + "privacy.visitor_days", "99999999999", iso(clock.now()))
        put_setting(conn, settings.PREFIX + "privacy.uncertain_hours", "99999999", iso(clock.now()))
    assert settings.effective(config, conn).privacy == config.privacy
    retention.daily_purge(db, config, clock)
    assert admin.get("/dashboard/rollcall").status_code == 200
    assert admin.post("/dashboard/manage/privacy/purge",
                      data={"csrf_token": csrf_token(admin, "/dashboard/manage/privacy")}).status_code == 302


def test_the_retention_line_at_sign_in_follows_the_settings_page(
    admin: FlaskClient, db: Database, config: Config, app
) -> None:  # type: ignore[no-untyped-def]
    page = "/dashboard/manage/settings"
    reply = admin.post(page, data={**_form(config, db), "privacy__visitor_days": "7", "privacy__member_visit_days": "400",
                                   "csrf_token": csrf_token(admin, page)})
    assert reply.status_code == 302
    kiosk = app.test_client()
    visitor = kiosk.get("/kiosk/signin/visitor").get_data(as_text=True)
    assert "for 7 days" in visitor and "30 days" not in visitor
    assert "for 400 days" in kiosk.get("/kiosk/signin/member").get_data(as_text=True)
    kiosk.post("/kiosk/language", data={"lang": "cy", "next": "/kiosk/signin/visitor",
                                        "csrf_token": csrf_token(kiosk, "/kiosk/")})
    assert " 7 " in kiosk.get("/kiosk/signin/visitor").get_data(as_text=True)


def test_the_settings_page_shows_exactly_the_keys_declared_with_a_label() -> None:
    """A key gets its words (label) in its declaration; the page and the docs' "Settings
    page" mark both come from there, so they cannot disagree."""
    labelled = {dotted for dotted, f in iter_keys() if f.metadata.get("label")}
    assert labelled == set(settings.EDITABLE)
