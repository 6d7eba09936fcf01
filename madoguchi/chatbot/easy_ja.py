"""やさしい日本語 (easy Japanese) for answers that staff have not written in it yet.

A resident who writes in easy Japanese usually cannot read ordinary administrative Japanese, so an entry
without an ``easy-ja`` answer is not shown in ordinary Japanese: it is rendered by a small rule set instead
— hard words replaced by plain ones (a table in ``data/easy_ja.yaml`` staff can extend), one sentence a
line, and a space after a particle between content words (分かち書き) as easy-Japanese pages write. The
result is plainer, not perfect; staff-written ``easy-ja`` texts always win.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from madoguchi.chatbot.yaml_source import KnowledgeBaseError, compose, raise_validation

EASY_JA_FILE = Path(__file__).resolve().parent / "data" / "easy_ja.yaml"

_Word = Annotated[str, Field(min_length=1, max_length=60)]


class _EasyJaFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    replace: dict[_Word, _Word]


_CONTENT = r"[\u4e00-\u9fff\u30a0-\u30ff0-9０-９A-Za-z]"
# A particle after a content word and before the next one: 「ごみは月曜」 → 「ごみは 月曜」.
_PARTICLE_RE = re.compile(rf"(?<={_CONTENT}|[ごみ])(は|が|を|に|で|へ|と|も|から|まで|の)(?={_CONTENT})")
_SENTENCE_RE = re.compile(r"(?<=[。！？!?])\s*")


@dataclass(frozen=True)
class EasyJapanese:
    """Renders ordinary Japanese more plainly with a replacement table."""

    replacements: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        pattern = re.compile("|".join(re.escape(k) for k, _v in self.replacements)) if self.replacements else None
        object.__setattr__(self, "_pattern", pattern)
        object.__setattr__(self, "_table", dict(self.replacements))

    @classmethod
    def load(cls, path: Path) -> EasyJapanese:
        node, data = compose(path)
        try:
            table = _EasyJaFile.model_validate(data)
        except ValidationError as exc:
            raise_validation(path, node, exc)
        if not table.replace:
            raise KnowledgeBaseError(path, 1, "replace: the table is empty")
        ordered = sorted(table.replace.items(), key=lambda kv: len(kv[0]), reverse=True)
        return cls(replacements=tuple(ordered))

    @staticmethod
    @functools.cache
    def bundled() -> EasyJapanese:
        return EasyJapanese.load(EASY_JA_FILE)

    def render(self, text: str) -> str:
        pattern: re.Pattern[str] | None = getattr(self, "_pattern")  # noqa: B009 - set in __post_init__
        table: dict[str, str] = getattr(self, "_table")  # noqa: B009
        plain = pattern.sub(lambda m: table[m.group(0)], text.strip()) if pattern else text.strip()
        plain = _PARTICLE_RE.sub(lambda m: m.group(1) + " ", plain)
        sentences = [s.strip() for s in _SENTENCE_RE.split(plain) if s.strip()]
        return "\n".join(sentences)
