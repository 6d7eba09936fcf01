"""Keys for values the database keeps only as keyed hashes (HMAC), so a copy of the database alone links nothing.

A value a client chose and the server must recognise again later (a chat line's ``client_id``, the idempotency
key of a retry) is stored as an HMAC of it, never as typed and never as a bare hash: a bare SHA-256 of a short or
guessable value is undone by trying every candidate, and the same value hashes the same in every deployment.

The key comes from ``MADOGUCHI_SECRET_KEY`` when it is set (every process of a deployment shares it already, for
the login form and the chat page's browser ids). Without it, one is made once and kept in
``<data_dir>/keys/at-rest.key`` (64 hex digits, mode 0600, written whole or not at all), so it survives a restart
and the processes of one machine share it. Each use derives its own key from it (``purpose``), so one leaked
derived key says nothing about another's values. Changing the key makes the values stored before unrecognisable:
for an idempotency key that only matters for minutes, that is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Final

from pydantic import SecretStr

from madoguchi.storage.private_files import FILE_MODE, private_dir

KEY_FILE: Final = Path("keys") / "at-rest.key"
"""Where, under the data dir, the key made when ``MADOGUCHI_SECRET_KEY`` is not set is kept."""
_HEX_CHARS: Final = 64


def kept_key(path: Path) -> bytes:
    """The 32 bytes kept in ``path``, made and written there first if it does not exist yet. Written to a private
    temporary file and linked into place: a process that starts at the same moment reads the winner's key, never
    half a file. A file that is there but not 64 hex digits is an error (an operator's mistake to look at, not
    something to overwrite: values stored under it would stop matching)."""
    path = path.expanduser()
    private_dir(path.parent)
    if not path.exists():
        temporary = path.with_name(f".{path.name}-{secrets.token_hex(6)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(descriptor, FILE_MODE)
            os.write(descriptor, (secrets.token_hex(32) + "\n").encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        finally:
            temporary.unlink()
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if len(text) != _HEX_CHARS or any(ch not in "0123456789abcdef" for ch in text):
        raise ValueError(
            f"{path} must hold 64 lowercase hex digits (a key made by Madoguchi); move it away to make a new one"
        )
    return bytes.fromhex(text)


def deployment_key(secret_key: SecretStr | None, data_dir: Path, purpose: str) -> bytes:
    """The key for ``purpose`` (e.g. ``"chat-client-id"``): derived from ``MADOGUCHI_SECRET_KEY`` when it is set,
    else from the key kept under ``data_dir`` (:func:`kept_key`)."""
    base = secret_key.get_secret_value().encode() if secret_key is not None else kept_key(Path(data_dir) / KEY_FILE)
    return hmac.new(base, b"madoguchi-at-rest:" + purpose.encode(), hashlib.sha256).digest()


def keyed_hash(key: bytes, *parts: str) -> str:
    """32 hex digits of the HMAC-SHA256 of ``parts`` (joined by NUL) under ``key``: only equality matters."""
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()[:32]
