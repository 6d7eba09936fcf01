"""Where a report's time zone comes from: the municipality file, else MADOGUCHI_TIMEZONE; unknown zones refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from madoguchi.chatbot.knowledge import KnowledgeBaseError, bundled_kb_dir, load_knowledge_base
from madoguchi.settings import Settings
from tests.unit.chatbot.conftest import MUNICIPALITY_YAML, write_kb


def test_settings_default_to_japan_and_refuse_unknown_zones(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).timezone == "Asia/Tokyo"
    assert Settings(data_dir=tmp_path, timezone="UTC").timezone == "UTC"
    with pytest.raises(ValidationError, match="unknown time zone 'Japan/Nowhere'"):
        Settings(data_dir=tmp_path, timezone="Japan/Nowhere")
    with pytest.raises(ValidationError, match="more than 0 seconds: tax"):
        Settings(data_dir=tmp_path, service_level_targets={"tax": 0})


def test_a_municipality_file_may_name_its_zone(tmp_path: Path) -> None:
    assert load_knowledge_base(bundled_kb_dir()).municipality.timezone is None  # the sample uses the setting
    municipality = MUNICIPALITY_YAML + "\ntimezone: Pacific/Guam\n"
    assert load_knowledge_base(write_kb(tmp_path / "ok", municipality=municipality)).municipality.timezone == (
        "Pacific/Guam"
    )

    write_kb(tmp_path / "bad", municipality=MUNICIPALITY_YAML + "\ntimezone: Mars/Olympus\n")
    with pytest.raises(KnowledgeBaseError, match="unknown time zone 'Mars/Olympus'"):
        load_knowledge_base(tmp_path / "bad")
