"""Config: every key has a default, the example round-trips, bad input is one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.core import config as cfg
from appliance.core import config_reference as ref
from doorstep.cli import main


def test_example_parses_to_the_defaults() -> None:
    assert cfg.parse(ref.example()) == cfg.Config()


def test_example_mentions_every_key() -> None:
    text = ref.example()
    for dotted, _field in ref.iter_keys():
        leaf = dotted.split(".")[-1].replace("[]", "")
        assert f"{leaf} = " in text or f"[{dotted}]" in text or f"[[{leaf}]]" in text, dotted



@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[site]\nnmae = "x"', "site.nmae is not a known key (did you mean 'name'?)"),
        ("[web]\nport = \"80\"", "web.port must be an integer"),
        ("[web]\nport = 70000", "web.port: 70000 is not a TCP port"),
        ('[site]\ntimezone = "Mars/Olympus"', "site.timezone:"),
        ('[site.opening_hours]\nmon = "9-5"', "site.opening_hours.mon:"),
        ('[web]\nkiosk_networks = ["lan"]', "web.kiosk_networks:"),
        ("[[doors]]\nid = \"front\"", "doors[0].pin is required"),
        ('[[doors]]\nid = "a"\npin = 4\n[[doors]]\nid = "b"\npin = 4', "doors[1].pin: GPIO 4 is already used"),
        ('[mqtt]\ntopic_prefix = "a/#"', "mqtt.topic_prefix:"),
        ("[hardware]\nsimulate = 1", "hardware.simulate must be true or false"),
        ("colour = ", "not valid TOML"),
        ("unknown = 1", "unknown is not a known key"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(text: str, expected: str) -> None:
    with pytest.raises(cfg.ConfigError) as err:
        cfg.parse(text, "bad.toml")
    message = str(err.value)
    assert message.startswith("bad.toml: ")
    assert expected in message
    assert "\n" not in message


def test_cli_exits_2_with_one_line_for_a_misspelt_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[database]\npth = "x.db"\n')
    for command in ("agent", "web", "check-config", "migrate"):
        result = CliRunner().invoke(main, [command, "--config", str(bad)])
        assert result.exit_code == 2, (command, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1
        assert "database.pth is not a known key" in lines[0]


def test_cli_exits_2_for_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["agent", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_init_config_writes_a_file_that_checks(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "config.toml"
    runner = CliRunner()
    assert runner.invoke(main, ["init-config", str(path)]).exit_code == 0
    assert runner.invoke(main, ["check-config", "--config", str(path)]).exit_code == 0
    again = runner.invoke(main, ["init-config", str(path)])
    assert again.exit_code == 2 and "exists already" in again.output


def test_opening_hours_per_weekday() -> None:
    hours = cfg.OpeningHours(sun="closed")
    assert hours.for_weekday(0) == ("09:00", "22:00")
    assert hours.for_weekday(6) is None
