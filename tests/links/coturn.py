"""A real coturn (Debian's ``turnserver``) for tests and the links benchmark, configured by Madoguchi itself.

The configuration is rendered by :func:`madoguchi.signaling.coturn.render_turnserver_conf` from the same TURN URLs
and secret the test server hands out in ``call.start``, so a call that connects through it proves the rendered
file and the issued logins agree. Each instance gets free ports, its own temporary directory, a bounded start
(it must accept a TCP connection on its port within a few seconds) and is always stopped.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from madoguchi.signaling.coturn import CoturnOptions, render_turnserver_conf

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Coturn:
    """A running coturn: where it listens and the secret it shares with the Madoguchi server under test."""

    host: str
    port: int
    secret: str
    conf: Path
    log: Path
    tls_port: int | None = None
    cert: Path | None = None
    """The TLS listener's certificate (self-signed, for :attr:`host` as an IP SAN)."""

    def urls(self, *transports: str, host: str | None = None) -> list[str]:
        """TURN URLs for ``transports`` (``udp``, ``tcp``, ``tls``), as MADOGUCHI_TURN_URLS would list them."""
        where = host or self.host
        urls = []
        for transport in transports or ("udp", "tcp"):
            if transport == "tls":
                assert self.tls_port is not None, "this coturn has no TLS listener"
                urls.append(f"turns:{where}:{self.tls_port}?transport=tcp")
            else:
                urls.append(f"turn:{where}:{self.port}?transport={transport}")
        return urls

    def log_text(self) -> str:
        try:
            return self.conf.parent.joinpath("turn.log").read_text(errors="replace")
        except OSError:
            return ""


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on ``host`` (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no port free for both UDP and TCP on {host}")


def _wait_listening(process: subprocess.Popen[bytes], host: str, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"coturn exited with status {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"coturn did not listen on {host}:{port} within {START_TIMEOUT_S:g} s")


def self_signed_certificate(directory: Path, ip: str) -> tuple[Path, Path]:
    """A throwaway certificate for ``ip`` (as an IP SAN), for coturn's TLS listener."""
    cert, key = directory / "turn.crt", directory / "turn.key"
    request = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
    subject = ["-subj", f"/CN={ip}", "-addext", f"subjectAltName=IP:{ip}"]
    subprocess.run(
        ["openssl", *request, *subject, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def spki_hash(cert: Path) -> str:
    """The base64 SHA-256 of ``cert``'s public key (what Chromium's ``--ignore-certificate-errors-spki-list``
    takes: that one key is trusted, for that browser only)."""
    pem = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"], check=True, capture_output=True, timeout=30
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"], input=pem, check=True, capture_output=True, timeout=30
    ).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@contextlib.contextmanager
def run_coturn(
    directory: Path,
    *,
    listen: Sequence[str] = ("127.0.0.1",),
    relay: str = "127.0.0.1",
    allow_peers: Sequence[str] = ("127.0.0.0/8",),
    tls: bool = False,
) -> Iterator[Coturn]:
    """Start coturn on ``listen`` (first address is the one URLs name), relaying from ``relay``; stop it after."""
    directory.mkdir(parents=True, exist_ok=True)
    host = listen[0]
    secret = secrets.token_hex(16)
    port = free_port(host)
    tls_port = free_port(host) if tls else None
    cert = key = None
    if tls:
        cert, key = self_signed_certificate(directory, host)
    urls = [f"turn:{host}:{port}?transport=udp", f"turn:{host}:{port}?transport=tcp"]
    if tls_port is not None:
        urls.append(f"turns:{host}:{tls_port}?transport=tcp")
    # Relay ports from a random slice of the ephemeral range, so parallel runs rarely compete.
    low = 40000 + secrets.randbelow(100) * 200
    options = CoturnOptions(
        realm="madoguchi.test",
        listening_ips=tuple(listen),
        relay_ips=(relay,),
        allowed_peers=tuple(allow_peers),
        min_port=low,
        max_port=low + 199,
        cert=str(cert) if cert else None,
        pkey=str(key) if key else None,
        log_file=str(directory / "turn.log"),
        pidfile=str(directory / "turnserver.pid"),
        userdb=str(directory / "turndb"),
        extra=("verbose",),  # session lines (user names) in the log, for the tests to read
    )
    conf = directory / "turnserver.conf"
    conf.write_text(render_turnserver_conf(urls, secret, options))
    log = directory / "turn.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [TURNSERVER, "-c", str(conf), "--no-stdout-log"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_listening(process, host, port, log)
        yield Coturn(host=host, port=port, secret=secret, conf=conf, log=log, tls_port=tls_port, cert=cert)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
