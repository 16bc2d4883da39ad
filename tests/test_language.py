"""The status sentence in the site's language, in whichever role builds it, and the
activities' names per language from the config."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from appliance.booking import bookings
from appliance.core import language
from appliance.core.clock import ManualClock
from appliance.core.config import Config, ConfigError, parse
from appliance.outbox import store
from appliance.publishing import derived
from appliance.storage.db import Database
from appliance.views import public
from doorstep.agent import use_screen_catalogs
from doorstep.seed import seed_demo


def test_the_agent_finds_the_screens_catalogs_without_the_web_app() -> None:
    use_screen_catalogs()
    assert language.words("cy").gettext("Open.") == "Ar agor."
    assert language.words("en").gettext("Open.") == "Open."
    assert language.words("fr").gettext("Open.") == "Open."  # no French catalog yet: English


def test_the_mqtt_status_sentence_is_in_the_sites_language(db: Database, config: Config, clock: ManualClock) -> None:
    use_screen_catalogs()
    seed_demo(db)
    welsh = config.with_changes(site=dataclasses.replace(config.site, language="cy"),
                                mqtt=dataclasses.replace(config.mqtt, enabled=True))
    start = clock.now() + timedelta(hours=1)
    with db.write() as conn:
        bookings.book(conn, welsh, bookings.BookingRequest(room="green-room", start=start, end=start + timedelta(hours=1),
                                                           title="Private", organiser="Sam"), clock.now())
        derived.refresh(conn, welsh, clock.now())
    status = [json.loads(m.payload) for m in store.pending(db.conn(), 0, 1000) if m.topic.endswith("/status")]
    assert status[-1]["sentence"] == "Ar agor. Neb i mewn. Nesaf: Green Room (wedi’i archebu) am 10:00."
    english = public.summary(db.conn(), config, clock.now())["sentence"]
    assert english == "Open. Nobody in. Next: the Green Room is booked at 10:00."


def test_activity_names_per_language_from_the_config() -> None:
    config = parse('[kiosk]\nactivities = ["Cafe", "Garden"]\n'
                   '[[kiosk.activity_names]]\nactivity = "Garden"\nlang = "cy"\nname = "Gardd"\n')
    assert config.kiosk.activity_name("Garden", "cy") == "Gardd"
    assert config.kiosk.activity_name("Cafe", "cy") == "Cafe"  # none given: its own name
    assert config.kiosk.activity_name("Garden", "en") == "Garden"
    assert Config().kiosk.activity_name("Cafe", "cy") == "Caffi"  # the defaults come with Welsh
    with pytest.raises(ConfigError, match="lang"):
        parse('[[kiosk.activity_names]]\nactivity = "Cafe"\nlang = "xx"\nname = "?"\n')
