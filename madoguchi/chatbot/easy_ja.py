"""やさしい日本語 (easy Japanese) for answers that staff have not written in it yet.

A resident who writes in easy Japanese usually cannot read ordinary administrative Japanese, so an entry
without an ``easy-ja`` answer is not shown in ordinary Japanese: it is rendered by a small rule set instead
— hard words replaced by plain ones (a table in ``data/easy_ja.yaml`` staff can extend), and a space after a
particle between words and around a replaced word (分かち書き) as easy-Japanese pages write. The result is plainer,
not perfect; staff-written ``easy-ja`` texts always win. This is only for a resident who chose やさしい日本語: an
ordinary-Japanese page shows the entry's own text.

Two rules keep the rendering from saying what the entry does not (ux12): the entry's own lines stay its lines (a
sentence that belongs to the one before it, 「証明書は郵便でお届けします」 after the remote counters, is not put on a
line of its own, where it read as if every copy were posted), and a replacement's gloss in brackets is left out
when the sentence already says it (「運転免許証やマイナンバーカードなど、顔写真のある本人確認書類」 became
「…マイナンバーカードなど、…カード（マイナンバーカード など）」).
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
# A replaced word is marked while the rules run (private-use characters, removed at the end): it is a word of its
# own, so the particle after it and the word before it are spaced from it like content words.
_OPEN, _CLOSE = "\ue000", "\ue001"
# A particle after a content word and before the next one: 「ごみは月曜」 → 「ごみは 月曜」.
_PARTICLE_RE = re.compile(
    rf"(?<={_CONTENT}|[ごみ{_CLOSE}])(でも|から|まで|は|が|を|に|で|へ|と|も|の)(?={_CONTENT}|{_OPEN})"
)
# A replaced word right after a word (「顔写真のある」+「あなたの…」, 「リモート」+「まどぐち」): a space between.
_BEFORE_WORD_RE = re.compile(rf"(?<=[\u3041-\u309f\u4e00-\u9fff\u30a0-\u30ff0-9０-９A-Za-z{_CLOSE}]){_OPEN}")
# A replaced word followed by a word that is not a particle (「やくば」+「1階」): a space between.
_AFTER_WORD_RE = re.compile(rf"{_CLOSE}(?=[\u4e00-\u9fff\u30a0-\u30ff0-9０-９A-Za-z])")
# A gloss at the end of a replacement: 「あなたの ことが わかる カード（マイナンバーカード など）」.
_GLOSS_RE = re.compile(r"^(?P<word>.+?)[（(](?P<gloss>[^（）()]+)[）)]$")
_GLOSS_FILLER = frozenset({"など", "等"})
# Between two sentences of one line: no line break there (WORD JOINER), so that where the line wraps the second
# sentence does not start a line of its own and read as standing alone (「証明書は 郵便でお届けします。」 under
# 「…リモート まどぐちでも もうしこめます。」 read as if every copy were posted).
_SENTENCE_JOIN_RE = re.compile(r"(?<=[。！？])(?=\S)")
JOINER = "\u2060"


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
        """The entry's text, line by line as it was written, each line in plainer words."""
        lines = [line.strip() for line in text.strip().splitlines()]
        return "\n".join(self._line(line) for line in lines if line)

    def _line(self, line: str) -> str:
        pattern: re.Pattern[str] | None = getattr(self, "_pattern")  # noqa: B009 - set in __post_init__
        table: dict[str, str] = getattr(self, "_table")  # noqa: B009
        if pattern is not None:
            line = pattern.sub(lambda m: _OPEN + _unsaid(table[m.group(0)], line) + _CLOSE, line)
        line = _PARTICLE_RE.sub(lambda m: m.group(1) + " ", line)
        line = _BEFORE_WORD_RE.sub(" " + _OPEN, line)
        line = _AFTER_WORD_RE.sub(_CLOSE + " ", line)
        line = line.replace(_OPEN, "").replace(_CLOSE, "")
        return _SENTENCE_JOIN_RE.sub(JOINER, re.sub(r" {2,}", " ", line).strip())


def _unsaid(plain: str, line: str) -> str:
    """``plain`` without its gloss in brackets when ``line`` already says what the gloss names: a gloss explains, it
    never repeats (「マイナンバーカードなど、…本人確認書類」 must not gain 「（マイナンバーカード など）」)."""
    found = _GLOSS_RE.match(plain)
    if found is None:
        return plain
    words = [w for w in re.split(r"[\s・、,]+", found.group("gloss")) if w and w not in _GLOSS_FILLER]
    if any(word in line for word in words):
        return found.group("word").rstrip()
    return plain
