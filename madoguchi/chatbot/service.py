"""Building the triage for a running program: load the knowledge base, its lexicons and the trained model
once (``model_store.py`` trains it on first start and caches it under the data directory), add the LLM if
configured.

The web layer calls :func:`load_triages` and ``madoguchi triage`` :func:`build_triage`, each with the LLM
backend the composition root made (this package imports no network library); tests build :class:`TriageEngine` from
their own knowledge base directly.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Executor
from pathlib import Path

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import DEFAULT_MUNICIPALITY, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.lexicon import municipality_lexicon
from madoguchi.chatbot.llm import LlmBackend, Triage
from madoguchi.chatbot.model import ModelConfig
from madoguchi.chatbot.model_store import TRAIN_FILE, load_or_train, model_key
from madoguchi.settings import Settings


def build_engine(
    kb_dir: Path | None = None,
    *,
    municipality: str = DEFAULT_MUNICIPALITY,
    config: EngineConfig | None = None,
    model_cache: Path | None = None,
) -> TriageEngine:
    """Raises :class:`~madoguchi.chatbot.knowledge.KnowledgeBaseError` (file:line) on a bad file."""
    directory = kb_dir or bundled_kb_dir(municipality)
    kb = load_knowledge_base(directory)
    lexicon = municipality_lexicon(directory)  # a town's bad word file is reported before a model is trained
    model = load_or_train(kb, kb_dir=directory, cache_dir=model_cache)
    return TriageEngine(kb, config, lexicon=lexicon, model=model)


def build_triage(
    kb_dir: Path | None = None,
    *,
    municipality: str = DEFAULT_MUNICIPALITY,
    llm: LlmBackend | None = None,
    model_cache: Path | None = None,
) -> Triage:
    """The engine plus the LLM the caller built from ``MADOGUCHI_LLM_*`` (none when no base URL is set);
    ``model_cache`` is where the trained model is kept (:func:`model_cache`; none: train in memory)."""
    return Triage(build_engine(kb_dir, municipality=municipality, model_cache=model_cache), llm)


def model_cache(settings: Settings) -> Path:
    """Where trained triage models are cached: under the data directory."""
    return settings.data_dir / "models"


class EngineCache:
    """Engines already built in this process, by what they are built from: the knowledge base folder's every file
    (names and bytes) and the triage model's key (training code, lexicons, corpus, settings).

    Building an engine reads the YAML files and fills the retrieval and model weight tables, about a second on a
    busy 2-core machine; a process that starts many apps on the same folder (the test suite starts hundreds)
    builds each one once. An engine is never changed after it is built, so apps may share one; an admin's upload
    builds a new engine for that app alone and does not touch this cache, and a folder whose files changed has
    another key. Production does not use one (one app per process: nothing to share, and an old engine kept here
    after an upload would only hold memory). At most ``keep`` engines are kept, the least recently used go first.
    """

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._engines: OrderedDict[str, TriageEngine] = OrderedDict()
        self._lock = threading.Lock()
        self.built = 0  # engines this cache had to build (for its tests)

    @staticmethod
    def key(directory: Path) -> str:
        digest = hashlib.sha256()
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            data = path.read_bytes()
            digest.update(f"{path.relative_to(directory).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
        # the files alone do not name the model: training code, lexicons and corpus are part of its key
        digest.update(model_key(directory, None, TRAIN_FILE, ModelConfig()).encode())
        return digest.hexdigest()

    def engine(self, directory: Path, *, model_cache: Path | None) -> TriageEngine:
        key = self.key(directory)
        with self._lock:  # two apps starting at once build the engine once
            engine = self._engines.get(key)
            if engine is None:
                engine = build_engine(directory, model_cache=model_cache)
                self.built += 1
                self._engines[key] = engine
                while len(self._engines) > self.keep:
                    self._engines.popitem(last=False)
            self._engines.move_to_end(key)
            return engine


def load_triages(
    settings: Settings,
    llm: LlmBackend | None,
    *,
    engines: EngineCache | None = None,
    executor: Executor | None = None,
) -> dict[str, Triage]:
    """One triage per municipality knowledge base under ``MADOGUCHI_KB_DIR`` (default: the bundled sample),
    sharing one LLM backend and the triage threads ``executor``. A folder is a municipality when it has a
    ``municipality.yaml``. With ``engines`` an engine already built from the same files is used again (see
    :class:`EngineCache`)."""
    root = settings.kb_dir or bundled_kb_dir().parent
    triages: dict[str, Triage] = {}
    for directory in sorted(d for d in root.iterdir() if (d / "municipality.yaml").is_file()):
        if engines is None:
            engine = build_engine(directory, model_cache=model_cache(settings))
        else:
            engine = engines.engine(directory, model_cache=model_cache(settings))
        triages[engine.kb.municipality.id] = Triage(engine, llm, executor)
    if not triages:
        raise RuntimeError(f"no knowledge base (a folder with municipality.yaml) under {root}")
    return triages
