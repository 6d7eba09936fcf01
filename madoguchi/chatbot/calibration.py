"""The danger scorer's calibration: its thresholds, chosen from out-of-fold scores on the training lines.

Recall first: the low (question) threshold keeps every urgent training line at or above it unless that would ask
more than ``max_safety_rate`` of the calm lines; the high (urgent at once) one keeps false alarms rare. Per
language, a question threshold of its own where one threshold would ask a language with few lines too often
(``ModelConfig.language_lows``), and optional offsets of the danger score (measured, not chosen). Pure numpy:
scores and labels in, thresholds out; ``model.py`` fits the scorers and calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from madoguchi.chatbot.model import ModelConfig


def flag_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    config: ModelConfig,
    ruled_urgent: np.ndarray | None = None,
    ruled_weak: np.ndarray | None = None,
) -> tuple[float, float]:
    """(low, high) from out-of-fold scores. With the rules' verdicts on the same lines (``rules_budget``),
    the budgets are for what the engine does in the end: non-urgent lines the lexicon rules already make
    urgent (or ask about) use up ``max_false_urgent`` (``max_safety_rate``) first, and the model gets the rest."""
    ruled_urgent = np.zeros(len(labels), dtype=bool) if ruled_urgent is None else ruled_urgent
    ruled_weak = np.zeros(len(labels), dtype=bool) if ruled_weak is None else ruled_weak
    calm = ~labels
    positives = scores[labels]
    n_calm = int(calm.sum())
    if len(positives) == 0 or n_calm == 0:
        return float("inf"), float("inf")
    free = np.sort(scores[calm & ~ruled_urgent])[::-1]
    allowed_false = int(config.max_false_urgent * n_calm) - int((calm & ruled_urgent).sum())
    high = float(free[min(max(allowed_false, 0), len(free) - 1)]) + 1e-6 if len(free) else float("inf")
    high = max(high, 0.0)
    quiet = np.sort(scores[calm & ~ruled_urgent & ~ruled_weak])[::-1]
    allowed_flags = int((config.max_false_urgent + config.max_safety_rate) * n_calm) - int(
        (calm & (ruled_urgent | ruled_weak)).sum()
    )
    if not config.rules_budget:
        allowed_flags = int(config.max_safety_rate * n_calm)
    floor = float(quiet[min(max(allowed_flags, 0), len(quiet) - 1)]) + 1e-6 if len(quiet) else high
    low = min(float(positives.min()), high)
    return min(max(low, floor), high), high


def _calm_by_language(
    oof: np.ndarray, labels: np.ndarray, languages: np.ndarray, config: ModelConfig
) -> dict[str, np.ndarray]:
    """Per language with at least ``min_offset_lines`` calm lines that have an out-of-fold score, those scores
    (NaN — lexicon phrases, which every fold trains on — dropped): what both per-language calibrations read."""
    calm = ~labels & ~np.isnan(oof)
    out: dict[str, np.ndarray] = {}
    for language in sorted(set(languages.tolist())):
        mine = oof[calm & (languages == language)]
        if len(mine) >= config.min_offset_lines:
            out[language] = mine
    return out


def language_offsets(
    oof: np.ndarray, labels: np.ndarray, languages: Sequence[str], config: ModelConfig
) -> dict[str, float]:
    """Per language, the median out-of-fold danger score of its calm lines minus that of all calm lines.
    Char n-grams of a language with few lines (Korean, Vietnamese) sit closer to the margin, so its ordinary
    questions scored higher and got the danger question more often than Japanese ones (SELECTION.md round 6)."""
    calm = ~labels & ~np.isnan(oof)
    if not config.language_offsets or not calm.any():
        return {}
    overall = float(np.median(oof[calm]))
    by_language = _calm_by_language(oof, labels, np.array(languages), config)
    return {language: float(np.median(mine)) - overall for language, mine in by_language.items()}


def language_lows(
    oof: np.ndarray,
    labels: np.ndarray,
    languages: np.ndarray,
    low: float,
    config: ModelConfig,
    needs_model: np.ndarray | None = None,
) -> dict[str, float]:
    """Per language, the question threshold above which at most ``max_safety_rate`` of its calm out-of-fold
    lines lie, where that is above the common one: Korean and Vietnamese calm lines score higher than Japanese
    ones, so one threshold asks them more often (SELECTION.md round 6). Only raises, never lowers.

    With ``needs_model`` (urgent lines the lexicon rules neither make urgent nor ask about: only the model's
    question catches them), a language's threshold is kept below the lowest of its such lines the common
    threshold caught, so no urgent training line the common threshold caught is lost (``language_low_keep``);
    the language is then asked less only where its calm lines rise above its quietest such urgent line."""
    out: dict[str, float] = {}
    for language, calm in _calm_by_language(oof, labels, languages, config).items():
        ordered = np.sort(calm)[::-1]
        own = float(ordered[int(config.max_safety_rate * len(ordered))]) + 1e-6
        if needs_model is not None:
            guarded = oof[needs_model & labels & (languages == language) & (oof >= low)]
            if len(guarded):
                own = min(own, float(guarded.min()) - 1e-6)
        if own > low:
            out[language] = own
    return out


def language_highs(
    oof: np.ndarray, labels: np.ndarray, languages: np.ndarray, high: float, config: ModelConfig
) -> dict[str, float]:
    """Per language, the urgent-at-once threshold above which at most ``max_false_urgent`` of its calm out-of-fold
    lines lie, where that is above the common one (``ModelConfig.language_highs``). Only raises: a line between
    the common and its language's threshold is asked the danger question instead of being made urgent at once,
    so no urgent line that was caught is lost; what changes is that a language whose calm lines score high (an
    English or Tagalog line about a past storm) is not made urgent more often than the others."""
    out: dict[str, float] = {}
    for language, calm in _calm_by_language(oof, labels, languages, config).items():
        ordered = np.sort(calm)[::-1]
        own = float(ordered[int(config.max_false_urgent * len(ordered))]) + 1e-6
        if own > high:
            out[language] = own
    return out
