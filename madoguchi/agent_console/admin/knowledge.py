"""Knowledge-base upload: one YAML file or a zip of the municipality's folder, all-or-nothing, hot reloaded.

A zip is the whole folder: ``municipality.yaml``, ``kb/*.yaml`` and the town's own words, ``lexicons/*.yaml``
(and one level of subfolders) — a zip without ``lexicons/`` leaves the town with the bundled words only, as a folder
without them would. Every lexicon file is checked with the rest, before the model is built.

Why staged: the upload is applied to a copy of the town's folder under ``MADOGUCHI_KB_DIR`` and the copy is
loaded with the same loader the server starts with, so a mistake comes back as the loader's ``file:line``
sentence and the live folder and the running triage stay as they were. Only a copy that loads completely
replaces the folder (two renames) and this process's triage for that town (the resident chat reads the same
dict, so the next message uses it). Other server processes pick it up when restarted (docs/operations.md).
The bundled sample is never written to: uploads need ``MADOGUCHI_KB_DIR``.

Why checked in two steps: rebuilding the triage model takes a minute or more, so everything cheap is checked
first — the files' names, YAML and fields (``file:line``) and the town's id — and only a copy that passes is
built (an upload with another town's id was refused after two minutes). And one upload at a time per
deployment: a lock on the ``MADOGUCHI_KB_DIR`` folder itself (``flock``; no file left behind, released when the
process ends however it ends),
so a second upload, from any process, answers ``409 kb_busy`` at once instead of building a second model beside
the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import os
import re
import secrets
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Final

from aiohttp import web

from madoguchi import keys
from madoguchi.agent_console.admin import guard
from madoguchi.chatbot.engine import TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBaseError, load_knowledge_base
from madoguchi.chatbot.lexicon import municipality_lexicon
from madoguchi.chatbot.llm import Triage
from madoguchi.chatbot.service import build_engine

MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024
MAX_ZIP_FILES: Final = 200
MAX_UNZIPPED_BYTES: Final = 20 * 1024 * 1024
READ_CHUNK: Final = 64 * 1024
FILE_NAME: Final = re.compile(r"(municipality|kb/[a-z0-9_]+|lexicons/([a-z0-9_-]+/)?[a-z0-9_-]+)\.ya?ml")
ZIP_TYPES: Final = frozenset({"application/zip", "application/x-zip-compressed"})


class UploadBusy(Exception):
    """Another upload of this deployment is being checked or built."""


class UploadRefused(Exception):
    """The upload cannot be applied; the message is the validation report's one line (English, the detail for
    whoever supports the office). ``kind``, ``file`` and ``line`` let the page say it in the admin's language
    (``admin.kb.problem.<kind>`` with ``file:line``): a knowledge-base error's kind (``yaml``, ``encoding``,
    ``empty``, ``missing``, ``content``), or ``name`` (the file's name), ``zip`` (not a zip, too large, damaged,
    not one municipality folder), ``town`` (another town's folder)."""

    def __init__(
        self, message: str, *, kind: str, file: str | None = None, line: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.file = file
        self.line = line
        self.hint = hint  # a YAML slip's sort (KnowledgeBaseError.hint): the page names it

    def problem(self) -> dict[str, str | int | None]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "hint": self.hint}


def _check_name(name: str) -> None:
    if not FILE_NAME.fullmatch(name):
        raise UploadRefused(
            f"{name or '(no name)'}: name the file municipality.yaml, kb/<route_id>.yaml or lexicons/<name>.yaml",
            kind="name",
            file=name,
        )


def _apply_file(staging: Path, name: str, data: bytes) -> None:
    _check_name(name)
    target = staging / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _apply_zip(staging: Path, data: bytes) -> None:
    """Replace the staged folder with the zip's; the folder is where ``municipality.yaml`` is in the zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRefused("the upload is not a zip file", kind="zip") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_FILES or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise UploadRefused("the zip is too large", kind="zip")
        tops = [
            PurePosixPath(m.filename).parent for m in members if PurePosixPath(m.filename).name == "municipality.yaml"
        ]
        if len(tops) != 1:
            raise UploadRefused(
                "the zip must hold exactly one municipality.yaml (the municipality's folder)", kind="zip"
            )
        shutil.rmtree(staging)
        staging.mkdir()
        for member in members:
            path = PurePosixPath(member.filename)
            try:
                inside = path.relative_to(tops[0])
            except ValueError:
                continue  # outside the municipality's folder (e.g. __MACOSX/)
            if not FILE_NAME.fullmatch(str(inside)):
                continue  # README, images and the like are not part of what the loader reads
            (staging / inside).parent.mkdir(parents=True, exist_ok=True)
            (staging / inside).write_bytes(_read_member(archive, member))


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The member's bytes, read in chunks and never more than :data:`MAX_UNZIPPED_BYTES`, whatever its header
    says (a header may understate the size); a damaged member is refused in plain words, not a 500."""
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(READ_CHUNK):
                total += len(chunk)
                if total > MAX_UNZIPPED_BYTES:
                    raise UploadRefused("the zip is too large when unpacked", kind="zip")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as damaged:
        raise UploadRefused(
            f"{member.filename}: the zip file is damaged and cannot be read ({damaged})", kind="zip"
        ) from None
    return b"".join(chunks)


def stage(live: Path, staging: Path, municipality_id: str, name: str | None, data: bytes) -> None:
    """Build the new folder in ``staging`` and check what is cheap to check: the names, every file's YAML and
    fields (the loader's ``file:line``) and the town's id; raises :class:`UploadRefused` with the report line."""
    if name is not None:
        _check_name(name)  # before anything is copied
    shutil.copytree(live, staging)
    if name is None:
        _apply_zip(staging, data)
    else:
        _apply_file(staging, name, data)
    with _reported(staging):
        kb = load_knowledge_base(staging)
        municipality_lexicon(staging)  # the town's own words (file:line), before the minute-long model build
    if kb.municipality.id != municipality_id:
        raise UploadRefused(
            f"municipality.yaml: id is '{kb.municipality.id}', expected '{municipality_id}'",
            kind="town",
            file="municipality.yaml",
        )


def build(staging: Path) -> TriageEngine:
    """The expensive part: the triage engine (and its model) of a folder :func:`stage` passed."""
    with _reported(staging):
        return build_engine(staging)


@contextlib.contextmanager
def _reported(staging: Path) -> Iterator[None]:
    try:
        yield
    except KnowledgeBaseError as error:
        where = error.path.relative_to(staging) if error.path.is_relative_to(staging) else error.path.name
        line = f":{error.line}" if error.line is not None else ""
        raise UploadRefused(
            f"{where}{line}: {error.message}", kind=error.kind, file=str(where), line=error.line, hint=error.hint
        ) from None


@contextlib.contextmanager
def one_upload(root: Path) -> Iterator[None]:
    """Hold the deployment's upload lock (an exclusive ``flock`` on the ``MADOGUCHI_KB_DIR`` folder) for the
    block; raises :class:`UploadBusy` at once when another upload (this process or another) holds it."""
    fd = os.open(root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadBusy() from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def swap(live: Path, staging: Path) -> None:
    backup = live.with_name(f".old-{live.name}-{secrets.token_hex(4)}")
    live.rename(backup)
    staging.rename(live)
    shutil.rmtree(backup, ignore_errors=True)


async def _whole_body(request: web.Request) -> bytes:
    """The body to its end, refused past the limit. ``content.read(n)`` returns what has arrived, up to n bytes: a
    body sent in chunks (no Content-Length, or a large zip) was cut after its first piece and read as no zip."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise guard.refuse(400, "too_large", "the upload is larger than 5 MB")
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    municipality_id = request.match_info["municipality_id"]
    guard.require_scope(admin, municipality_id, "municipality")
    root = request.app[keys.SETTINGS].kb_dir
    triages = request.app[keys.TRIAGES]
    if root is None:
        raise guard.refuse(
            409, "kb_bundled", "the knowledge base is the bundled sample: set MADOGUCHI_KB_DIR to upload"
        )
    live = root / municipality_id
    if municipality_id not in triages or not live.is_dir():
        raise guard.refuse(
            404, "not_found", f"there is no knowledge base folder {municipality_id}/ in MADOGUCHI_KB_DIR"
        )
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise guard.refuse(400, "too_large", "the upload is larger than 5 MB")
    data = await _whole_body(request)
    name = None if request.content_type in ZIP_TYPES else request.query.get("file", "")
    staging = root / f".upload-{municipality_id}-{secrets.token_hex(4)}"
    try:
        with one_upload(root):
            try:
                await asyncio.to_thread(stage, live, staging, municipality_id, name, data)  # the cheap checks first
                engine = await asyncio.to_thread(build, staging)
                await asyncio.to_thread(swap, live, staging)
            finally:
                await asyncio.to_thread(shutil.rmtree, staging, True)
    except UploadBusy:
        raise guard.refuse(
            409, "kb_busy", "another knowledge-base upload is being checked; try again when it has finished"
        ) from None
    except UploadRefused as refused:
        await guard.audit(
            request, admin, "kb.upload_refused", {"municipality_id": municipality_id, "error": str(refused)}
        )
        return web.json_response(
            {
                "error": {"code": "kb_invalid", "message": str(refused)},
                "report": [str(refused)],
                "problem": refused.problem(),
            },
            status=400,
        )
    old = triages[municipality_id]
    triages[municipality_id] = Triage(engine, old.llm, old.executor)
    entries = len(engine.kb.entries)
    await guard.audit(
        request, admin, "kb.upload", {"municipality_id": municipality_id, "file": name or "(zip)", "entries": entries}
    )
    return web.json_response({"ok": True, "entries": entries})


def setup(app: web.Application) -> None:
    app.router.add_post("/api/admin/kb/{municipality_id}", upload)
