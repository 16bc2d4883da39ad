"""Dashboard overrides of the config file: validated like the file, laid over it."""

from __future__ import annotations

import pytest

from appliance.core.clock import ManualClock, iso
from appliance.core.config import Config
from appliance.storage import settings
from appliance.storage.db import Database


def test_no_overrides_means_the_file(db: Database, config: Config) -> None:
    assert settings.effective(config, db.conn()) == config


def test_saved_values_override_the_file(db: Database, config: Config, clock: ManualClock) -> None:
    conn = db.conn()
    changed = settings.save(conn, config, {"site.name": "The Old School", "site.opening_hours.sun": "closed",
                                           "privacy.visitor_days": "14"}, iso(clock.now()))
    assert changed == {"site.name": ("Our Community Hall", "The Old School"),
                       "site.opening_hours.sun": ("10:00-18:00", "closed"),
                       "privacy.visitor_days": (30, 14)}
    now = settings.effective(config, conn)
    assert now.site.name == "The Old School"
    assert now.site.opening_hours.for_weekday(6) is None
    assert now.privacy.visitor_days == 14
    assert now.database == config.database  # everything else is the file's


def test_a_wrong_value_stores_nothing_and_names_every_key(db: Database, config: Config, clock: ManualClock) -> None:
    conn = db.conn()
    with pytest.raises(settings.SettingsError) as caught:
        settings.save(conn, config, {"site.name": "Fine", "site.opening_hours.mon": "22:00-09:00",
                                     "privacy.audit_days": "a year", "privacy.sensor_event_days": "0"},
                      iso(clock.now()))
    assert set(caught.value.errors) == {"site.opening_hours.mon", "privacy.audit_days", "privacy.sensor_event_days"}
    assert "closes before it opens" in caught.value.errors["site.opening_hours.mon"]
    assert "whole number" in caught.value.errors["privacy.audit_days"]
    assert settings.overrides(conn) == {}


def test_file_only_keys_cannot_be_set(db: Database, config: Config, clock: ManualClock) -> None:
    with pytest.raises(settings.SettingsError, match="only the config file"):
        settings.save(db.conn(), config, {"database.path": "/tmp/x.db"}, iso(clock.now()))
    keys = settings.file_only_keys()
    assert "database.path" in keys and "mqtt.host" in keys and "site.name" not in keys
    assert "site" not in keys  # tables are headings


def test_setting_the_files_value_again_drops_the_override(db: Database, config: Config, clock: ManualClock) -> None:
    conn = db.conn()
    settings.save(conn, config, {"site.name": "Elsewhere"}, iso(clock.now()))
    settings.save(conn, config, {"site.name": config.site.name}, iso(clock.now()))
    assert settings.overrides(conn) == {}
    settings.save(conn, config, {"privacy.audit_days": "30"}, iso(clock.now()))
    assert settings.reset(conn, "privacy.audit_days") is True
    assert settings.effective(config, conn).privacy.audit_days == config.privacy.audit_days


def test_a_stale_override_is_ignored_not_fatal(db: Database, config: Config, clock: ManualClock) -> None:
    conn = db.conn()
    from appliance.storage.db import put_setting

    put_setting(conn, settings.PREFIX + "privacy.visitor_days", '"forever"', iso(clock.now()))
    put_setting(conn, settings.PREFIX + "web.port", "1", iso(clock.now()))
    assert settings.effective(config, conn) == config


def test_describe_lists_each_editable_key_with_both_values(db: Database, config: Config, clock: ManualClock) -> None:
    conn = db.conn()
    settings.save(conn, config, {"privacy.visitor_days": "7"}, iso(clock.now()))
    rows = {s.key: s for s in settings.describe(config, conn)}
    assert list(rows) == list(settings.EDITABLE)
    assert (rows["privacy.visitor_days"].file_value, rows["privacy.visitor_days"].value) == (30, 7)
    assert rows["privacy.visitor_days"].overridden and not rows["site.name"].overridden
