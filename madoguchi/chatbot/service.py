"""Building the triage for a running program: load the knowledge base once, add the LLM if configured.

The web layer and ``madoguchi triage`` call :func:`build_triage`; tests build :class:`TriageEngine` from
their own knowledge base directly.
"""

from __future__ import annotations

from pathlib import Path

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import DEFAULT_MUNICIPALITY, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.llm import OpenAiCompatibleBackend, Triage
from madoguchi.settings import Settings


def build_engine(
    kb_dir: Path | None = None, *, municipality: str = DEFAULT_MUNICIPALITY, config: EngineConfig | None = None
) -> TriageEngine:
    """Raises :class:`~madoguchi.chatbot.knowledge.KnowledgeBaseError` (file:line) on a bad file."""
    kb = load_knowledge_base(kb_dir or bundled_kb_dir(municipality))
    return TriageEngine(kb, config)


def build_triage(settings: Settings, kb_dir: Path | None = None, *, municipality: str = DEFAULT_MUNICIPALITY) -> Triage:
    """The engine plus the LLM named by ``MADOGUCHI_LLM_*`` (none when no base URL is set)."""
    return Triage(build_engine(kb_dir, municipality=municipality), OpenAiCompatibleBackend.from_settings(settings))
