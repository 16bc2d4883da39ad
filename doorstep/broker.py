"""A private Mosquitto for the demo and the tests: started on a free port with its own
config file and persistence directory, stopped (and restartable) on demand."""

from __future__ import annotations

import contextlib
import getpass
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class BrokerError(Exception):
    """Mosquitto could not be started, or its files could not be made."""


@dataclass(frozen=True)
class TlsFiles:
    """A CA and a server certificate signed by it, as PEM files."""

    ca: Path
    cert: Path
    key: Path


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerError(f"{args[0]} {args[1]} failed: {done.stderr.strip() or done.stdout.strip()}")


def add_user(password_file: Path, username: str, password: str) -> None:
    """Add (or replace) a user in a Mosquitto password file (hashed by mosquitto_passwd)."""
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not Path(tool).exists():
        raise BrokerError("mosquitto_passwd is not installed (it comes with the mosquitto package)")
    password_file = Path(password_file)
    if not password_file.exists():
        password_file.touch(mode=0o600)
    _run([tool, "-b", str(password_file), username, password])


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def find_mosquitto() -> str | None:
    """Path of the mosquitto binary, or None."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )


class Mosquitto:
    """One private broker process."""

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        extra_config: str = "",
        tls: TlsFiles | None = None,
        password_file: Path | None = None,
        acl_file: Path | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.extra_config = extra_config
        self.tls = tls  # when set, the listener speaks TLS with this certificate
        self.password_file = password_file  # when set, anonymous clients are refused
        self.acl_file = acl_file
        self.process: subprocess.Popen[bytes] | None = None
        binary = find_mosquitto()
        if binary is None:
            raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary

    @property
    def config_path(self) -> Path:
        """The broker's own config file."""
        return self.directory / "mosquitto.conf"

    def write_config(self) -> None:
        """Write the config: loopback only, persistence in our directory; anonymous unless a
        password file is given; TLS and an ACL when given."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "data").mkdir(exist_ok=True)
        tls = (
            f"cafile {self.tls.ca}\ncertfile {self.tls.cert}\nkeyfile {self.tls.key}\n" if self.tls else ""
        )
        auth = f"allow_anonymous false\npassword_file {self.password_file}\n" if self.password_file else "allow_anonymous true\n"
        acl = f"acl_file {self.acl_file}\n" if self.acl_file else ""
        self.config_path.write_text(
            f"listener {self.port} {self.host}\n"
            # Started as root, mosquitto would switch to its own user and could not read our
            # files (password file, certificates, log); a private broker runs as its starter.
            + f"user {getpass.getuser()}\n"
            + tls
            + auth
            + acl
            + "persistence true\n"
            f"persistence_location {self.directory / 'data'}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 0\n"
            f"log_dest file {self.directory / 'mosquitto.log'}\n"
            + self.extra_config,
            encoding="utf-8",
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker and wait until it accepts connections."""
        self.write_config()
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # Its own session: a Ctrl-C in the demo's terminal reaches only the demo, which
            # says 'offline' on the broker and then stops it, in that order.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                if self.process.stderr:
                    self.process.stderr.close()
                raise BrokerError(f"mosquitto exited at start: {err.strip() or self.log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 0.2):
                return
            time.sleep(0.02)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on port {self.port} within {timeout} s")

    def stop(self) -> None:
        """Stop the broker (it keeps its persistence directory)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def is_running(self) -> bool:
        """The broker process is alive."""
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 5) -> str:
        """The end of the broker's log."""
        path = self.directory / "mosquitto.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
