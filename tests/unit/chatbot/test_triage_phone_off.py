"""Session 16's danger-stage additions (issue #10, bot16), measured by grouped cross-validation by writer on the
training split (bench/triage/SELECTION.md, round 14):

- "not answering the phone" and "the phone is off" said the ways the training writers say it in Vietnamese,
  Nepali, Tagalog, Portuguese and English: beside an old person, a child, someone alone or a stretch of time
  these ask the danger question (the concept rows of concepts.yaml);
- ``EngineConfig.kept_kind_quiet_floor`` (off by default, its measurement unfinished): a line that names violence
  or suicide but is told as over or as paperwork, and whose learned danger score reads far calm, is asked instead
  of being urgent at once.
"""

from __future__ import annotations

import pytest

from madoguchi.chatbot.engine import EngineConfig
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.lexicon import LexiconName, bundled_lexicon
from madoguchi.chatbot.model import TriageModel
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules
from tests.unit.chatbot.test_triage_weaker_signals import decision, model  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    "text",
    [
        "Bà em ở một mình, từ hôm qua không nghe điện thoại",
        "Bố em sống một mình, gọi mãi vẫn tắt máy",
        "आमा एक्लै हुनुहुन्छ, हिजोदेखि फोन उठाउनुभएको छैन",
        "मेरो छोरा घर आएको छैन, फोन बन्द छ, राति भयो",
        "Yung lola namin mag-isa, dalawang araw nang walang sumasagot",
        "Minha avó mora sozinha e o celular desligado desde ontem",
        "My mum lives alone and her phone's off since yesterday",
    ],
)
def test_a_phone_nobody_answers_beside_someone_at_risk_is_asked(text: str) -> None:
    hits = apply_rules(normalise(text))
    assert hits.weak_danger and not hits.urgent
    assert any(r.startswith("safety:concepts (no_contact+") for r in hits.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Tôi muốn đổi số điện thoại",
        "फोन नम्बर परिवर्तन गर्न चाहन्छु",
        "Paano magbayad gamit ang phone?",
        "I turned my phone off at the concert",
    ],
)
def test_phone_words_alone_are_not_no_contact(text: str) -> None:
    assert not bundled_lexicon().search(LexiconName.NO_CONTACT, normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "夫の暴力が原因で離婚しました。離婚届はもう出しています。児童手当の申請をしたいです",
        "After my husband's suicide last year I'm still getting tax notices in his name",
    ],
)
def test_violence_or_suicide_told_as_over_with_a_calm_score_is_asked(
    tiny_kb: KnowledgeBase,
    model: TriageModel,  # noqa: F811
    text: str,
) -> None:
    hits = apply_rules(normalise(text))
    assert hits.urgent and hits.quiet
    assert decision(tiny_kb, model, text, 1.0, EngineConfig(kept_kind_quiet_floor=None)) == "urgent"
    assert decision(tiny_kb, model, text, 1.0, EngineConfig(kept_kind_quiet_floor=0.3)) == "ask"
    assert decision(tiny_kb, model, text, 0.2, EngineConfig(kept_kind_quiet_floor=0.3)) == "urgent"  # not far enough


@pytest.mark.parametrize("text", ["もう死にたい", "夫に殴られている", "My husband hits me"])
def test_violence_and_suicide_told_now_stay_urgent_with_the_floor(
    tiny_kb: KnowledgeBase,
    model: TriageModel,  # noqa: F811
    text: str,
) -> None:
    assert not apply_rules(normalise(text)).quiet
    assert decision(tiny_kb, model, text, 3.0, EngineConfig(kept_kind_quiet_floor=0.0)) == "urgent"
