"""Where the trained triage model comes from: built from its inputs on first start, then cached.

The model is never copied into git: it is trained from the corpus training split shipped in
``data/corpus/train.jsonl`` and the municipality's knowledge base, by ``madoguchi triage train`` or lazily on
the first start, and kept under the data directory (and in the user's cache, ``$XDG_CACHE_HOME/madoguchi``) in a
file named by a hash of everything it was built from
(the training code, scikit-learn version, the corpus, the knowledge-base files, the settings). Editing the
knowledge base therefore retrains on the next start; an unchanged one loads in milliseconds. Several
engines in one process (tests, several municipalities) share one fitted model per hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import sklearn

from madoguchi.chatbot import entry_model as entry_model_module
from madoguchi.chatbot import lexicon as lexicon_module
from madoguchi.chatbot import model as model_module
from madoguchi.chatbot import normalise as normalise_module
from madoguchi.chatbot import retrieval as retrieval_module
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.model import MODEL_VERSION, Example, ModelConfig, TriageModel, train

log = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"
TRAIN_FILE = CORPUS_DIR / "train.jsonl"

_memo: dict[str, TriageModel] = {}
_memo_lock = threading.Lock()


def read_examples(path: Path) -> list[Example]:
    """The corpus format (``text, route, handoff, urgent, lang``); raises ValueError with ``file:line``."""
    examples: list[Example] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                examples.append(
                    Example(
                        text=str(row["text"]),
                        route=str(row["route"]),
                        urgent=bool(row["urgent"]),
                        handoff=bool(row["handoff"]),
                        lang=str(row.get("lang", "ja")),
                        writer=str(row.get("writer", "")),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a labelled line ({exc})") from exc
    return examples


def model_key(kb_dir: Path | None, kb: KnowledgeBase | None, corpus: Path | None, config: ModelConfig) -> str:
    """The cache key of the model trained from these inputs (``kb`` is read only when there is no ``kb_dir``)."""
    digest = hashlib.sha256()
    digest.update(f"{MODEL_VERSION}|{sklearn.__version__}|{json.dumps(asdict(config), sort_keys=True)}".encode())
    digest.update(Path(model_module.__file__ or "").read_bytes())  # the training code itself
    digest.update(Path(entry_model_module.__file__ or "").read_bytes())  # the entry model's too
    digest.update(Path(retrieval_module.__file__ or "").read_bytes())  # ... its features and the kana readings
    digest.update(Path(lexicon_module.__file__ or "").read_bytes())  # the cue features come from the lexicons
    for path in lexicon_module.lexicon_files(lexicon_module.LEXICON_DIR):
        digest.update(str(path.relative_to(lexicon_module.LEXICON_DIR)).encode() + b"\0" + path.read_bytes())
    digest.update(normalise_module.TABLES_FILE.read_bytes())  # the folded text every feature is built from
    if corpus is not None and corpus.is_file():
        digest.update(corpus.read_bytes())
    if kb_dir is not None:
        for path in sorted(p for p in kb_dir.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".jsonl")):
            digest.update(str(path.relative_to(kb_dir)).encode() + b"\0" + path.read_bytes())
    elif kb is not None:
        digest.update(repr(kb).encode())
    else:
        raise ValueError("a model key needs the knowledge base or its folder")
    return digest.hexdigest()[:24]


def load_or_train(
    kb: KnowledgeBase,
    *,
    kb_dir: Path | None,
    cache_dir: Path | None,
    corpus: Path | None = TRAIN_FILE,
    config: ModelConfig | None = None,
) -> TriageModel:
    """The model for these inputs: from this process, from ``cache_dir``, or trained now (and saved)."""
    cfg = config or ModelConfig()
    key = model_key(kb_dir, kb, corpus, cfg)
    directories = [d for d in (cache_dir, shared_cache()) if d is not None]
    with _memo_lock:
        if key in _memo:
            return _memo[key]
        model = next((m for d in directories if (m := _from_cache(d, key)) is not None), None)
        if model is None:
            started = time.perf_counter()
            examples = read_examples(corpus) if corpus is not None and corpus.is_file() else []
            model = train(examples, kb, cfg)
            model.info["train_seconds"] = round(time.perf_counter() - started, 2)
            log.info("triage model %s trained in %.1f s", key, model.info["train_seconds"])
        for directory in directories:
            if not model_path(directory, key).is_file():
                _save(directory, key, model)
        _memo[key] = model
        return model


def shared_cache() -> Path | None:
    """The user's cache (``$XDG_CACHE_HOME/madoguchi``), shared by every data directory on the machine, so a
    second server or a test run with a fresh data directory does not train the same model again."""
    base = os.environ.get("XDG_CACHE_HOME") or (str(Path.home() / ".cache") if Path.home().is_dir() else "")
    return Path(base) / "madoguchi" if base else None


def model_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"triage-{key}.pickle"


def _from_cache(cache_dir: Path, key: str) -> TriageModel | None:
    path = model_path(cache_dir, key)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            model = pickle.load(handle)  # our own file, named by the hash of its inputs
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.warning("triage model cache %s unreadable (%s): training again", path, exc)
        return None
    return model if isinstance(model, TriageModel) else None


def _save(cache_dir: Path, key: str, model: TriageModel) -> None:
    try:
        # Like everything under the data directory, folders made here are the owner's alone (0700); the file
        # itself is 0600 from mkstemp.
        missing = [p for p in (cache_dir, *cache_dir.parents) if not p.exists()]
        cache_dir.mkdir(parents=True, exist_ok=True)
        for created in missing:
            created.chmod(0o700)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, model_path(cache_dir, key))
    except OSError as exc:
        log.warning("could not cache the triage model in %s: %s", cache_dir, exc)
