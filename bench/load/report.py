"""RESULTS.md from a run's result dict (see ``run.py``); placeholder until the full report is written."""

from __future__ import annotations

import json
from typing import Any


def markdown(result: dict[str, Any]) -> str:
    return "```json\n" + json.dumps(result.get("summary"), indent=2) + "\n```\n"
