"""The ``doorstep`` command. Each command parses its arguments and calls a library function."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import click

from appliance import __version__
from appliance.core import config as config_mod
from appliance.core import config_reference
from appliance.storage.db import Database, DatabaseError

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
    from doorstep.run import run_agent, run_web

    (run_agent if role == "agent" else run_web)(cfg, wait_for_signal)


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
    from doorstep.demo import DemoError, run_demo

    try:
        run_demo(db_path=db_path, web_port=web_port, broker=broker, speed=speed, wait=wait_for_signal, echo=click.echo)
    except DemoError as exc:
        fail(str(exc), 1)


@main.command("web-keys")
@CONFIG_OPTION
def web_keys(config_path: Path) -> None:
    """Make the web role's key files if missing (the session signing key and, with HTTPS on,
    the certificate) and print where they are and the certificate's fingerprint."""
    from appliance.core.clock import SystemClock
    from appliance.core.keyfile import KeyFileError
    from kiosk import cookies, tls

    cfg = load_config(config_path)
    try:
        cookies.signing_key(cfg)
        click.echo(f"session key: {config_mod.secrets_dir(cfg) / cookies.KEY_FILE}")
        if cfg.web.https_port:
            cert, _ = tls.ensure_certificate(cfg, SystemClock().now())
            click.echo(f"certificate: {cert}")
            click.echo(f"fingerprint (SHA-256): {tls.fingerprint(cert)}")
        else:
            click.echo("HTTPS is off (web.https_port = 0): no certificate")
    except (KeyFileError, tls.TlsError) as exc:
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


def _read_password(prompt: str = "Password") -> str:
    """A password from stdin (asked twice on a terminal)."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@admin.command("create")
@click.argument("name")
@CONFIG_OPTION
def admin_create(name: str, config_path: Path) -> None:
    """Add an admin called NAME; the password is read from stdin (asked twice on a terminal)."""
    from appliance.core.clock import SystemClock
    from appliance.people import admins

    password = _read_password()
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
    from appliance.core.clock import SystemClock
    from appliance.people import admins

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


@admin.command("passwd")
@click.argument("name")
@CONFIG_OPTION
def admin_passwd(name: str, config_path: Path) -> None:
    """Give admin NAME a new password (read from stdin, asked twice on a terminal); every
    session NAME has open ends, so a leaked password stops working at once."""
    from appliance.core.clock import SystemClock
    from appliance.people import admins

    password = _read_password("New password")
    db = _open_db(config_path)
    try:
        ended = admins.set_password(db.conn(), name, password, SystemClock().now())
    except admins.AdminError as exc:
        fail(str(exc), 1)
    finally:
        db.close()
    click.echo(f"the password of {name!r} is changed; {ended} session(s) ended")


@admin.command("remove")
@click.argument("name")
@CONFIG_OPTION
def admin_remove(name: str, config_path: Path) -> None:
    """Remove admin NAME (their sessions and API token end too); the last admin stays."""
    from appliance.core.clock import SystemClock
    from appliance.people import admins

    db = _open_db(config_path)
    try:
        admins.remove(db.conn(), name, SystemClock().now())
    except admins.AdminError as exc:
        fail(str(exc), 1)
    finally:
        db.close()
    click.echo(f"admin {name!r} removed")


@admin.command("list")
@CONFIG_OPTION
def admin_list(config_path: Path) -> None:
    """List the admins: name, when added, open sessions, whether they hold an API token."""
    from appliance.people import admins

    db = _open_db(config_path)
    try:
        found = admins.accounts(db.conn())
    finally:
        db.close()
    click.echo(f"{'name':<24} {'added':<20} {'sessions':>8}  api token")
    for account in found:
        click.echo(f"{account.name:<24} {account.created_at[:16]:<20} {account.sessions:>8}  "
                   f"{'yes' if account.has_token else 'no'}")


@admin.command("sessions")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="End every session of NAME (they must log in again).")
@CONFIG_OPTION
def admin_sessions(name: str, revoke: bool, config_path: Path) -> None:
    """List admin NAME's open dashboard sessions (from where, since when), or --revoke them."""
    from appliance.core.clock import SystemClock
    from appliance.people import admins, sessions

    cfg = load_config(config_path)
    db = _open_db(config_path)
    try:
        if name not in admins.names(db.conn()):
            fail(f"there is no admin called {name!r}", 1)
        if revoke:
            ended = sessions.end_all(db.conn(), name)
            click.echo(f"{ended} session(s) of {name!r} ended")
            return
        found = sessions.open_sessions(db.conn(), name, SystemClock().now(), cfg.web)
    finally:
        db.close()
    if not found:
        click.echo(f"{name!r} has no open session")
    for one in found:
        click.echo(f"from {one.address:<40} since {one.started_at[:16]}  last used {one.seen_at[:16]}")
