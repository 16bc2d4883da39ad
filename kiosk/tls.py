"""HTTPS for the dashboard: a certificate made on first start (or the community's own),
its fingerprint for volunteers to check, and the server's TLS settings.

The certificate is made with `cryptography` (the Python Cryptographic Authority's
library, imported only then: it costs the web role about 8 MiB for the rest of its life,
and every later start finds the files made) rather than by hand: an EC P-256 key and a self-signed certificate for this
Doorstep's names, in web.secrets_dir beside the session key (0600). Browsers warn about
a certificate nobody vouches for; the kiosk's "For volunteers" screen and the dashboard
show its SHA-256 fingerprint so a volunteer can check it is this Doorstep's before going
on. The kiosk on the Pi itself keeps plain HTTP on loopback.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import ipaddress
import os
import re
import socket
import ssl
from pathlib import Path

from appliance.core.config import Config, secrets_dir

CERT_FILE = "tls-cert.pem"
KEY_FILE = "tls-key.pem"
VALID_YEARS = 10  # an appliance must not stop serving its dashboard one day unattended
# the first certificate of a PEM file (the community's own may hold its chain after it)
PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)


class TlsError(Exception):
    """The certificate or key cannot be made or used; the message names the file."""


def paths(config: Config) -> tuple[Path, Path]:
    """The certificate and key files: the community's own if configured, else ours."""
    if config.web.tls_certificate:
        return Path(config.web.tls_certificate), Path(config.web.tls_key)
    folder = secrets_dir(config)
    return folder / CERT_FILE, folder / KEY_FILE


def ensure_certificate(config: Config, now: dt.datetime) -> tuple[Path, Path]:
    """The certificate and key, made now if they are ours and missing."""
    cert_path, key_path = paths(config)
    if config.web.tls_certificate:
        for path in (cert_path, key_path):
            if not path.is_file():
                raise TlsError(f"{path} does not exist (web.tls_certificate / web.tls_key)")
        return cert_path, key_path
    if cert_path.is_file() and key_path.is_file():
        return cert_path, key_path
    return _make(config, now, cert_path, key_path)


def _make(config: Config, now: dt.datetime, cert_path: Path, key_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname() or "doorstep"
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dict.fromkeys((host, f"{host}.local", "localhost"))]
    names += [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Doorstep {config.site.id}"[:64]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, config.site.name[:64] or "Doorstep")])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * VALID_YEARS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    try:
        key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise TlsError(f"cannot write the certificate in {key_path.parent}: {exc}") from None
    return cert_path, key_path


def fingerprint(cert_path: Path) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it ("AB:CD:..."), or '' if unreadable."""
    try:
        found = PEM_CERT.search(cert_path.read_bytes())
        der = ssl.PEM_cert_to_DER_cert(found[0].decode("ascii")) if found else b""
    except (OSError, ValueError, binascii.Error):  # unreadable, not ASCII, not base64
        return ""
    if not der.startswith(b"\x30"):  # a certificate is a DER SEQUENCE; anything else is not one
        return ""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """TLS 1.2 or newer with this certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_path, key_path)
    except (OSError, ssl.SSLError) as exc:
        raise TlsError(f"cannot use the certificate {cert_path} with key {key_path}: {exc}") from None
    return context
