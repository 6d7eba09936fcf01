"""Which staff passwords are refused as too easy to guess (session 16, F5: ``password``, ``12345678`` and
``Shiomi2026`` were accepted; with the login throttle's pace a common password falls in days).

Refused, besides those shorter than :data:`MIN_LENGTH`: a password on the list of the most common ones
(:data:`COMMON`), one that is such a word or the username with only digits and marks around it (``Password1!``,
``admin2026``, ``Shiomi2026``), one made of at most three different characters (``aaaaaaaa``, ``12121212``), and a
run up or down the digits, the alphabet or a keyboard row (``23456789``, ``abcdefgh``, ``qwertyui``). The answer
names the rule, never the password. Pure: no I/O.
"""

from __future__ import annotations

from typing import Final

MIN_LENGTH: Final = 8
COMMON: Final = frozenset(
    [
        "password",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "pass",
        "word",
        "passwort",
        "motdepasse",
        "contraseña",
        "senha",
        "matkhau",
        "parola",
        "admin",
        "administrator",
        "root",
        "user",
        "guest",
        "test",
        "tester",
        "demo",
        "default",
        "changeme",
        "letmein",
        "welcome",
        "hello",
        "login",
        "master",
        "secret",
        "private",
        "access",
        "qwerty",
        "qwertz",
        "azerty",
        "asdf",
        "asdfgh",
        "asdfghjk",
        "zxcvbn",
        "zxcvbnm",
        "iloveyou",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "soccer",
        "sunshine",
        "shadow",
        "superman",
        "batman",
        "princess",
        "trustno1",
        "starwars",
        "whatever",
        "freedom",
        "computer",
        "internet",
        "abc",
        "abcd",
        "abcdef",
        "abcdefg",
        "abcdefgh",
        "abc123",
        "a1b2c3",
        "aa",
        "bb",
        "qazwsx",
        "1qaz2wsx",
        "zaq12wsx",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "q1w2e3r4",
        "ninja",
        "mustang",
        "michael",
        "jennifer",
        "jordan",
        "hunter",
        "ranger",
        "madoguchi",
        "shiomi",
        "tokyo",
        "japan",
        "nippon",
        "osaka",
        "yokohama",
        "kyoto",
        "sakura",
        "tanaka",
        "suzuki",
        "sato",
        "yamada",
        "staff",
        "agent",
        "supervisor",
        "operator",
        "counter",
        "office",
        "city",
        "town",
        "kiosk",
        "booth",
        "mynumber",
        "summer",
        "winter",
        "spring",
        "autumn",
    ]
)
"""The most common passwords and the words they are made of (lower case; digits and marks around them are
stripped before the look-up, so ``Password1!`` is ``password``)."""
_RUNS: Final = (
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv",
)
_AROUND: Final = "0123456789!@#$%^&*()_+-=.,?~ "


def _in_run(text: str) -> bool:
    return any(text in run or text in run[::-1] for run in _RUNS)


def weak_password_reason(password: str, username: str = "") -> str | None:
    """Why ``password`` is refused, in words for the person who chose it; None when it may be used."""
    if len(password) < MIN_LENGTH:
        return f"the password is too short: use at least {MIN_LENGTH} characters"
    lowered = password.casefold()
    core = lowered.strip(_AROUND)
    name = username.strip().casefold()
    if lowered in COMMON or (core and core in COMMON) or (lowered.isdigit() and len(set(lowered)) <= 4):
        return "the password is one of the most common ones: choose words or characters nobody would guess"
    if name and (core == name or (name in lowered and len(lowered) - len(name) < MIN_LENGTH)):
        return "the password is the username with a little added: choose one that does not contain the username"
    if len(set(lowered)) <= 3 or _in_run(lowered) or (core and _in_run(core) and len(core) >= 4):
        return "the password is too simple (one character repeated, or a run such as 12345678 or qwerty)"
    return None
