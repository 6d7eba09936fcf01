"""The loop that closes sockets whose access was taken away, within a second, on every process.

Each process watches only its own sockets: every :data:`CHECK_INTERVAL_S` it collects the credentials they hold,
asks the database about them in one query per kind (:class:`~madoguchi.signaling.ports.CredentialLookup`), and
for each one that no longer stands (:func:`~madoguchi.signaling.revocation.reason_to_end`) the namespace sends
``access.revoked`` with the reason and closes the socket. Why the database and not a Redis announcement: see
:mod:`madoguchi.signaling.revocation`. Session expiry is caught the same way, while the socket is open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol

from madoguchi.signaling.background import cancel_requested
from madoguchi.signaling.ports import CredentialLookup
from madoguchi.signaling.revocation import Credential, CredentialKind, Reason, Standing, reason_to_end

log = logging.getLogger(__name__)

CHECK_INTERVAL_S: Final = 0.5
"""How often a process re-checks its sockets' credentials: a revoked one is closed within about a second
(the promise is 2 s, leaving room for a slow database)."""


class Revocable(Protocol):
    """A namespace whose connections hold credentials (``sockets.RoleNamespace``)."""

    @property
    def connections(self) -> Mapping[str, Any]: ...

    async def revoke(self, sid: str, reason: Reason) -> None: ...


class RevocationWatch:
    def __init__(
        self,
        *,
        namespaces: Sequence[Revocable],
        credentials: CredentialLookup,
        clock: Callable[[], float],
        interval_s: float = CHECK_INTERVAL_S,
    ) -> None:
        self._namespaces = namespaces
        self._credentials = credentials
        self._clock = clock
        self._interval = interval_s

    async def run_forever(self) -> None:
        """Only cancellation ends this loop; a failed round (the database away for a moment) is logged and the
        next one tries again."""
        while True:
            try:
                await self.check_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("could not re-check open sockets' credentials: %s", exc)
            if cancel_requested():  # closing sockets through Redis may have swallowed it
                raise asyncio.CancelledError
            await asyncio.sleep(self._interval)

    async def check_once(self) -> int:
        """One round; returns how many sockets were closed."""
        held = [
            (namespace, sid, conn.credential)
            for namespace in self._namespaces
            for sid, conn in list(namespace.connections.items())
            if conn.credential is not None
        ]
        if not held:
            return 0
        standing = await self._standing([credential for _, _, credential in held])
        now = self._clock()
        ending = [
            (namespace, sid, reason)
            for namespace, sid, credential in held
            if (reason := reason_to_end(credential, standing, now)) is not None
        ]
        if ending:
            await asyncio.gather(*(namespace.revoke(sid, reason) for namespace, sid, reason in ending))
        return len(ending)

    async def _standing(self, held: Sequence[Credential]) -> Standing:
        sessions = {c.token_hash for c in held if c.kind == CredentialKind.SESSION}
        staff = {c.subject for c in held if c.kind == CredentialKind.SESSION}
        booths = {c.subject for c in held if c.kind == CredentialKind.BOOTH}
        expiry = await self._credentials.session_expiry(sessions) if sessions else {}
        return Standing(
            sessions={token_hash: at.timestamp() for token_hash, at in expiry.items()},
            disabled_staff=frozenset(await self._credentials.disabled_staff(staff) if staff else ()),
            booth_tokens=await self._credentials.booth_tokens(booths) if booths else {},
        )
