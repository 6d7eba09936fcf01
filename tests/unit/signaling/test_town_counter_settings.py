"""The municipality file's counter section: parsed, refused when wrong, and turned into the counter's rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from madoguchi.app import town_overflow
from madoguchi.chatbot.knowledge import CounterSettings
from madoguchi.signaling.service import counter_config
from madoguchi.signaling.state import OverflowRule
from tests.support import make_settings


def test_a_towns_overflow_comes_before_the_default_for_every_town(tmp_path: object) -> None:
    town = CounterSettings.model_validate(
        {"overflow": {"transport_ferry": {"after_min": 5, "to_route": "general_inquiry"}}}
    )
    rules = town_overflow({"shiomi": town, "yamabe": CounterSettings()})
    assert rules == {"shiomi": {"transport_ferry": OverflowRule(after_s=300, to_route="general_inquiry")}}
    config = counter_config(make_settings(tmp_path, overflow_after_s=900), rules)
    assert config.overflow_rule("shiomi", "transport_ferry") == OverflowRule(after_s=300, to_route="general_inquiry")
    # shiomi's other routes and other towns fall back to the settings' rule
    assert config.overflow_rule("shiomi", "tax") == OverflowRule(after_s=900, any_with_language=True)
    assert config.overflow_rule("yamabe", "tax") == OverflowRule(after_s=900, any_with_language=True)
    assert counter_config(make_settings(tmp_path, overflow_after_s=0)).overflow == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"overflow": {"ferries": {"after_min": 5, "any_with_language": True}}},
        {"overflow": {"tax": {"after_min": 5}}},
        {"overflow": {"tax": {"after_min": 0, "any_with_language": True}}},
        {"service_level_min": {"nowhere": 5}},
    ],
)
def test_a_wrong_counter_section_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CounterSettings.model_validate(bad)
