"""A tiny knowledge base written by the tests, so engine behaviour is tested apart from the sample town's."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.engine import TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBase, load_knowledge_base
from madoguchi.domain.routes import ROUTE_IDS

MUNICIPALITY_YAML = "\n".join(
    [
        "id: testtown",
        "name: {ja: 試験町, en: Test Town}",
        "hours: 平日 8:30〜17:15",
        "phone: 0000-00-0000",
        "routes:",
        *[f"  {route}: {{ja: 表示{index}, en: Route {index}}}" for index, route in enumerate(ROUTE_IDS)],
        "hotlines:",
        "  - id: police",
        "    name: {ja: 警察, en: Police}",
        '    number: "110"',
        "    when: 身の危険があるとき",
        "  - id: dv-line",
        "    name: {ja: DV相談, en: DV line}",
        '    number: "#8008"',
        "    topics: [dv]",
        "    when: 配偶者からの暴力の相談",
        "  - id: lifeline",
        "    name: {ja: いのちの電話, en: Lifeline}",
        "    number: 0570-000-000",
        "    topics: [suicide]",
        "    when: 死にたいほどつらいとき",
    ]
)

KB_FILES = {
    "resident_records": """
        route: resident_records
        entries:
          - id: juminhyo
            title: {ja: 住民票の写し, en: Copy of residence record}
            answer: {ja: 住民票は町民課でとれます。1通300円です。, en: Get it at the residents desk. 300 yen.}
            keywords: [住民票, じゅうみんひょう, residence certificate]
            examples: [住民票がほしい, 住民票を一枚とりたい, I need a residence certificate]
          - id: tenshutsu
            title: {ja: 転出届, en: Moving out}
            answer: {ja: 引っ越しの前に転出届を出してください。}
            keywords: [転出, 転出届, てんしゅつ]
            examples: [町外に引っ越します, 転出の手続き]
    """,
    "waste_environment": """
        route: waste_environment
        entries:
          - id: sodai-gomi
            title: {ja: 粗大ごみ, en: Large waste}
            answer: {ja: 粗大ごみは予約制です。, en: Large items need a booking.}
            keywords: [粗大ごみ, そだいごみ, 家具, sofa]
            examples: [タンスを捨てたい, ソファを処分したい, How do I throw away a sofa]
          - id: gomi-day
            title: {ja: ごみの収集日, en: Collection days}
            answer: {ja: 燃えるごみは月曜と木曜です。}
            keywords: [収集日, ごみの日, 燃えるごみ]
            examples: [ごみの日はいつ, 燃えるごみ何曜日]
    """,
    "livelihood_support": """
        route: livelihood_support
        entries:
          - id: seikatsu-hogo
            title: {ja: 生活保護の相談, en: Public assistance}
            answer: {ja: 生活保護の相談は福祉課へ。}
            keywords: [生活保護, せいかつほご]
            examples: [生活保護を受けたい, お金がなくて生活できない]
            handoff: true
    """,
    "general_inquiry": """
        route: general_inquiry
        entries:
          - id: hours
            title: {ja: 開庁時間, en: Opening hours}
            answer: {ja: 平日8時30分から17時15分までです。, en: Weekdays 8:30-17:15.}
            keywords: [開庁時間, 何時まで, opening hours]
            examples: [役場は何時まで開いてますか, what time does the town hall open]
    """,
}


def write_kb(root: Path, files: dict[str, str] | None = None, municipality: str = MUNICIPALITY_YAML) -> Path:
    (root / "kb").mkdir(parents=True, exist_ok=True)
    (root / "municipality.yaml").write_text(municipality + "\n", encoding="utf-8")
    for route, body in (files or KB_FILES).items():
        (root / "kb" / f"{route}.yaml").write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return root


@pytest.fixture
def kb_files() -> dict[str, str]:
    return dict(KB_FILES)


@pytest.fixture
def municipality_yaml() -> str:
    return MUNICIPALITY_YAML


@pytest.fixture
def kb_writer() -> Callable[..., Path]:
    return write_kb


@pytest.fixture
def tiny_kb(tmp_path: Path) -> KnowledgeBase:
    return load_knowledge_base(write_kb(tmp_path / "testtown"))


@pytest.fixture
def tiny_engine(tiny_kb: KnowledgeBase) -> TriageEngine:
    return TriageEngine(tiny_kb)
