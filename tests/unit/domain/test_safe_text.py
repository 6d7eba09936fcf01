"""The one text rule of the edge (madoguchi.domain.safe_text): which characters are refused, where it says they
were, and that the socket events apply it to every field of every event (nested ones too)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from madoguchi.domain.safe_text import find_unsafe, printable, unsafe_character
from madoguchi.signaling import events as ev


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("税金\x00の相談", "U+0000"),
        ("\x01", "U+0001"),
        ("a\x0bb", "U+000B"),
        ("a\x0cb", "U+000C"),
        ("a\x1bb", "U+001B"),
        ("a\x1fb", "U+001F"),
        ("a\x7fb", "U+007F"),
        ("a\x80b", "U+0080"),
        ("a\x85b", "U+0085"),
        ("a\x9fb", "U+009F"),
        ("a\ud800", "U+D800"),
        ("\udfff", "U+DFFF"),
    ],
)
def test_controls_and_lone_surrogates_are_refused(text: str, expected: str) -> None:
    assert unsafe_character(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "税金の相談",
        "一行目\n二行目",
        "行\r\n改行",
        "タブ\tあり",
        "🙂👨‍👩‍👧 絵文字",
        "é ñ ß",
        "\u00a0\u3000",
        "\u200b\u200d",
    ],
)
def test_ordinary_text_tab_newline_and_carriage_return_pass(text: str) -> None:
    assert unsafe_character(text) is None


def test_the_first_refused_field_is_named_with_its_path() -> None:
    assert find_unsafe({"a": "ok", "b": {"c": ["x", "y\x00"]}}) == ("b.c.1", "U+0000")
    assert find_unsafe({"a\x00": 1}) == ("a?", "U+0000")  # a refused key is named without its bad character
    assert find_unsafe("\x00") == ("payload", "U+0000")
    assert find_unsafe({"q": "x\x85"}, "query") == ("query.q", "U+0085")
    assert find_unsafe({"a": 1, "b": None, "c": [True, 2.5]}) is None


def test_printable_replaces_what_the_rule_refuses() -> None:
    assert printable("a\x00b\ud800c\n") == "a\ufffdb\ufffdc\n"


def test_every_socket_event_refuses_a_control_character_naming_the_field() -> None:
    with pytest.raises(ValidationError) as raised:
        ev.ConsultationRequest.model_validate({"route": "tax", "question": "税金\x00の相談"})
    (error,) = raised.value.errors()
    assert error["type"] == "control_character"
    assert error["msg"].startswith("question: contains the control character U+0000")
    with pytest.raises(ValidationError):
        ev.RingingOffer.model_validate({"consultation_id": "c1", "description": {"type": "offer", "sdp": "v=0\x00"}})
    # an SDP's CRLF lines are text
    ev.RingingOffer.model_validate({"consultation_id": "c1", "description": {"type": "offer", "sdp": "v=0\r\no=-\r\n"}})


def test_every_event_model_derives_from_the_checked_base() -> None:
    models = [v for v in vars(ev).values() if isinstance(v, type) and issubclass(v, ev.BaseModel)]
    assert models and all(issubclass(m, ev.Event) for m in models if m is not ev.BaseModel)
