"""Files that hold residents' records are their owner's alone.

The data dir holds the SQLite database (transcripts, notes, accounts) and the demo credentials. Created with the
process's umask they were world-readable on a typical server (umask 022). Whatever Madoguchi creates here is made
private at creation: directories 0700, files 0600. SQLite creates its ``-wal`` and ``-shm`` files with the mode
of the database file, so creating that file first (empty, 0600) covers them too. Existing files and directories
are left as the operator set them.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``mkdir -p``; every directory created here is 0700."""
    path = path.expanduser()
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in missing:
        created.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists (its directory made with :func:`private_dir`)."""
    path = path.expanduser()
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, FILE_MODE)  # a umask cannot widen the mode, but make it exact
    finally:
        os.close(fd)
    return path


def write_new_private_file(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, a file that must not exist yet, created with mode 0600 from the start: never a
    moment readable by others (a copy made with the default mode and restricted afterwards was, and stayed so if
    the process stopped in between)."""
    path = path.expanduser()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    except BaseException:
        os.close(descriptor)
        path.unlink(missing_ok=True)
        raise
    os.close(descriptor)
    return path
