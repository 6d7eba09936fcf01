"""The trained model is built from its inputs and cached under a hash of them, never copied by hand."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.knowledge import load_knowledge_base
from madoguchi.chatbot.model import ModelConfig, TriageModel, fold_for_model
from madoguchi.chatbot.model_store import load_or_train, model_key, model_path, read_examples

LINES = [
    {"text": "住民票を一枚ください", "route": "resident_records", "urgent": False, "handoff": False, "lang": "ja"},
    {"text": "粗大ごみの予約", "route": "waste_environment", "urgent": False, "handoff": False, "lang": "ja"},
    {"text": "I want to talk to a person", "route": "general_inquiry", "urgent": False, "handoff": True, "lang": "en"},
]


def write_corpus(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def test_the_model_is_trained_once_and_cached_by_its_inputs(
    tmp_path: Path, kb_writer: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    kb_dir = kb_writer(tmp_path / "town")
    kb = load_knowledge_base(kb_dir)
    corpus = write_corpus(tmp_path / "train.jsonl", LINES)
    config = ModelConfig(ja_words=False)
    model = load_or_train(kb, kb_dir=kb_dir, cache_dir=tmp_path / "models", corpus=corpus, config=config)
    key = model_key(kb_dir, kb, corpus, config)
    for directory in (tmp_path / "models", tmp_path / "xdg" / "madoguchi"):
        cached = pickle.loads(model_path(directory, key).read_bytes())
        assert isinstance(cached, TriageModel) and cached.info["corpus_examples"] == 3
    assert load_or_train(kb, kb_dir=kb_dir, cache_dir=tmp_path / "models", corpus=corpus, config=config) is model
    # under the data directory, like the database: a folder made for the cache is 0700, the file 0600
    assert (tmp_path / "models").stat().st_mode & 0o777 == 0o700
    assert model_path(tmp_path / "models", key).stat().st_mode & 0o777 == 0o600
    assert model.route_classifier.predict(model.features(fold_for_model("住民票を一枚")))[0] == "resident_records"

    (kb_dir / "kb" / "general_inquiry.yaml").write_text(
        (kb_dir / "kb" / "general_inquiry.yaml").read_text(encoding="utf-8").replace("何時まで", "何時から"),
        encoding="utf-8",
    )
    assert model_key(kb_dir, load_knowledge_base(kb_dir), corpus, config) != key  # an edited KB retrains
    write_corpus(corpus, LINES[:2])
    assert model_key(kb_dir, kb, corpus, config) != key  # so does an edited corpus


def test_a_bad_corpus_line_names_file_and_line(tmp_path: Path) -> None:
    path = write_corpus(tmp_path / "train.jsonl", LINES)
    path.write_text(path.read_text(encoding="utf-8") + '{"text": "no route"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"train\.jsonl:4: "):
        read_examples(path)
