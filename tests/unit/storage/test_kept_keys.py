"""The key the database's keyed hashes are made with: from MADOGUCHI_SECRET_KEY, else made once and kept under the
data dir, so it survives a restart and every process of the machine uses the same one."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr

from madoguchi.storage.kept_keys import KEY_FILE, deployment_key, kept_key


def test_without_a_secret_the_key_is_made_once_kept_private_and_the_same_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = deployment_key(None, data, "chat-client-id")
    kept = data / KEY_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert deployment_key(None, data, "chat-client-id") == first, "a restart reads the same key"
    assert deployment_key(None, data, "other-use") != first, "each use derives its own"
    assert deployment_key(None, tmp_path / "elsewhere", "chat-client-id") != first, "another deployment, another key"
    assert kept.read_text().strip() not in first.hex()


def test_a_configured_secret_is_used_and_no_file_is_made(tmp_path: Path) -> None:
    secret = SecretStr("a shared secret of the deployment")
    assert deployment_key(secret, tmp_path / "a", "chat-client-id") == deployment_key(
        secret, tmp_path / "b", "chat-client-id"
    )
    assert not (tmp_path / "a").exists()
    assert deployment_key(SecretStr("another secret of theirs"), tmp_path, "chat-client-id") != deployment_key(
        secret, tmp_path, "chat-client-id"
    )


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "at-rest.key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _n: kept_key(path), range(16)))
    assert len(keys) == 1
    assert [p.name for p in path.parent.iterdir()] == ["at-rest.key"], "no temporary file left"


def test_a_damaged_key_file_is_an_error_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "at-rest.key"
    path.write_text("not a key\n")
    with pytest.raises(ValueError, match="64 lowercase hex digits"):
        kept_key(path)
    assert path.read_text() == "not a key\n"
