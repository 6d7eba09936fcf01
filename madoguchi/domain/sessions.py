"""The staff login cookie's name: the login page sets it, the socket handshake and the headless agent read it.

One definition, because three modules on both sides of the wire spelled it out and had to agree.
"""

from __future__ import annotations

from typing import Final

SESSION_COOKIE: Final = "madoguchi_session"
