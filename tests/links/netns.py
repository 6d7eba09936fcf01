"""A booth on its own network: a Linux network namespace joined to this host by one veth pair.

What the island link tests need and nothing more: a namespace whose only way out is a /30 to the host (so its
traffic reaches only the server and coturn the test started there), switches that make that link bad the way
real ones are (UDP dropped by nftables, a rate cap by ``tc tbf``, the link pulled down and brought back), and a
way to run a program inside (Chromium through an ``ip netns exec`` wrapper).

Every name is unique per use (``mdg`` + random hex) and every command is bounded in time; the veth pair and the
namespace are removed in a ``finally`` whatever happened, so an interrupted test leaves nothing behind except
when the process is killed outright (``ip netns list | grep mdg`` then shows the leftovers, safe to delete).
Needs root and ``ip netns``; :func:`unavailable_reason` says in a sentence why not.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

COMMAND_TIMEOUT_S = 10.0


class NetnsError(RuntimeError):
    """A namespace command failed; the message has the command and what it printed."""


def _run(args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
    if check and done.returncode != 0:
        raise NetnsError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done


def unavailable_reason() -> str | None:
    """None when namespaces can be made here; otherwise why not (for ``pytest.skip``)."""
    if os.geteuid() != 0:
        return "network namespace tests need root (CI runs them as root)"
    for tool in ("ip", "nft", "tc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install iproute2 nftables)"
    name = f"mdgprobe{secrets.token_hex(3)}"
    try:
        added = _run(["ip", "netns", "add", name], check=False)
        if added.returncode != 0:
            return f"ip netns is unavailable here: {added.stderr.strip()}"
    finally:
        _run(["ip", "netns", "del", name], check=False)
    return None


def _used_networks() -> list[ipaddress.IPv4Network]:
    routes = _run(["ip", "-4", "route", "show", "table", "all"], check=False).stdout.split()
    networks = []
    for word in routes:
        with contextlib.suppress(ValueError):
            networks.append(ipaddress.ip_network(word, strict=False))
    return [n for n in networks if isinstance(n, ipaddress.IPv4Network)]


def _free_subnet() -> ipaddress.IPv4Network:
    """A /30 in 10.213.0.0/16 that no route on this host touches (parallel runs pick different ones)."""
    used = _used_networks()
    for _ in range(200):
        candidate = ipaddress.ip_network(f"10.213.{secrets.randbelow(256)}.{4 * secrets.randbelow(64)}/30")
        if not any(candidate.overlaps(n) for n in used if n.prefixlen > 0):
            return candidate
    raise NetnsError("no free /30 in 10.213.0.0/16")


@dataclass
class BoothNetwork:
    """A namespace ``name`` reaching the host at :attr:`host_ip` through veth ``host_dev`` / ``ns_dev``."""

    name: str
    host_dev: str
    ns_dev: str
    host_ip: str
    ns_ip: str

    def exec(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run(["ip", "netns", "exec", self.name, *args], check=check)

    def block_udp(self) -> None:
        """Drop every UDP datagram in and out of the namespace (loopback inside it excepted)."""
        script = (
            "table inet madoguchi_links {\n"
            "  chain out { type filter hook output priority 0; policy accept;\n"
            "    oif lo accept; meta l4proto udp counter drop; }\n"
            "  chain in { type filter hook input priority 0; policy accept;\n"
            "    iif lo accept; meta l4proto udp counter drop; }\n"
            "}\n"
        )
        self._nft(script)

    def _nft(self, script: str) -> None:
        """Load an nftables script inside the namespace."""
        done = subprocess.run(
            ["ip", "netns", "exec", self.name, "nft", "-f", "-"],
            input=script,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise NetnsError(f"nft in {self.name} failed: {done.stderr.strip()}")

    def block_tcp_port(self, port: int) -> None:
        """Drop TCP to and from ``port`` on the host (e.g. plain TURN over TCP, so that only TURN over TLS is left)."""
        script = (
            "table inet madoguchi_links_tcp {\n"
            "  chain out { type filter hook output priority 0; policy accept;\n"
            f"    oif lo accept; tcp dport {port} counter drop; }}\n"
            "  chain in { type filter hook input priority 0; policy accept;\n"
            f"    iif lo accept; tcp sport {port} counter drop; }}\n"
            "}\n"
        )
        self._nft(script)

    def udp_dropped(self) -> int:
        """Packets the UDP rules dropped so far (both directions)."""
        listing = self.exec("nft", "list", "table", "inet", "madoguchi_links").stdout
        total = 0
        for line in listing.splitlines():
            if "udp counter" in line and "packets" in line:
                words = line.split()
                total += int(words[words.index("packets") + 1])
        return total

    def cap_rate(self, kbit: int, *, burst_bytes: int = 4096, latency_ms: int = 200) -> None:
        """A token bucket of ``kbit`` each way: on the namespace side (uplink) and the host side (downlink)."""
        spec = ["tbf", "rate", f"{kbit}kbit", "burst", str(burst_bytes), "latency", f"{latency_ms}ms"]
        self.exec("tc", "qdisc", "replace", "dev", self.ns_dev, "root", *spec)
        _run(["tc", "qdisc", "replace", "dev", self.host_dev, "root", *spec])

    def uncap(self) -> None:
        """Lift :meth:`cap_rate`: both ends back to the default queue."""
        self.exec("tc", "qdisc", "del", "dev", self.ns_dev, "root", check=False)
        _run(["tc", "qdisc", "del", "dev", self.host_dev, "root"], check=False)

    def link_down(self) -> None:
        self.exec("ip", "link", "set", self.ns_dev, "down")

    def link_up(self) -> None:
        self.exec("ip", "link", "set", self.ns_dev, "up")
        self.exec("ip", "route", "replace", "default", "via", self.host_ip)

    def describe(self) -> str:
        """Where the link stands, for a failure message: both ends' addresses and queues, the namespace's routes
        and nftables rules, and which device the host reaches the namespace through (another namespace's veth there
        would mean two networks took the same /30)."""
        views = {
            "host route to the booth": ["ip", "route", "get", self.ns_ip],
            "host end": ["ip", "-br", "addr", "show", "dev", self.host_dev],
            "host end queue": ["tc", "qdisc", "show", "dev", self.host_dev],
            "namespace addresses": ["ip", "netns", "exec", self.name, "ip", "-br", "addr"],
            "namespace routes": ["ip", "netns", "exec", self.name, "ip", "route"],
            "namespace queue": ["ip", "netns", "exec", self.name, "tc", "qdisc", "show", "dev", self.ns_dev],
            "namespace rules": ["ip", "netns", "exec", self.name, "nft", "list", "ruleset"],
        }
        lines = [f"network namespace {self.name} ({self.host_ip} on the host, {self.ns_ip} inside):"]
        for what, args in views.items():
            try:
                done = _run(args, check=False)
                said = (done.stdout + done.stderr).strip().replace("\n", "\n    ") or "(nothing)"
            except (OSError, subprocess.TimeoutExpired) as exc:
                said = f"unreadable: {exc}"
            lines.append(f"  {what}: {said}")
        return "\n".join(lines)

    def wrapper(self, directory: Path, program: str) -> Path:
        """An executable that runs ``program`` inside the namespace with the arguments it is given."""
        path = directory / f"{Path(program).name}-in-{self.name}"
        path.write_text(f'#!/bin/sh\nexec ip netns exec {self.name} {program} "$@"\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path


OPEN: list[BoothNetwork] = []
"""The namespaces this process has now (:func:`booth_network`), described when a kiosk inside one is not ready."""


@contextlib.contextmanager
def booth_network() -> Iterator[BoothNetwork]:
    """Make a namespace joined to the host by a fresh veth pair; remove both afterwards, whatever happened."""
    tag = secrets.token_hex(3)
    subnet = _free_subnet()
    host_ip, ns_ip = (str(address) for address in list(subnet.hosts())[:2])
    network = BoothNetwork(name=f"mdg{tag}", host_dev=f"mdg{tag}h", ns_dev=f"mdg{tag}n", host_ip=host_ip, ns_ip=ns_ip)
    try:
        _run(["ip", "netns", "add", network.name])
        # IPv4 only: an IPv6 link-local address finishing its duplicate check a second or two after the link comes
        # up is an address change, and Chromium's network-change notifier then fails every request in flight with
        # ERR_NETWORK_CHANGED — the kiosk's modules did not load and its start button stayed grey (CI stop 18's
        # "the booth's socket never connected", caught by the diagnostics in session 10).
        for scope in ("all", "default"):
            network.exec("sysctl", "-q", "-w", f"net.ipv6.conf.{scope}.disable_ipv6=1")
        _run(["ip", "link", "add", network.host_dev, "type", "veth", "peer", "name", network.ns_dev])
        _run(["sysctl", "-q", "-w", f"net.ipv6.conf.{network.host_dev}.disable_ipv6=1"])
        _run(["ip", "link", "set", network.ns_dev, "netns", network.name])
        _run(["ip", "addr", "add", f"{host_ip}/30", "dev", network.host_dev])
        _run(["ip", "link", "set", network.host_dev, "up"])
        network.exec("ip", "addr", "add", f"{ns_ip}/30", "dev", network.ns_dev)
        network.exec("ip", "link", "set", "lo", "up")
        network.link_up()
        OPEN.append(network)
        yield network
    finally:
        if network in OPEN:
            OPEN.remove(network)
        _run(["ip", "link", "del", network.host_dev], check=False)  # takes its peer with it
        _run(["ip", "netns", "del", network.name], check=False)
