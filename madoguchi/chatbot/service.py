"""Building the triage for a running program: load the knowledge base once, add the LLM if configured.

The web layer calls :func:`load_triages` and ``madoguchi triage`` :func:`build_triage`, each with the LLM
backend the composition root made (this package imports no network library); tests build :class:`TriageEngine` from
their own knowledge base directly.
"""

from __future__ import annotations

from pathlib import Path

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import DEFAULT_MUNICIPALITY, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.llm import LlmBackend, Triage
from madoguchi.settings import Settings


def build_engine(
    kb_dir: Path | None = None, *, municipality: str = DEFAULT_MUNICIPALITY, config: EngineConfig | None = None
) -> TriageEngine:
    """Raises :class:`~madoguchi.chatbot.knowledge.KnowledgeBaseError` (file:line) on a bad file."""
    kb = load_knowledge_base(kb_dir or bundled_kb_dir(municipality))
    return TriageEngine(kb, config)


def build_triage(
    kb_dir: Path | None = None, *, municipality: str = DEFAULT_MUNICIPALITY, llm: LlmBackend | None = None
) -> Triage:
    """The engine plus the LLM the caller built from ``MADOGUCHI_LLM_*`` (none when no base URL is set)."""
    return Triage(build_engine(kb_dir, municipality=municipality), llm)


def load_triages(settings: Settings, llm: LlmBackend | None) -> dict[str, Triage]:
    """One triage per municipality knowledge base under ``MADOGUCHI_KB_DIR`` (default: the bundled sample),
    sharing one LLM backend. A folder is a municipality when it has a ``municipality.yaml``."""
    root = settings.kb_dir or bundled_kb_dir().parent
    triages: dict[str, Triage] = {}
    for directory in sorted(d for d in root.iterdir() if (d / "municipality.yaml").is_file()):
        engine = build_engine(directory)
        triages[engine.kb.municipality.id] = Triage(engine, llm)
    if not triages:
        raise RuntimeError(f"no knowledge base (a folder with municipality.yaml) under {root}")
    return triages
