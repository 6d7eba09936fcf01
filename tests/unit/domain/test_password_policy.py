"""Session 16 (F5): `password`, `12345678` and `Shiomi2026` were accepted as staff passwords."""

from __future__ import annotations

import pytest

from madoguchi.domain.password_policy import weak_password_reason


@pytest.mark.parametrize(
    "password",
    ["password", "12345678", "Shiomi2026", "Password1!", "admin2026", "aaaaaaaa", "12121212", "qwertyui",
     "abcdefgh", "87654321", "P@ssw0rd", "madoguchi1", "letmein!!"],
)  # fmt: skip
def test_common_and_trivial_passwords_are_refused_with_a_reason(password: str) -> None:
    reason = weak_password_reason(password, "atk_ag2")
    assert reason is not None
    assert "Shiomi2026" not in (weak_password_reason("Shiomi2026") or ""), "the answer never repeats the password"


def test_the_username_with_a_little_added_is_refused() -> None:
    assert weak_password_reason("tanaka2026", "tanaka") is not None
    assert weak_password_reason("Tanaka!!", "tanaka") is not None


@pytest.mark.parametrize("password", ["correct horse battery", "Lock-Passw0rd-2026", "kz7#Qm2pLx", "long-enough"])
def test_ordinary_good_passwords_pass(password: str) -> None:
    assert weak_password_reason(password, "tanaka") is None


def test_too_short_says_the_length() -> None:
    assert "at least 8" in (weak_password_reason("a1!") or "")
