"""TURN credentials: configured ICE servers plus short-lived TURN REST API credentials for one participant of one
call, so a leaked credential opens the relay to nobody else and not for long. Pure given the time."""

from __future__ import annotations

import base64
import hashlib
import hmac

from madoguchi.settings import Settings
from madoguchi.signaling.server_events import IceServerEntry


class TurnIssuer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def ice_servers(self, consultation_id: str, role: str, *, now: float) -> list[IceServerEntry]:
        """``username = "<expiry>:<consultation id>.<role>"``, ``credential = base64(HMAC-SHA1(secret, username))``."""
        servers = [IceServerEntry(**s.model_dump(exclude_none=True)) for s in self._settings.ice_servers]
        secret = self._settings.turn_secret
        if secret is not None and self._settings.turn_urls:
            expiry = int(now) + self._settings.turn_ttl_s
            username = f"{expiry}:{consultation_id}.{role}"
            digest = hmac.new(secret.get_secret_value().encode(), username.encode(), hashlib.sha1).digest()
            servers.append(
                IceServerEntry(
                    urls=list(self._settings.turn_urls),
                    username=username,
                    credential=base64.b64encode(digest).decode(),
                )
            )
        return servers
