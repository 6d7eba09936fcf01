"""The booking's name: kana or Latin letters (#14: /book in English refused "Maria Santos"), never digits, at most
40 characters; the forms' own check (static/js/bookinput.js, the phone page and the console) agrees with the
server's on every case here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from madoguchi.booking_desk.form_fields import kana
from madoguchi.booking_desk.refusals import DeskError

JS = Path(__file__).resolve().parents[3] / "madoguchi" / "static" / "js" / "bookinput.js"

TAKEN = {
    "やまだ はなこ": "ヤマダ ハナコ",
    "ﾔﾏﾀﾞ ﾊﾅｺ": "ヤマダ ハナコ",
    "ヤマダ\u3000ハナコ": "ヤマダ ハナコ",
    "Maria Santos": "Maria Santos",
    "Nguyễn Văn An": "Nguyễn Văn An",
    "Ｍａｒｉａ  Ｓａｎｔｏｓ": "Maria Santos",
    "O'Brien-Smith Jr.": "O'Brien-Smith Jr.",
}
REFUSED = ["", "   ", "12345678", "1234 5678 9018", "Maria 2", "山田花子", "a" * 41, "ア" * 41, "--", "@maria"]


@pytest.mark.parametrize(("typed", "kept"), TAKEN.items())
def test_a_name_in_kana_or_latin_letters_is_taken(typed: str, kept: str) -> None:
    assert kana(typed) == kept


@pytest.mark.parametrize("typed", REFUSED)
def test_digits_other_scripts_and_overlong_names_are_refused(typed: str) -> None:
    with pytest.raises(DeskError) as refused:
        kana(typed)
    assert refused.value.code == "invalid" and "Latin" in str(refused.value)


def test_the_forms_check_agrees_with_the_server() -> None:
    cases = [*TAKEN, *REFUSED]
    script = (
        f"import({json.dumps(JS.as_uri())}).then(m => console.log(JSON.stringify("
        f"{json.dumps(cases)}.map(t => m.nameLooksRight(t)))))"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [True] * len(TAKEN) + [False] * len(REFUSED)
