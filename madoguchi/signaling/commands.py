"""CLI subcommands of this package (registered by madoguchi.cli): ``madoguchi turn config``.

The TURN server must agree with Madoguchi on the secret and on where it listens; rendering its configuration
from the settings keeps the two in step (see :mod:`madoguchi.signaling.coturn`).
Exit status: 0 written, 2 the settings or options cannot make a working configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from madoguchi.cli_types import whole_number_within
from madoguchi.settings import Settings
from madoguchi.signaling.coturn import CoturnOptions, TurnConfigError, render_turnserver_conf

_port = whole_number_within(1024, 65535, what="a port number", wanted="between 1024 and 65535")
"""coturn's relay ports: the unprivileged ones."""


def register(subparsers: Any) -> None:
    """Add this package's subcommands to ``madoguchi``."""
    turn = subparsers.add_parser("turn", help="the TURN server (coturn) that carries calls through closed networks")
    actions = turn.add_subparsers(dest="turn_command", required=True)
    config = actions.add_parser(
        "config",
        help="print a coturn turnserver.conf matching MADOGUCHI_TURN_URLS and MADOGUCHI_TURN_SECRET",
        description=(
            "Renders coturn's configuration from the settings that issue TURN logins: the listening ports and "
            "transports from MADOGUCHI_TURN_URLS, static-auth-secret from MADOGUCHI_TURN_SECRET, and a closed-"
            "network policy (no multicast or loopback peers, relaying only to --allow-peer ranges)."
        ),
    )
    config.add_argument("--realm", help="TURN realm (default: the host of the first TURN URL)")
    config.add_argument("--listening-ip", action="append", default=[], help="address to listen on (repeatable)")
    config.add_argument("--relay-ip", action="append", default=[], help="address to relay from (repeatable)")
    config.add_argument("--external-ip", help="public address when coturn sits behind 1:1 NAT")
    config.add_argument(
        "--allow-peer",
        action="append",
        default=[],
        metavar="CIDR",
        help="network booths and consoles live in (repeatable); everything else is denied",
    )
    config.add_argument("--min-port", type=_port, default=49152, help="lowest relay port (default 49152)")
    config.add_argument("--max-port", type=_port, default=65535, help="highest relay port (default 65535)")
    config.add_argument("--cert", help="TLS certificate chain (PEM) for turns: URLs")
    config.add_argument("--pkey", help="its private key (PEM)")
    config.add_argument("--log-file", default="syslog", help="coturn's log-file value (default: syslog)")
    config.add_argument("--pidfile", help="coturn's pid file")
    config.add_argument("--userdb", help="coturn's SQLite file (unused with REST logins, but coturn opens it)")
    config.add_argument("--output", type=Path, help="write here (mode 600) instead of standard output")
    config.set_defaults(handler=turn_config_command)


async def turn_config_command(args: argparse.Namespace, settings: Settings) -> int:
    """``madoguchi turn config``: render the file, or say in one sentence why it cannot be rendered."""
    options = CoturnOptions(
        realm=args.realm,
        listening_ips=tuple(args.listening_ip),
        relay_ips=tuple(args.relay_ip),
        external_ip=args.external_ip,
        allowed_peers=tuple(args.allow_peer),
        min_port=args.min_port,
        max_port=args.max_port,
        cert=args.cert,
        pkey=args.pkey,
        log_file=args.log_file,
        pidfile=args.pidfile,
        userdb=args.userdb,
    )
    secret = settings.turn_secret.get_secret_value() if settings.turn_secret is not None else None
    try:
        text = render_turnserver_conf(settings.turn_urls, secret, options)
    except TurnConfigError as exc:
        print(f"madoguchi turn config: {exc}", file=sys.stderr)
        return 2
    if args.output is None:
        sys.stdout.write(text)
        return 0
    descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.chmod(args.output, 0o600)
    return 0
