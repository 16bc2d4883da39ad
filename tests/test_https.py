"""HTTPS for the dashboard (issue 15 item 7), with the real `doorstep web` process: a
certificate made on first start (or the community's own), its fingerprint on the kiosk's
"For volunteers" screen and on the dashboard, the session cookie Secure over HTTPS, LAN
browsers sent from plain HTTP to HTTPS for the dashboard, the kiosk on plain HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import http.client
import re
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from csrf_support import token_in
from live_support import PASSWORD, Browser

from appliance.core.clock import SystemClock
from appliance.core.config import Config, DatabaseConfig, WebConfig
from appliance.people import admins
from appliance.storage.db import Database
from bench.procs import config_toml, doorstep, running, wait_port
from doorstep.broker import free_port
from kiosk import tls


def served_fingerprint(port: int) -> str:
    der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port)))
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def https(port: int, cafile: Path) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(cafile))
    return http.client.HTTPSConnection("localhost", port, context=context, timeout=20)


def start(tmp_path: Path, extra: str = "") -> tuple[object, int, int, Path]:
    db = tmp_path / "doorstep.db"
    port, https_port = free_port(), free_port()
    config = tmp_path / "config.toml"
    text = config_toml(db, web_port=port, https_port=https_port, doors=())
    config.write_text(text.replace("[mqtt]", extra + "[mqtt]", 1), encoding="utf-8")
    Database(db).migrate()
    admins.create(Database(db).conn(), "alice", PASSWORD, SystemClock().now())
    return doorstep("web", config), port, https_port, db


def test_the_dashboard_over_https_with_a_certificate_made_at_first_start(tmp_path: Path) -> None:
    web, port, https_port, db = start(tmp_path)
    with running(web):
        wait_port(port, web)
        wait_port(https_port, web)
        cert = tmp_path / "web-secrets" / "tls-cert.pem"
        assert (tmp_path / "web-secrets" / "tls-key.pem").stat().st_mode & 0o777 == 0o600
        fingerprint = served_fingerprint(https_port)

        # the kiosk (loopback, plain HTTP) shows the fingerprint a volunteer checks
        kiosk = Browser(f"http://127.0.0.1:{port}/")
        status, _, page = kiosk.request("/kiosk/volunteers")
        assert status == 200
        shown = ":".join(re.findall(r"<code>([0-9A-F:]+)</code>", page))
        assert shown == fingerprint, (shown, fingerprint)
        assert Browser(f"http://127.0.0.1:{port}/", source="127.0.0.9").request("/kiosk/volunteers")[0] == 403

        # a LAN browser asking for the dashboard over plain HTTP is sent to HTTPS
        status, headers, _ = Browser(f"http://127.0.0.1:{port}/", source="127.0.0.9").request("/dashboard/login")
        assert status == 308 and headers["Location"] == f"https://127.0.0.1:{https_port}/dashboard/login"

        # over HTTPS: log in; the cookie is Secure and __Host- named
        conn = https(https_port, cert)
        conn.request("GET", "/dashboard/login")
        response = conn.getresponse()
        form = response.read().decode()
        cookie = response.getheader("Set-Cookie") or ""
        assert "__Host-doorstep=" in cookie and "Secure" in cookie
        body = f"name=alice&password={PASSWORD.replace(' ', '+')}&csrf_token={token_in(form)}"
        conn.request("POST", "/dashboard/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie.split(";")[0],
            "Referer": f"https://localhost:{https_port}/dashboard/login"})  # as a browser sends it
        logged_in = conn.getresponse()
        logged_in.read()
        session = logged_in.getheader("Set-Cookie") or ""
        assert logged_in.status == 302 and "Secure" in session and "HttpOnly" in session
        conn.request("GET", "/dashboard/manage/admins", headers={"Cookie": session.split(";")[0]})
        admins_page = conn.getresponse().read().decode()
        assert fingerprint in admins_page
        conn.close()


def test_a_certificate_the_community_provides(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hall.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "own.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "own.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    web, port, https_port, _ = start(tmp_path, f'tls_certificate = "{tmp_path / "own.crt"}"\n'
                                               f'tls_key = "{tmp_path / "own.key"}"\n')
    with running(web):
        wait_port(https_port, web)
        expected = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
        assert served_fingerprint(https_port).replace(":", "") == expected
        conn = https(https_port, tmp_path / "own.crt")
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
        assert not (tmp_path / "web-secrets" / "tls-cert.pem").exists()


@pytest.mark.parametrize("proto", ["https", "http"])
def test_a_trusted_proxy_is_believed_and_nobody_else(tmp_path: Path, proto: str) -> None:
    web, port, _, _ = start(tmp_path, 'trusted_proxies = ["127.0.0.5/32"]\n')
    with running(web):
        wait_port(port, web)
        proxy = Browser(f"http://127.0.0.1:{port}/", source="127.0.0.5")
        headers = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": proto}
        status, answer, _ = proxy.request("/dashboard/login", headers=headers)
        assert status == 200  # a TLS proxy, or the kiosk behind it: no redirect to our own HTTPS
        assert ("Secure" in answer.get("Set-Cookie", "")) is (proto == "https")
        assert proxy.request("/kiosk/volunteers", headers=headers)[0] == 200  # the client it names is the kiosk
        stranger = Browser(f"http://127.0.0.1:{port}/", source="127.0.0.6")
        assert stranger.request("/kiosk/volunteers", headers=headers)[0] == 403


def test_web_keys_makes_the_keys_and_prints_the_fingerprint(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from doorstep.cli import main
    from kiosk import tls

    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "doorstep.db"}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["web-keys", "--config", str(config)])
    assert result.exit_code == 0, result.output
    secrets = tmp_path / "web-secrets"
    assert (secrets / "session.key").stat().st_mode & 0o777 == 0o600
    assert tls.fingerprint(secrets / "tls-cert.pem") in result.output
    again = CliRunner().invoke(main, ["web-keys", "--config", str(config)])
    assert again.output == result.output  # made once, then kept


def test_a_file_that_holds_no_certificate_has_no_fingerprint(tmp_path: Path) -> None:
    for text in ("nothing here", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                 "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"):
        path = tmp_path / "cert.pem"
        path.write_text(text)
        assert tls.fingerprint(path) == ""
    assert tls.fingerprint(tmp_path / "missing.pem") == ""


def test_the_fingerprint_is_of_the_first_certificate_of_a_chain(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    config = Config().with_changes(
        database=DatabaseConfig(path=str(tmp_path / "d.db")),
        web=dataclasses.replace(WebConfig(), secrets_dir=str(secrets)),
    )
    cert, _ = tls.ensure_certificate(config, dt.datetime.now(dt.UTC))
    alone = tls.fingerprint(cert)
    other = tmp_path / "other"
    tls.ensure_certificate(config.with_changes(web=dataclasses.replace(WebConfig(), secrets_dir=str(other))),
                           dt.datetime.now(dt.UTC))
    chain = tmp_path / "chain.pem"
    chain.write_bytes(cert.read_bytes() + (other / tls.CERT_FILE).read_bytes())
    assert len(alone) == 95 and tls.fingerprint(chain) == alone
