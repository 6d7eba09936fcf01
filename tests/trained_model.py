"""The real triage model, trained once per test session, for the tests whose town differs from the bundled one
only where training does not look.

A server trains its model at start when no cache holds one for its knowledge base's files (``model_store``: the
cache key hashes every YAML file of the folder), about 65 s on 2 cores, and a test that patches its town's
``municipality.yaml`` (a desk's capacity, a route's name, the retention years) or uploads new answers changes that
key. Training reads only the corpus, the lexicons and each entry's titles, keywords and example phrasings
(``model.kb_examples``): for such a folder it would fit the very model the bundled town has. :class:`TrainedModel`
puts that model in a cache under the folder's key, after checking that the folder's training inputs are the
bundled town's (a test whose change reaches them gets an error, not a model trained on other phrasings).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import Example, ModelConfig, kb_examples
from madoguchi.chatbot.model_store import TRAIN_FILE, load_or_train, model_key, model_path, shared_cache


def training_inputs(kb_dir: Path) -> list[Example]:
    """What training reads of the town in ``kb_dir`` (the corpus and the lexicons are the same for every town)."""
    return kb_examples(load_knowledge_base(kb_dir), ModelConfig().kb_weight)


@dataclass(frozen=True)
class TrainedModel:
    """The model trained from the corpus and the bundled town (``pickle``), and what it read of the town."""

    pickle: Path
    inputs: list[Example]
    checked: set[str] = field(default_factory=set)  # the keys of the folders found to train on the same inputs

    @classmethod
    def build(cls, cache_dir: Path) -> TrainedModel:
        """The bundled town's model: the user's cache's (where ``scripts/test`` trained it), or else loaded or
        trained as a server's first start does, and saved in ``cache_dir``."""
        directory = bundled_kb_dir()
        key = model_key(directory, None, TRAIN_FILE, ModelConfig())
        user_cache = shared_cache()
        found = model_path(user_cache, key) if user_cache is not None else None
        if found is None or not found.is_file():
            load_or_train(load_knowledge_base(directory), kb_dir=directory, cache_dir=cache_dir)
            found = model_path(cache_dir, key)
        assert found.is_file(), f"no trained model at {found}"
        return cls(found, training_inputs(directory), {key})

    def seed(self, kb_dir: Path, cache_dir: Path) -> Path:
        """Put the model in ``cache_dir`` (a server's ``<data dir>/models`` or ``$XDG_CACHE_HOME/madoguchi``)
        under the key of the town in ``kb_dir``, where a server on that folder looks before it trains."""
        key = model_key(kb_dir, None, TRAIN_FILE, ModelConfig())
        if key not in self.checked:  # the same files (the same key) read the same; loading a town takes seconds
            assert training_inputs(kb_dir) == self.inputs, f"{kb_dir}: training would read other phrasings"
            self.checked.add(key)
        target = model_path(cache_dir, key)
        cache_dir.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:
                os.link(self.pickle, target)  # never written in place: a save replaces the file (os.replace)
            except OSError:
                shutil.copyfile(self.pickle, target)
        return target
