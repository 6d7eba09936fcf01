"""The knowledge base: pydantic models for the YAML files municipal staff edit, and their loader.

Staff edit these files by hand, so every mistake must come back as one clear line naming the file and the
line of the bad entry (``kb/tax.yaml:42: entry 'juminzei-pay': answer: field required``), not as a Python
traceback. The loader therefore keeps PyYAML's node marks and maps each pydantic error location back to the
line it came from. The format is documented for staff in ``docs/knowledge_base.md``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from madoguchi.bookings.plan import HOME, BookingPlan
from madoguchi.chatbot.yaml_source import KnowledgeBaseError as KnowledgeBaseError  # re-exported: callers catch it here
from madoguchi.chatbot.yaml_source import child, compose, line_of, raise_validation
from madoguchi.domain.languages import PAGE_LANGUAGES
from madoguchi.domain.opening_hours import HoursError, HoursSpec, OpeningHours, parse_schedule
from madoguchi.domain.place_names import place_name_in
from madoguchi.domain.routes import ROUTE_IDS, RouteId

log = logging.getLogger(__name__)

DEFAULT_MUNICIPALITY = "shiomi"
DATA_DIR = Path(__file__).resolve().parent / "data"

EntryId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
NonEmpty = Annotated[str, Field(min_length=1)]
# A keyword or example; YAML reads a bare 8050 or 2024 as a number, which staff mean as text.
Phrase = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v),
    Field(min_length=1),
]


class LocalizedText(BaseModel):
    """A text in Japanese (required) and, where written, other languages."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    ja: NonEmpty
    en: NonEmpty | None = None
    easy_ja: NonEmpty | None = Field(default=None, alias="easy-ja")
    zh: NonEmpty | None = None
    ko: NonEmpty | None = None
    vi: NonEmpty | None = None
    pt: NonEmpty | None = None
    tl: NonEmpty | None = None
    ne: NonEmpty | None = None

    def has(self, language: str) -> bool:
        return self._raw(language) is not None

    def in_language(self, language: str) -> str:
        """The text in ``language``; easy Japanese falls back to Japanese, anything else to English then
        Japanese (a foreign resident reads English more often than Japanese)."""
        text = self._raw(language)
        if text is not None:
            return text.strip()
        if language not in ("ja", "easy-ja") and self.en is not None:
            return self.en.strip()
        return self.ja.strip()

    def all_texts(self) -> list[str]:
        return [t for t in (self.ja, self.en, self.easy_ja, self.zh, self.ko, self.vi, self.pt, self.tl, self.ne) if t]

    def matching_texts(self) -> list[str]:
        """The texts retrieval reads of a long answer: Japanese, English and easy Japanese (what every entry was
        written in), and the translations whose script no other language of the index shares (Korean, Nepali).
        A Chinese answer's characters would match Japanese questions (证明书 folds to 証明書) and Vietnamese,
        Portuguese or Tagalog words English ones, so the translations a town adds would quietly re-rank the
        entries for everyone else; those languages are matched by titles, keywords and examples instead."""
        return [t for t in (self.ja, self.en, self.easy_ja, self.ko, self.ne) if t]

    def _raw(self, language: str) -> str | None:
        attr = "easy_ja" if language == "easy-ja" else language
        value = getattr(self, attr, None) if attr in type(self).model_fields else None
        return value if isinstance(value, str) else None


class KbLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: LocalizedText
    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")]


class KbEntry(BaseModel):
    """One question the bot can answer (or must hand to a person)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EntryId
    route: RouteId
    title: LocalizedText
    answer: LocalizedText
    keywords: tuple[Phrase, ...] = ()
    examples: tuple[Phrase, ...] = ()
    links: tuple[KbLink, ...] = ()
    handoff: bool = False
    schedule: bool = False  # a day or timetable: preferred when the resident asks "when / what time"
    booking: bool = False  # about booking itself: its answer offers the booking page (chatbot/booking_offer.py)

    @model_validator(mode="after")
    def _has_something_to_match(self) -> KbEntry:
        if not self.keywords and not self.examples:
            raise ValueError("an entry needs at least one keyword or example phrasing")
        return self


class _KbFileHeader(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    route: RouteId
    entries: list[dict[str, Any]]


# What a hotline is for: shown at once with every urgent case ("always") or with that kind of danger.
HotlineTopic = Literal[
    "always", "dv", "child_abuse", "elder_abuse", "suicide", "collapse", "missing", "eviction", "disaster", "household"
]


class Hotline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EntryId
    name: LocalizedText
    number: Annotated[str, Field(pattern=r"^[#＃]?[0-9０-９()\-‐ ]{3,20}$")]
    when: LocalizedText | str = ""
    topics: tuple[HotlineTopic, ...] = ()

    def when_text(self, language: str) -> str:
        if isinstance(self.when, LocalizedText):
            return self.when.in_language(language)
        return self.when


LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
"""A language as a BCP 47 tag (``en``, ``zh``, ``pt-BR``, ``easy-ja`` is not one: a person interprets languages)."""


class PhoneInterpretation(BaseModel):
    """The telephone interpretation service the town uses (電話通訳): the agent of a call with a resident whose
    language nobody on duty speaks can call it (the console's interpreter panel shows it with a tel: link)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: LocalizedText
    number: Annotated[str, Field(pattern=r"^\+?[0-9()\-‐ ]{3,20}$")]
    hours: LocalizedText | str
    languages: tuple[LanguageTag, ...] = Field(min_length=1)
    """The languages it interprets, as tags (``en``, ``vi``, ``th``…); the console names them in its language."""

    @field_validator("languages")
    @classmethod
    def _each_once(cls, languages: tuple[str, ...]) -> tuple[str, ...]:
        twice = sorted({code for code in languages if languages.count(code) > 1})
        if twice:
            raise ValueError(f"a language is listed twice: {', '.join(twice)}")
        return languages

    def tel(self) -> str:
        """The number for a ``tel:`` link: its digits (and a leading +)."""
        digits = "".join(ch for ch in self.number if ch.isdigit())
        return ("+" if self.number.strip().startswith("+") else "") + digits

    def hours_text(self, language: str) -> str:
        return self.hours.in_language(language) if isinstance(self.hours, LocalizedText) else self.hours


class Place(BaseModel):
    """A counter: the main office, or a remote-counter booth in a post office or community centre."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EntryId
    kind: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    name: LocalizedText
    reading: Annotated[str, Field(max_length=200)] = ""
    """The Japanese name's reading in romaji, shown beside it in a language the file gives no name in."""
    island: LocalizedText | None = None
    address: LocalizedText | str | None = None
    hours: LocalizedText | str | None = None
    booth: bool = False

    def name_in(self, language: str) -> str:
        """The name as a resident reading ``language`` sees it: its own, else the Japanese one (as on the sign)
        with the reading (``madoguchi.domain.place_names``), not the English one."""
        own: dict[str, str] = {code: self.name.in_language(code) for code in PAGE_LANGUAGES if self.name.has(code)}
        return place_name_in(self.name.ja.strip(), own, self.reading, language)


class OverflowSetting(BaseModel):
    """After ``after_min`` minutes of waiting, a route's case may also go to agents of ``to_route`` or, with
    ``any_with_language``, to any agent of the town who speaks the resident's language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after_min: float = Field(gt=0)
    to_route: RouteId | None = None
    any_with_language: bool = False

    @model_validator(mode="after")
    def _somewhere(self) -> OverflowSetting:
        if self.to_route is None and not self.any_with_language:
            raise ValueError("an overflow needs to_route or any_with_language: true")
        return self


class CounterSettings(BaseModel):
    """How the town runs its counter (all optional; the server's settings are the defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service_level_min: dict[RouteId, float] = Field(
        default_factory=dict, description="route -> the wait (minutes) above which supervisors are alarmed"
    )
    overflow: dict[str, OverflowSetting] = Field(
        default_factory=dict, description="route id or '*' (every route) -> overflow"
    )
    hours: dict[str, str] = Field(
        default_factory=dict,
        description="the older form of opening_hours.weekly: weekday (mon..sun) -> open windows such as '08:30-17:15'"
        " (JST); used only when the town has no opening_hours (which, or the admin's stored hours, win)",
    )

    @field_validator("hours")
    @classmethod
    def _readable_hours(cls, hours: dict[str, str]) -> dict[str, str]:
        try:
            parse_schedule(hours)
        except HoursError as exc:
            raise ValueError(f"counter.hours: {exc}") from None
        return hours

    @field_validator("overflow")
    @classmethod
    def _known_routes(cls, overflow: dict[str, OverflowSetting]) -> dict[str, OverflowSetting]:
        unknown = [r for r in overflow if r != "*" and r not in ROUTE_IDS]
        if unknown:
            raise ValueError(f"unknown routes in overflow: {', '.join(unknown)}")
        return overflow


class Municipality(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EntryId
    name: LocalizedText
    hours: LocalizedText | str
    opening_hours: HoursSpec | None = None
    """The hours as data (per weekday, closed dates, yearly closed spans): the default the admin page can
    override; ``hours`` stays the sentence residents read."""
    phone: Annotated[str, Field(pattern=r"^[0-9()\-‐ ]{3,20}$")]
    website: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    routes: dict[RouteId, LocalizedText]
    places: tuple[Place, ...] = ()
    hotlines: tuple[Hotline, ...] = ()
    phone_interpretation: PhoneInterpretation | None = None
    """Optional: the telephone interpretation service the town uses (name, number, hours, languages)."""
    # years finished records are kept (madoguchi records purge); None: MADOGUCHI_RETENTION_YEARS
    retention_years: Annotated[int, Field(ge=1, le=100)] | None = None
    timezone: str | None = Field(
        default=None, description="IANA zone of the town's reports; default MADOGUCHI_TIMEZONE"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Tokyo") from None
        return value

    booking: BookingPlan | None = None

    def booking_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Places and routes the booking plan names that this file does not define (location, message)."""
        if self.booking is None:
            return []
        places = {p.id for p in self.places} | {HOME}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for i, desk in enumerate(self.booking.desks):
            problems += [
                (("booking", "desks", i, "places"), f"unknown place '{p}'") for p in desk.places if p not in places
            ]
            problems += [
                (("booking", "desks", i, "routes"), f"unknown route '{r}'")
                for r in desk.routes
                if r != "*" and r not in ROUTE_IDS
            ]
        for i, line in enumerate(self.booking.ferries):
            problems += [
                (("booking", "ferries", i, "places"), f"unknown place '{p}'") for p in line.places if p not in places
            ]
        return problems

    counter: CounterSettings = Field(default_factory=CounterSettings)

    def hotline(self, hotline_id: str) -> Hotline | None:
        return next((h for h in self.hotlines if h.id == hotline_id), None)

    def file_hours(self) -> HoursSpec | None:
        """The file's opening hours: ``opening_hours:``, else the older ``counter.hours:`` week (the admin's
        stored hours replace either: :class:`~madoguchi.storage.opening_hours.HoursBook`)."""
        if self.opening_hours is not None:
            return self.opening_hours
        return HoursSpec(weekly=self.counter.hours) if self.counter.hours else None

    def booking_closed_days(self) -> OpeningHours | None:
        """The closed days the booking plan names (``closed_dates``, ``closed_every_year``): the counter is closed
        on them too, so the alarms and the booth agree with the bookings."""
        return None if self.booking is None else self.booking.closed_hours()

    @field_validator("routes")
    @classmethod
    def _all_routes_named(cls, routes: dict[RouteId, LocalizedText]) -> dict[RouteId, LocalizedText]:
        missing = [r for r in ROUTE_IDS if r not in routes]
        if missing:
            raise ValueError(f"every route needs a display name; missing: {', '.join(missing)}")
        return routes

    def route_name(self, route: str, language: str = "ja") -> str:
        return self.routes[RouteId(route)].in_language(language)

    def hours_text(self, language: str) -> str:
        return self.hours.in_language(language) if isinstance(self.hours, LocalizedText) else self.hours


class KbQuestion(BaseModel):
    """One labelled resident's question (``questions/*.jsonl``): the entry that answers it, or None when no entry
    does. The town's own examples of how residents ask, learned from at ``madoguchi triage train``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: NonEmpty
    entry: EntryId | None
    lang: str = "ja"
    writer: str = ""


@dataclass(frozen=True)
class KnowledgeBase:
    """A municipality's loaded and validated knowledge base."""

    municipality: Municipality
    entries: tuple[KbEntry, ...]
    questions: tuple[KbQuestion, ...] = ()  # labelled residents' questions whose entry exists (or null)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def entry(self, entry_id: str) -> KbEntry:
        by_id: dict[str, KbEntry] = getattr(self, "_by_id")  # noqa: B009 - set in __post_init__
        return by_id[entry_id]

    def entries_for(self, route: str) -> list[KbEntry]:
        return [e for e in self.entries if e.route == route]


def load_municipality(path: Path) -> Municipality:
    node, data = compose(path)
    try:
        municipality = Municipality.model_validate(data)
    except ValidationError as exc:
        raise_validation(path, node, exc)
    for location, message in municipality.booking_problems()[:1]:
        raise KnowledgeBaseError(path, line_of(node, location), f"{'.'.join(map(str, location))}: {message}")
    return municipality


def load_kb_file(path: Path) -> list[tuple[KbEntry, int]]:
    """Entries of one ``kb/<route>.yaml`` file with the line each starts on."""
    node, data = compose(path)
    if not isinstance(data, dict):
        raise KnowledgeBaseError(path, 1, "the file must be a mapping with 'route' and 'entries'")
    try:
        header = _KbFileHeader.model_validate(data)
    except ValidationError as exc:
        raise_validation(path, node, exc)
    if not path.stem.startswith("_") and header.route != path.stem:
        raise KnowledgeBaseError(
            path, line_of(node, ["route"]), f"route '{header.route}' does not match the file name '{path.name}'"
        )
    entries_node = child(node, "entries")
    assert entries_node is not None
    loaded: list[tuple[KbEntry, int]] = []
    for index, raw in enumerate(header.entries):
        entry_node = child(entries_node, index) or entries_node
        line = int(entry_node.start_mark.line) + 1
        label = f"entry '{raw.get('id')}'" if isinstance(raw.get("id"), str) else f"entry #{index + 1}"
        try:
            entry = KbEntry.model_validate({"route": header.route, **raw})
        except ValidationError as exc:
            raise_validation(path, entry_node, exc, prefix=f"{label}: ")
        loaded.append((entry, line))
    return loaded


def load_knowledge_base(directory: Path) -> KnowledgeBase:
    """Load ``municipality.yaml`` and every ``kb/*.yaml`` under ``directory``; raise
    :class:`KnowledgeBaseError` on the first problem."""
    municipality_path = directory / "municipality.yaml"
    if not municipality_path.is_file():
        raise KnowledgeBaseError(municipality_path, None, "missing: every municipality needs this file", kind="missing")
    municipality = load_municipality(municipality_path)
    kb_dir = directory / "kb"
    files = sorted([*kb_dir.glob("*.yaml"), *kb_dir.glob("*.yml")])
    if not files:
        raise KnowledgeBaseError(kb_dir, None, "no knowledge-base files (kb/<route_id>.yaml)", kind="missing")
    seen: dict[str, tuple[Path, int]] = {}
    entries: list[KbEntry] = []
    for path in files:
        for entry, line in load_kb_file(path):
            if entry.id in seen:
                first_path, first_line = seen[entry.id]
                raise KnowledgeBaseError(
                    path, line, f"entry id '{entry.id}' is already used at {first_path.name}:{first_line}"
                )
            seen[entry.id] = (path, line)
            entries.append(entry)
    questions = load_questions(directory / "questions", frozenset(seen))
    return KnowledgeBase(municipality=municipality, entries=tuple(entries), questions=tuple(questions))


def load_questions(folder: Path, entry_ids: frozenset[str]) -> list[KbQuestion]:
    """Every ``questions/*.jsonl`` line: ``{"text": ..., "entry": "<id>" | null, "lang": ..., "writer": ...}``.
    A bad line stops the load with ``file:line: what is wrong`` (like a YAML mistake); a line naming an entry the
    knowledge base does not have (removed or renamed since) is skipped with a warning naming it."""
    questions: list[KbQuestion] = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        questions.extend(load_question_file(path, entry_ids))
    return questions


def load_question_file(path: Path, entry_ids: frozenset[str]) -> list[KbQuestion]:
    """One ``questions/*.jsonl`` file (see :func:`load_questions`)."""
    questions: list[KbQuestion] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(path, None, f"not UTF-8 text ({exc.reason})", kind="encoding") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "entry" not in row:
                raise ValueError("a question needs 'text' and 'entry' (an entry id, or null)")
            question = KbQuestion.model_validate(row)
        except json.JSONDecodeError as exc:
            raise KnowledgeBaseError(path, number, f"not a JSON line ({exc.msg})") from exc
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(map(str, problem["loc"]))
            raise KnowledgeBaseError(path, number, f"{where}: {problem['msg']}") from exc
        except ValueError as exc:
            raise KnowledgeBaseError(path, number, str(exc)) from exc
        if question.entry is not None and question.entry not in entry_ids:
            log.warning("%s:%d: no entry '%s' in the knowledge base: question skipped", path, number, question.entry)
            continue
        questions.append(question)
    return questions


def load_municipalities(kb_dir: Path | None) -> dict[str, Municipality]:
    """Every municipality file under ``kb_dir`` (``MADOGUCHI_KB_DIR``; None: the bundled sample), by id, as the server
    loads them: a folder is a municipality when it has a ``municipality.yaml``."""
    root = kb_dir or DATA_DIR
    towns = (
        load_municipality(d / "municipality.yaml")
        for d in sorted(root.iterdir())
        if (d / "municipality.yaml").is_file()
    )
    return {town.id: town for town in towns}


def bundled_kb_dir(municipality_id: str = DEFAULT_MUNICIPALITY) -> Path:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", municipality_id):
        raise ValueError(f"not a municipality id: {municipality_id!r}")
    return DATA_DIR / municipality_id


def iter_entry_texts(entry: KbEntry) -> Iterable[str]:
    yield from entry.title.all_texts()
    yield from entry.keywords
    yield from entry.examples
