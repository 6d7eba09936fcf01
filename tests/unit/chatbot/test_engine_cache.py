"""The triage engines a test process shares between its apps: one per set of knowledge base files, never one
built from other files (an uploaded or edited folder gets its own engine)."""

from __future__ import annotations

import shutil
from pathlib import Path

from madoguchi.chatbot.knowledge import bundled_kb_dir
from madoguchi.chatbot.service import EngineCache


def test_one_engine_per_set_of_files_wherever_the_folder_is(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "shiomi", tmp_path / "b" / "shiomi"
    for folder in (first, second):
        shutil.copytree(bundled_kb_dir("shiomi"), folder)
    cache = EngineCache(keep=1)

    engine = cache.engine(first, model_cache=None)
    assert cache.engine(second, model_cache=None) is engine and cache.built == 1

    # any file of the folder counts, not only the YAML the model is keyed by (this one keeps the model's key,
    # so no training here)
    (second / "notes.txt").write_text("差し替え", encoding="utf-8")
    changed = cache.engine(second, model_cache=None)
    assert changed is not engine and cache.built == 2
    assert changed.kb.entries == engine.kb.entries

    # keep=1: the first folder's engine was let go and is built again
    assert cache.engine(first, model_cache=None) is not engine and cache.built == 3
