"""Errors the storage layer raises for bad input, so callers can answer a user without a traceback.

Every error is a :class:`StorageError`; its message is one plain English sentence that the CLI prints as is and
the server can log or map to an error code.
"""

from __future__ import annotations

from madoguchi.domain.pii_fields import MY_NUMBER_REFUSAL, holds_my_number


class StorageError(Exception):
    """Base class: a request the storage layer refused (bad input or a missing row), not a crash."""

    field: str | None = None
    """The input the refusal is about (``username``), when one is: /admin says its sentence beside that input
    instead of 「入力した 内容を 確かめてください。」 under the form (session 15)."""


class DuplicateUsername(StorageError):
    def __init__(self, username: str) -> None:
        super().__init__(f"a user named {username!r} already exists")
        self.username = username


class UnknownMunicipality(StorageError):
    def __init__(self, municipality_id: str) -> None:
        super().__init__(f"there is no municipality with id {municipality_id!r}")
        self.municipality_id = municipality_id


class UnknownPlace(StorageError):
    def __init__(self, place_id: str, municipality_id: str | None = None) -> None:
        where = f" in municipality {municipality_id!r}" if municipality_id else ""
        super().__init__(f"there is no place with id {place_id!r}{where}")
        self.place_id = place_id


class DuplicateId(StorageError):
    def __init__(self, kind: str, value: str) -> None:
        super().__init__(f"a {kind} with id {value!r} already exists")


class InvalidValue(StorageError):
    """A value outside its allowed set (role, place kind, channel, sender...) or an empty required text."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class WeakPassword(InvalidValue):
    """A password too easy to guess (``domain.password_policy``): its own code, so /admin says which rule."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="password")


class PersonalNumberRefused(InvalidValue):
    """A name or id that holds a 個人番号: said as that, not as the field's usual rule (a username of twelve
    digits has the right letters)."""


def refuse_personal_number(what: str, value: str, *, field: str | None = None) -> None:
    """Refuse a name or an id that holds a 個人番号 in any form (``domain.pii_fields``), without repeating it: a
    username, display name, booth or place name is listed in exports and shown to residents (session 11)."""
    if holds_my_number(value):
        raise PersonalNumberRefused(f"{what}: {MY_NUMBER_REFUSAL}", field=field)


class DuplicateBoothName(StorageError):
    """Another booth of the municipality (not revoked) has this name: two alarms reading 「汐見郵便局ブース 通信が
    切れています」 could not be told apart, nor two rows of the records."""

    def __init__(self, name: str, municipality_id: str) -> None:
        super().__init__(f"a booth named {name!r} already exists in municipality {municipality_id!r}")
        self.name = name
        self.municipality_id = municipality_id


class UnknownUser(StorageError):
    def __init__(self, who: str) -> None:
        super().__init__(f"there is no user {who!r}")


class UnknownBooth(StorageError):
    def __init__(self, booth_id: str) -> None:
        super().__init__(f"there is no booth with id {booth_id!r}")
        self.booth_id = booth_id


class UnknownConsultation(StorageError):
    def __init__(self, consultation_id: str) -> None:
        super().__init__(f"there is no consultation with id {consultation_id!r}")
        self.consultation_id = consultation_id


class DuplicateConsultation(StorageError):
    def __init__(self, consultation_id: str) -> None:
        super().__init__(f"a consultation with id {consultation_id!r} already exists")
        self.consultation_id = consultation_id


class UnknownColumn(StorageError):
    def __init__(self, names: list[str], allowed: frozenset[str]) -> None:
        super().__init__(
            f"cannot set consultation column(s) {', '.join(sorted(names))}; allowed: {', '.join(sorted(allowed))}"
        )
        self.names = names


class ChatSeqConflict(StorageError):
    def __init__(self, consultation_id: str, seq: int) -> None:
        super().__init__(
            f"chat line {seq} of consultation {consultation_id!r} already exists with a different client_id"
        )
        self.consultation_id = consultation_id
        self.seq = seq
