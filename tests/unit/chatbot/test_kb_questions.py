"""The town's labelled residents' questions (kb16): ``questions/*.jsonl`` beside ``kb/``, matched like examples and
learned by the entry model at training; kana readings made at training and carried by the model; a plain question
the entry model is sure of is not handed to a person on the learned handoff score alone."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot import retrieval
from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.entry_model import LearnedRetriever, train_entries
from madoguchi.chatbot.knowledge import KnowledgeBaseError, load_knowledge_base
from madoguchi.chatbot.model import Example, ModelConfig, train
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.retrieval import Bm25Retriever, FieldWeights, HybridRetriever, kb_readings


def _town(tmp_path: Path, kb_writer: Callable[..., Path], lines: list[str]) -> Path:
    root: Path = kb_writer(tmp_path / "town")
    (root / "questions").mkdir()
    (root / "questions" / "w1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _q(text: str, entry: str | None) -> str:
    return json.dumps({"text": text, "entry": entry, "lang": "ja", "writer": "w1"}, ensure_ascii=False)


def test_questions_are_loaded_and_an_unknown_entry_is_skipped_with_a_warning(
    tmp_path: Path, kb_writer: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    lines = [_q("引っ越し先が決まった", "tenshutsu"), _q("駐輪場", None), _q("犬", "no-such")]
    root = _town(tmp_path, kb_writer, lines)
    with caplog.at_level(logging.WARNING):
        kb = load_knowledge_base(root)
    assert [(q.text, q.entry) for q in kb.questions] == [("引っ越し先が決まった", "tenshutsu"), ("駐輪場", None)]
    assert "w1.jsonl:3: no entry 'no-such'" in caplog.text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "w1.jsonl:2: not a JSON line"),
        ('{"text": "住民票"}', "w1.jsonl:2: a question needs 'text' and 'entry'"),
        ('{"text": "", "entry": "juminhyo"}', "w1.jsonl:2: text:"),
        ('{"text": "住民票", "entry": "Bad Id"}', "w1.jsonl:2: entry:"),
    ],
)
def test_a_bad_question_line_names_its_file_and_line(
    tmp_path: Path, kb_writer: Callable[..., Path], line: str, message: str
) -> None:
    root = _town(tmp_path, kb_writer, [_q("住民票", "juminhyo"), line])
    with pytest.raises(KnowledgeBaseError, match=message.replace("'", "'")):
        load_knowledge_base(root)


def test_a_labelled_question_leads_retrieval_to_its_entry(tmp_path: Path, kb_writer: Callable[..., Path]) -> None:
    question = "新しい家の鍵をもらったので役場で何か出すものは"
    plain = load_knowledge_base(kb_writer(tmp_path / "plain"))
    taught = load_knowledge_base(_town(tmp_path, kb_writer, [_q(question, "tenshutsu")]))
    weights = FieldWeights(questions=1.0)  # off by default
    before = HybridRetriever(plain, weights=weights).search(normalise(question))
    after = HybridRetriever(taught, weights=weights).search(normalise(question))
    assert HybridRetriever(taught).search(normalise(question))[:1] == before[:1]
    assert not before or before[0].entry.id != "tenshutsu"
    assert after[0].entry.id == "tenshutsu"


def test_kana_readings_come_from_the_model_not_read_again(
    tmp_path: Path, kb_writer: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = load_knowledge_base(kb_writer(tmp_path / "town"))
    readings = kb_readings(kb)
    assert readings["転出届"] == "テンシュツトドケ"
    calls: list[str] = []
    monkeypatch.setattr(retrieval, "kana_reading", lambda text: calls.append(text))
    Bm25Retriever(kb, readings=readings)
    assert calls == []  # every text with kanji was in the model's readings
    Bm25Retriever(kb)
    assert calls  # without them, read at start


def test_the_entry_model_tells_apart_two_entries_that_share_a_word(
    tmp_path: Path, kb_writer: Callable[..., Path]
) -> None:
    lines = [_q(t, "juminhyo") for t in ("住民票を1通ください", "住民票の写しがいる", "会社に出す住民票")]
    lines += [_q(t, "tenshutsu") for t in ("住民票を移したい", "町から出ていく", "よその町へ住民票を移す")]
    kb = load_knowledge_base(_town(tmp_path, kb_writer, lines))
    model = train_entries(kb, kb_readings(kb))
    assert model is not None
    question = normalise("となり町に住民票を移します")
    assert HybridRetriever(kb).search(question)[0].entry.id == "juminhyo"  # it says 住民票
    margins = model.margins(question)
    assert model.entries[int(margins.argmax())] == "tenshutsu"
    ranked = LearnedRetriever(HybridRetriever(kb), kb, model, weight=2.0).search(question)
    assert ranked[0].entry.id == "tenshutsu" and ranked[0].learned is not None and ranked[0].learned > 0.5


def _asks_for_people(kb_path: Path) -> TriageEngine:
    """A model whose learned handoff says "a person" to every 住民票 line (its corpus was written so)."""
    kb = load_knowledge_base(kb_path)
    corpus = [Example(f"住民票のことで{i}回目の相談", "resident_records", False, True, writer="a") for i in range(12)]
    corpus += [Example(f"ごみの日を知りたい{i}", "waste_environment", False, False, writer="b") for i in range(12)]
    corpus += [Example(f"ソファを捨てたい{i}", "waste_environment", False, False, writer="c") for i in range(12)]
    model = train(corpus, kb, ModelConfig(folds=2, ja_words=False, max_false_handoff=0.5))
    return TriageEngine(kb, model=model)


def test_a_plain_question_the_entry_model_is_sure_of_is_not_handed_over(
    tmp_path: Path, kb_writer: Callable[..., Path]
) -> None:
    engine = _asks_for_people(kb_writer(tmp_path / "town"))
    result = engine.triage("住民票がほしい")
    assert any(r.startswith("handoff:learned") for r in result.reasons)  # the learned score is over its threshold
    assert result.entry_ids == ("juminhyo",) and not result.handoff and result.action == "answer"
    strict = TriageEngine(engine.kb, EngineConfig(plain_question=None), model=engine.model).triage("住民票がほしい")
    assert strict.handoff  # the same line, handed over on the score alone


def test_two_entries_the_entry_model_tells_apart_are_not_offered_as_alike(
    tmp_path: Path, kb_writer: Callable[..., Path]
) -> None:
    engine = _asks_for_people(kb_writer(tmp_path / "town"))
    close = EngineConfig(min_score=0.0, entry_margin=0.0, phrase_margin=None)  # every second entry is "alike"
    assert TriageEngine(engine.kb, close, model=engine.model).triage("住民票がほしい").entry_ids == ("juminhyo",)
    unsure = EngineConfig(min_score=0.0, entry_margin=0.0, phrase_margin=None, plain_question=None)
    assert TriageEngine(engine.kb, unsure, model=engine.model).triage("住民票がほしい").entry_ids == ()
