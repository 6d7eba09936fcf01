"""Who takes part: one value for a booth, a resident at home or a member of staff, parsed and formatted here only.

A participant's key (``booth:<id>``, ``resident:<hash>``, ``agent:<staff id>``) is at once its Socket.IO room,
its entry in the live state's connection map and the way a signal names its receiver, so :class:`Participant`
*is* that string (a ``str`` subclass): it compares and hashes like its key, serialises as it, and adds the
parsed ``kind`` and ``id``. Nothing outside this module splits a key or checks a prefix.

A new kind of participant (a recording peer, say) is a new :class:`ParticipantKind` member here and a namespace
in ``signaling/rooms.py``; what a participant *does* in a case is its role
(:class:`~madoguchi.signaling.consultation.Role`), not its kind: a member of staff joins one call as its agent
and another as an observer, with the same key.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Final, Self

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class ParticipantKind(StrEnum):
    BOOTH = "booth"
    RESIDENT = "resident"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    """A member of staff watching /supervisor: held like any connection, so every process's supervisor view can
    tell one who is watching from an agent who is gone; never in a call, never rung (not a staff kind)."""


STAFF_KINDS = frozenset({ParticipantKind.AGENT})
"""Kinds that are members of staff (the rest are on the resident's side of the counter)."""

_KEY = re.compile(r"^([a-z][a-z_]{0,31}):(\S{1,128})$")


class Participant(str):
    """``<kind>:<id>``. Known kinds are :class:`ParticipantKind`; an unknown kind parses (the pure core treats it
    as the resident's side, as tests and older documents name residents ``chat:…``) but is never staff."""

    __slots__ = ()

    def __new__(cls, key: str) -> Self:
        if isinstance(key, Participant):
            return key  # type: ignore[return-value]
        if not isinstance(key, str) or _KEY.fullmatch(key) is None:
            raise ValueError(f"not a participant: {key!r} (expected '<kind>:<id>')")
        return super().__new__(cls, key)

    @classmethod
    def of(cls, kind: ParticipantKind, id_: str) -> Self:
        return cls(f"{kind.value}:{id_}")

    @classmethod
    def agent(cls, staff_id: str) -> Self:
        return cls.of(ParticipantKind.AGENT, staff_id)

    @classmethod
    def supervisor(cls, staff_id: str) -> Self:
        return cls.of(ParticipantKind.SUPERVISOR, staff_id)

    @classmethod
    def booth(cls, booth_id: str) -> Self:
        return cls.of(ParticipantKind.BOOTH, booth_id)

    @classmethod
    def resident(cls, ref: str) -> Self:
        return cls.of(ParticipantKind.RESIDENT, ref)

    @property
    def kind(self) -> str:
        return self.split(":", 1)[0]

    @property
    def id(self) -> str:
        return self.split(":", 1)[1]

    @property
    def is_staff(self) -> bool:
        return self.kind in STAFF_KINDS

    def agent_id(self) -> str | None:
        """The staff id when this is a member of staff, else ``None``."""
        return self.id if self.is_staff else None

    def __repr__(self) -> str:
        return f"Participant({str.__repr__(self)})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


def is_of_kind(key: str, kind: ParticipantKind) -> bool:
    """``key`` (a participant's key, as the live state's connection map holds them) is of ``kind``, without parsing
    it: a supervisor view of a town with 2,201 booths connected asked each key's kind, and parsing them was a tenth
    of the view (``bench/supervisor/delta.py``, session 12)."""
    return key.startswith(_PREFIXES[kind])


_PREFIXES: Final = {kind: f"{kind.value}:" for kind in ParticipantKind}
