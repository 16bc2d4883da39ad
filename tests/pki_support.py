"""A throw-away certificate authority for the MQTT TLS tests (never used by the appliance)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from doorstep.broker import TlsFiles


def _openssl(args: list[str]) -> None:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"openssl {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}"


def make_test_pki(directory: Path, name: str = "test", host: str = "127.0.0.1") -> TlsFiles:
    """A throw-away CA and a server certificate for ``host`` (tests and experiments only)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (directory / f"{name}-{part}" for part in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = directory / f"{name}-server.ext"
    ext.write_text(f"subjectAltName = IP:{host}, DNS:localhost\nbasicConstraints = CA:FALSE\n", encoding="utf-8")
    _openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=Doorstep {name} CA",
              "-keyout", str(ca_key), "-out", str(ca)])
    _openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}", "-keyout", str(key), "-out", str(csr)])
    _openssl(["x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
              "-days", "2", "-extfile", str(ext), "-out", str(cert)])
    return TlsFiles(ca, cert, key)
