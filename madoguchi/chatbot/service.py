"""Building the triage for a running program: load the knowledge base, its lexicons and the trained model
once (``model_store.py`` trains it on first start and caches it under the data directory), add the LLM if
configured.

The web layer calls :func:`load_triages` and ``madoguchi triage`` :func:`build_triage`, each with the LLM
backend the composition root made (this package imports no network library); tests build :class:`TriageEngine` from
their own knowledge base directly.
"""

from __future__ import annotations

from pathlib import Path

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import DEFAULT_MUNICIPALITY, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.lexicon import municipality_lexicon
from madoguchi.chatbot.llm import LlmBackend, Triage
from madoguchi.chatbot.model_store import load_or_train
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
    model = load_or_train(kb, kb_dir=directory, cache_dir=model_cache)
    return TriageEngine(kb, config, lexicon=municipality_lexicon(directory), model=model)


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


def load_triages(settings: Settings, llm: LlmBackend | None) -> dict[str, Triage]:
    """One triage per municipality knowledge base under ``MADOGUCHI_KB_DIR`` (default: the bundled sample),
    sharing one LLM backend. A folder is a municipality when it has a ``municipality.yaml``."""
    root = settings.kb_dir or bundled_kb_dir().parent
    triages: dict[str, Triage] = {}
    for directory in sorted(d for d in root.iterdir() if (d / "municipality.yaml").is_file()):
        engine = build_engine(directory, model_cache=model_cache(settings))
        triages[engine.kb.municipality.id] = Triage(engine, llm)
    if not triages:
        raise RuntimeError(f"no knowledge base (a folder with municipality.yaml) under {root}")
    return triages
