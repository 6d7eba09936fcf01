"""The records set aside by the outbox, kept in a file when the live state is this process's memory.

With Redis the set-aside list lives in the live-state document there. Without it the list was only in memory,
and a restart forgot every record the database had refused (each one a change of a case that is nowhere else:
``docs/operations.md``, "Records set aside"). :class:`SetAsideFile` keeps it in ``<data_dir>/set-aside.jsonl``:
one JSON line per record, the whole list written to a private temporary file, flushed to disk and renamed over
the old one, so a crash leaves the old list or the new one, never half of either. Mode 0600 (it holds
residents' words). Set-asides are rare (a value the database refuses), so writing the whole list (at most
``SET_ASIDE_KEPT``) at each change costs nothing that matters.

A line that cannot be read back (a hand edit, a disk fault) is not dropped silently: the file is copied beside
itself (``set-aside.jsonl.damaged-<n>``) and the error logged; the lines that could be read are kept.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from madoguchi.signaling.state import SetAsideRecord
from madoguchi.storage.private_files import FILE_MODE, private_dir, write_new_private_file

log = logging.getLogger(__name__)

FILE_NAME: Final = "set-aside.jsonl"


class SetAsideFile:
    """Load and save the set-aside list at ``path`` (atomic, private)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()

    def load(self) -> list[SetAsideRecord]:
        """The list as last saved (empty when there is no file)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        kept: list[SetAsideRecord] = []
        bad = 0
        for line in lines:
            if not line.strip():
                continue
            try:
                kept.append(SetAsideRecord.model_validate_json(line))
            except (ValidationError, ValueError):
                bad += 1
        if bad:
            copy = self.path.with_name(f"{self.path.name}.damaged-{secrets.token_hex(4)}")
            write_new_private_file(copy, self.path.read_bytes())  # residents' words: 0600 from the start
            log.error("%d set-aside record(s) in %s could not be read; the file was copied to %s", bad, self.path, copy)
        return kept

    def save(self, items: Sequence[SetAsideRecord]) -> None:
        """Replace the file's list with ``items`` in one step (no file is written for an empty list that was
        never saved; a list emptied later is saved empty)."""
        if not items and not self.path.exists():
            return
        private_dir(self.path.parent)
        temporary = self.path.with_name(f".{self.path.name}-{secrets.token_hex(6)}")
        body = "".join(json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n" for item in items)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(descriptor, FILE_MODE)
            data = memoryview(body.encode("utf-8"))
            while data:
                data = data[os.write(descriptor, data) :]
            os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            temporary.unlink(missing_ok=True)
            raise
        os.close(descriptor)
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)
