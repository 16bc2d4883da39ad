"""The ``doorstep`` command. Each command parses its arguments and calls a library function."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import click

from appliance import __version__, config_reference
from appliance import config as config_mod
from appliance.db import Database, DatabaseError

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=config_mod.DEFAULT_PATH,
    show_default=True,
    help="The TOML config file.",
)


def fail(message: str, status: int = 2) -> NoReturn:
    """Print one line to stderr and exit."""
    click.echo(f"doorstep: {message}", err=True)
    sys.exit(status)


def load_config(path: Path) -> config_mod.Config:
    """Load the config or exit 2 with its one-line error."""
    try:
        return config_mod.load(path)
    except config_mod.ConfigError as exc:
        fail(str(exc))


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop.wait(0.5):
        pass


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="doorstep")
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Doorstep: a community-owned front door appliance."""
    ctx.obj = {"verbose": verbose}


@main.command("init-config")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_config(path: Path | None, force: bool) -> None:
    """Write a commented example config holding every key with its default (stdout without PATH)."""
    text = config_reference.example()
    if path is None:
        click.echo(text)
        return
    if path.exists() and not force:
        fail(f"{path} exists already (use --force to overwrite)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot write: {exc}")
    click.echo(f"wrote {path}")


@main.command("check-config")
@CONFIG_OPTION
def check_config(config_path: Path) -> None:
    """Validate the config file: exit 0 when it is good, 2 with a one-line error when not."""
    load_config(config_path)
    click.echo(f"{config_path}: ok")


@main.command()
@CONFIG_OPTION
def migrate(config_path: Path) -> None:
    """Create or upgrade the database, then exit."""
    cfg = load_config(config_path)
    try:
        applied = Database(cfg.database.path).migrate()
    except (DatabaseError, OSError) as exc:
        fail(f"database {cfg.database.path}: {exc}", 1)
    click.echo(f"{cfg.database.path}: applied {len(applied)} migration(s)")


def _run_role(ctx: click.Context, config_path: Path, role: str) -> None:
    """Load the config, set up logging, run one role until SIGTERM/SIGINT."""
    cfg = load_config(config_path)
    _logging(ctx.obj["verbose"])
    from appliance import roles  # only now: the roles pull in Flask, paho and gpiozero

    run = roles.run_agent if role == "agent" else roles.run_web
    run(cfg, wait_for_signal)


@main.command()
@CONFIG_OPTION
@click.pass_context
def agent(ctx: click.Context, config_path: Path) -> None:
    """Run the agent role: sensors, the writer, the broker link, housekeeping."""
    _run_role(ctx, config_path, "agent")


@main.command()
@CONFIG_OPTION
@click.pass_context
def web(ctx: click.Context, config_path: Path) -> None:
    """Run the web role: kiosk, dashboard, display and API."""
    _run_role(ctx, config_path, "web")


@main.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help="Keep the data in this file.")
@click.option("--web-port", type=int, default=8080, show_default=True, help="Port of the web pages (0: any free port).")
@click.option("--broker", help="Use this broker (HOST:PORT) instead of starting a private one.")
@click.option(
    "--speed", type=float, default=5.0, show_default=True,
    help="Simulated visitors come this many times faster than in a real hall (1: real pace).",
)
@click.pass_context
def demo(ctx: click.Context, db_path: Path | None, web_port: int, broker: str | None, speed: float) -> None:
    """Run both roles with simulated hardware and a private broker."""
    _logging(ctx.obj["verbose"])
    from appliance.demo import DemoError, run_demo

    try:
        run_demo(db_path=db_path, web_port=web_port, broker=broker, speed=speed, wait=wait_for_signal, echo=click.echo)
    except DemoError as exc:
        fail(str(exc), 1)


@main.group()
def admin() -> None:
    """Manage the people who may log in to the dashboard."""


def _open_db(config_path: Path) -> Database:
    cfg = load_config(config_path)
    db = Database(cfg.database.path)
    try:
        db.migrate()
    except (DatabaseError, OSError) as exc:
        fail(f"database {cfg.database.path}: {exc}", 1)
    return db


@admin.command("create")
@click.argument("name")
@CONFIG_OPTION
def admin_create(name: str, config_path: Path) -> None:
    """Add an admin called NAME; the password is read from stdin (asked twice on a terminal)."""
    from appliance import admins
    from appliance.clock import SystemClock

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    db = _open_db(config_path)
    try:
        admins.create(db.conn(), name, password, SystemClock().now())
    except admins.AdminError as exc:
        fail(str(exc), 1)
    finally:
        db.close()
    click.echo(f"admin {name!r} created; log in at /dashboard/login")


@admin.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Remove NAME's token instead of issuing one.")
@CONFIG_OPTION
def admin_token(name: str, revoke: bool, config_path: Path) -> None:
    """Issue (or --revoke) the API token of admin NAME; a new token replaces the old one."""
    from appliance import admins
    from appliance.clock import SystemClock

    db = _open_db(config_path)
    try:
        if revoke:
            admins.revoke_token(db.conn(), name, SystemClock().now())
            click.echo(f"the API token of {name!r} is revoked")
        else:
            token = admins.issue_token(db.conn(), name, SystemClock().now())
            click.echo(token)
    except admins.AdminError as exc:
        fail(str(exc), 1)
    finally:
        db.close()
