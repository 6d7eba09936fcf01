"""The counter's rules (:class:`~madoguchi.signaling.counter.CounterConfig`) from the deployment's settings and
the municipality files: the one place a setting's name meets the pure core's field, so the core never reads
settings and a new rule is one line here.
"""

from __future__ import annotations

from collections.abc import Mapping

from madoguchi.settings import Settings
from madoguchi.signaling.counter import CounterConfig
from madoguchi.signaling.state import OverflowRule


def process_timeout_s(settings: Settings) -> float:
    """A process whose heartbeat is this overdue and whose liveness signal is gone is taken as gone (three missed
    beats); also the liveness signal's TTL (:class:`~madoguchi.signaling.liveness.Beacon`)."""
    return 3 * settings.heartbeat_interval_s


def counter_config(
    settings: Settings,
    town_overflow: Mapping[str, Mapping[str, OverflowRule]] | None = None,
) -> CounterConfig:
    """The counter's rules from the settings; ``town_overflow`` (municipality -> route or '*' -> rule, from the
    municipality files) comes before the settings' default overflow for every town. Opening hours are not part of
    it: they can change while the server runs (/admin), so views read them (:class:`Lookups`)."""
    default = (
        {"*": {"*": OverflowRule(after_s=settings.overflow_after_s, any_with_language=True)}}
        if settings.overflow_after_s > 0
        else {}
    )
    return CounterConfig(
        offer_timeout_s=settings.offer_timeout_s,
        grace_period_s=settings.grace_period_s,
        decline_cooldown_s=settings.decline_cooldown_s,
        default_handle_time_s=settings.default_handle_time_s,
        process_timeout_s=process_timeout_s(settings),
        max_open_per_source=settings.resident_open_per_address,
        max_opens_per_source=settings.resident_starts_per_address,
        max_open_per_browser=settings.resident_open_per_browser,
        max_opens_per_browser=settings.resident_starts_per_browser,
        source_window_s=settings.resident_address_window_s,
        max_open_chats_per_municipality=settings.resident_open_per_municipality,
        chat_pressure_share=settings.resident_pressure_share,
        max_open_per_source_under_pressure=settings.resident_open_per_address_under_pressure,
        max_open_per_network_under_pressure=settings.resident_open_per_network_under_pressure,
        chat_idle_evict_s=settings.resident_idle_evict_s,
        max_prioritised_chats_per_municipality=settings.resident_urgent_ahead_per_municipality,
        wrap_up_timeout_s=settings.wrap_up_timeout_s,
        resume_window_s=settings.booth_resume_window_s,
        overflow={**default, **{town: dict(rules) for town, rules in (town_overflow or {}).items()}},
        no_answer_wait_s=settings.no_answer_wait_s,
        interpreter_after_s=settings.interpreter_after_s or None,
    )
