"""Retrieval and route classification over the knowledge base.

The knowledge base is small (hundreds of entries, a few thousand phrasings) and written by hand, so the
method has to generalise from a handful of phrasings per topic, in Japanese without word boundaries, in
hiragana-only or dialect, and in six other languages. Character n-grams over the folded text do that
without a dictionary: 「じゅうみんひょう」 and 「住民票ほしい」 share n-grams with the entry's keywords and
examples; latin text is matched by words and crude stems. Scores are BM25 with per-field weights (examples
and keywords count fully, titles a little more, answers less), computed over an inverted index so one
query costs a few milliseconds. Japanese titles, keywords and examples are indexed in their kana reading too
(SudachiPy, at start-up only), so a question in hiragana meets an entry written in kanji; simplified Chinese is
folded onto the Japanese character forms. The method is behind the :class:`Retriever` protocol; ``bench/triage``
compares the options on the labelled evaluation set.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from madoguchi.chatbot.knowledge import KbEntry, KnowledgeBase
from madoguchi.chatbot.normalise import normalise

# Simplified-Chinese characters → the Japanese form, so a Chinese question meets Japanese entries (and the
# entries' Chinese titles and examples the Japanese ones): a few by meaning (办 → 手続, 丢 → 失くす), then the
# simplified forms of the characters of town-hall Japanese, one for one (认 → 認, 邮 → 郵, 誊 → 謄).
_ZH_TO_JA = str.maketrans(
    {
        "碍": "害",
        "险": "険",
        "护": "護",
        "儿": "児",
        "费": "費",
        "证": "証",
        "户": "戸",
        "疗": "療",
        "养": "養",
        "国": "国",
        "纳": "納",
        "税": "税",
        "补": "補",
        "贴": "貼",
        "领": "領",
        "办": "手",
        "续": "続",
        "请": "請",
        "申": "申",
        "区": "区",
        "园": "園",
        "垃": "ご",
        "圾": "み",
        "电": "電",
        "车": "車",
        "铁": "鉄",
        "轮": "輪",
        "渡": "渡",
        "岛": "島",
        "难": "難",
        "灾": "災",
        "医": "医",
        "检": "検",
        "诊": "診",
        "种": "種",
        "苗": "苗",
        "龄": "齢",
        "饮": "飲",
        "营": "営",
        "宅": "宅",
        "卫": "衛",
        "临": "臨",
        "务": "務",
        "业": "業",
        "际": "際",
        "预": "予",
        "约": "約",
        "问": "問",
        "题": "題",
        "资": "資",
        "条": "条",
        "丢": "失",
        "号": "号",
        "码": "番",
        "扔": "捨",
        "类": "類",
        "处": "処",
        "妇": "婦",
        "孕": "妊",
        "娠": "娠",
        "间": "間",
        "时": "時",
        "几": "何",
        "点": "時",
        "开": "開",
        "关": "閉",
        "门": "門",
        "镇": "町",
        "厅": "庁",
        "场": "場",
    }
    | dict(
        zip(
            "认书给为员发编缴系联邮岁设单馆册网动现诉还额说况据产迁对减广变结议转离综风总环别负损满语进师责马举样线换纸计东账钱职边准"
            "协买价许选丧誊读调驾决亲标级购让构热轻继头气县复扫录视图运废饭译伤紧烧钟烦习则应团项张详坏谈贺获该专脑规简载输细历怀恼脏"
            "围效笔药辆练绍邻统较仪维驻谢识栏雾飞访乐顾范传导灭龙监顺两杂卖沟缓贷锁乡净觉术择训队组烟适针严验农渔评异洁欢爱挂镜响阶纪"
            "财孙络盐顶陷虑盖叶观债诈纷扩偿绝阅忧赔绳仓庆汉遗频韩兴灵归压绪惯积块贵迟实权濑连终讨论货弃劳驱猎红义见过报话长银经备无优机页币贫帐节钥",
            "認書給為員発編納係連郵歳設単館冊網動現訴還額説況拠産遷対減広変結議転離総風総環別負損満語進師責馬挙様線換紙計東帳銭職辺準"
            "協買価許選喪謄読調駕決親標級購譲構熱軽継頭気県復掃録視図運廃飯訳傷緊焼鐘煩習則応団項張詳壊談賀獲該専脳規簡載輸細歴懐悩臓"
            "囲効筆薬両練紹隣統較儀維駐謝識欄霧飛訪楽顧範伝導滅竜監順両雑売溝緩貸鎖郷浄覚術択訓隊組煙適針厳験農漁評異潔歓愛掛鏡響階紀"
            "財孫絡塩頂陥慮蓋葉観債詐紛拡償絶閲憂賠縄倉慶漢遺頻韓興霊帰圧緒慣積塊貴遅実権瀬連終討論貨棄労駆猟紅義見過報話長銀経備無優機頁幣貧帳節鍵",
            strict=True,
        )
    )
)
_RUN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+|[a-z0-9]+")
_HAN_RE = re.compile(r"[\u3400-\u9fff]")
_DEVANAGARI_RE = re.compile(r"[\u0900-\u097f]+")
"""A Nepali word (letters with their vowel signs): matched whole and by its character trigrams, since postpositions
are written onto the word (फोहोरको, करमा) where Latin text has a space."""
_LATIN_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "have",
        "has",
        "had",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "how",
        "when",
        "where",
        "why",
        "please",
        "some",
        "any",
        "get",
        "got",
        "want",
        "need",
        "like",
        "just",
        "so",
        "if",
        "about",
        "also",
        "not",
        "no",
        "yes",
        "hello",
        "hi",
        "thanks",
        "thank",
        "o",
        "a",
        "de",
        "do",
        "da",
        "das",
        "dos",
        "e",
        "em",
        "no",
        "na",
        "um",
        "uma",
        "para",
        "com",
        "que",
        "eu",
        "meu",
        "minha",
        "por",
        "se",
        "toi",
        "la",
        "co",
        "khong",
        "duoc",
        "cua",
        "va",
        "cac",
        "nhung",
        "mot",
        "cho",
        "em",
        "anh",
    ]
)


_KANJI_RE = re.compile(r"[\u3400-\u9fff]")
_tokenizer: list[Any] = []


@functools.lru_cache(maxsize=65536)
def kana_reading(text: str) -> str | None:
    """The text with its kanji words read out in kana (スプレー缶の捨て方 → スプレーカンノステカタ), or None when it
    has no kanji. An entry's phrasings are indexed in this form too, so a resident who writes in hiragana
    (やさしい日本語, a child, an elder, a phone without kanji conversion: 「すぷれーかんは どう すてますか」) meets
    the entry written in kanji. Words without kanji keep their own spelling (symbols have no reading)."""
    if not _KANJI_RE.search(text):
        return None
    if not _tokenizer:
        from sudachipy import Dictionary, SplitMode  # loaded on first use (the trained model loads it too)

        _tokenizer.append((Dictionary().tokenizer(), SplitMode.C))
    tokenizer, mode = _tokenizer[0]
    return "".join(
        m.reading_form() if _KANJI_RE.search(m.surface()) else m.surface() for m in tokenizer.tokenize(text, mode)
    )


Readings = Mapping[str, str]
"""Kana readings of an entry's Japanese texts (text → reading; texts without kanji have none), computed once at
``madoguchi triage train`` into the model artefact (:func:`kb_readings`), so an engine start does not run the
morphological analyser over every phrasing again."""


def entry_texts(kb: KnowledgeBase) -> list[str]:
    """Every text an index reads a kana form of: titles, keywords, examples and the town's labelled questions."""
    texts = [t for e in kb.entries for t in (*e.title.all_texts(), *e.keywords, *e.examples)]
    texts.extend(q.text for q in kb.questions if q.entry is not None)
    return texts


def kb_readings(kb: KnowledgeBase) -> dict[str, str]:
    """The kana reading of every text of the knowledge base that has kanji (for the trained model to carry)."""
    out: dict[str, str] = {}
    for text in entry_texts(kb):
        if text not in out:
            reading = kana_reading(text)
            if reading is not None:
                out[text] = reading
    return out


def _reader(readings: Readings | None) -> Callable[[str], str | None]:
    """Looks a text's reading up in ``readings`` (a text it lacks, as in a knowledge base edited since training, is
    read now); without ``readings`` every text is read now."""
    if readings is None:
        return kana_reading

    def read(text: str) -> str | None:
        found = readings.get(text)
        if found is not None or not _KANJI_RE.search(text):
            return found
        return kana_reading(text)

    return read


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def features(folded: str) -> list[str]:
    """Matching features of folded text: CJK/kana/hangul bigrams and trigrams (plus single kanji), Nepali words and
    their trigrams, latin words, their crude stems and word bigrams. Masked text comes without its mask tokens
    (``privacy.without_mask_tokens``, before folding), so a resident's own word 電話番号 or 個人番号 counts."""
    folded = folded.translate(_ZH_TO_JA)
    out: list[str] = []
    for run in _RUN_RE.findall(folded):
        if run[0].isascii():
            continue
        out.extend(ch for ch in run if _HAN_RE.match(ch))
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
        out.extend(run[i : i + 3] for i in range(len(run) - 2))
    for word in _DEVANAGARI_RE.findall(folded):
        out.append("w:" + word)
        out.extend("d:" + word[i : i + 3] for i in range(len(word) - 2))
    words = [w for w in re.findall(r"[a-z0-9]+", folded) if w not in _LATIN_STOP and (len(w) > 1 or w.isdigit())]
    for index, word in enumerate(words):
        stem = _stem(word)
        out.append("w:" + stem)
        if index + 1 < len(words):
            out.append("b:" + stem + "_" + _stem(words[index + 1]))
    return out


_HIRAGANA_ONLY_RE = re.compile(r"^[\u3040-\u309f]+$")


def query_weights(folded: str, *, function_weight: float = 0.5) -> dict[str, float]:
    """Query features with their weights. When the question has kanji, n-grams made only of hiragana are
    mostly grammar (「どうしたらいい」「ようにするには」) and would outvote the one content word, so they
    count less; in a hiragana-only question they are the content and count fully."""
    feats = features(folded)
    has_kanji = len(_HAN_RE.findall(folded)) >= 2
    weights: dict[str, float] = {}
    for feature in feats:
        weight = function_weight if has_kanji and _HIRAGANA_ONLY_RE.match(feature) else 1.0
        weights[feature] = weights.get(feature, 0.0) + weight
    return weights


@dataclass(frozen=True)
class ScoredEntry:
    entry: KbEntry
    score: float
    phrase: float | None = None  # the hybrid's nearest-phrasing similarity (0..1), when it has one
    learned: float | None = None  # the entry model's probability (0..1), when there is one (``entry_model.py``)


class Retriever(Protocol):
    """Ranks knowledge-base entries for one folded, masked utterance."""

    def search(self, folded: str, *, limit: int = 8) -> list[ScoredEntry]: ...


@dataclass(frozen=True)
class FieldWeights:
    title: float = 1.5
    keywords: float = 1.5
    examples: float = 1.0
    answer: float = 0.25
    reading: float = 1.0  # the kana reading of a Japanese title, keyword or example (a share of that field's weight)
    # The town's labelled residents' questions (``questions/*.jsonl``) matched like examples: 0 (off), since in
    # leave-one-writer-out cross-validation they did not help (bench/triage/RESULTS.md, session 16); the entry model
    # (``entry_model.py``) learns from them instead.
    questions: float = 0.0


def _questions_by_entry(kb: KnowledgeBase) -> dict[str, list[str]]:
    asked: dict[str, list[str]] = defaultdict(list)
    for question in kb.questions:
        if question.entry is not None:
            asked[question.entry].append(question.text)
    return asked


class Bm25Retriever:
    """BM25 over weighted per-field n-gram counts of each entry (one document per entry)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        weights: FieldWeights = FieldWeights(),
        k1: float = 1.2,
        b: float = 0.5,
        readings: Readings | None = None,
    ) -> None:
        self._entries = kb.entries
        self._k1 = k1
        reader = _reader(readings)
        asked = _questions_by_entry(kb)
        docs: list[dict[str, float]] = []
        for entry in kb.entries:
            doc: dict[str, float] = defaultdict(float)
            for texts, weight, read in (
                (entry.title.all_texts(), weights.title, True),
                (entry.keywords, weights.keywords, True),
                (entry.examples, weights.examples, True),
                (entry.answer.matching_texts(), weights.answer, False),
                (asked.get(entry.id, ()), weights.questions, True),
            ):
                if not weight:
                    continue
                for text in texts:
                    for feature in features(normalise(text)):
                        doc[feature] += weight
                    kana = reader(text) if read and weights.reading else None
                    for feature in features(normalise(kana)) if kana else ():
                        doc[feature] += weight * weights.reading
            docs.append(doc)
        lengths = [sum(d.values()) for d in docs]
        average = sum(lengths) / max(len(lengths), 1)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        n = len(docs)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, doc in enumerate(docs):
            norm = k1 * (1 - b + b * lengths[index] / average)
            for term, tf in doc.items():
                self._postings[term].append((index, tf * (k1 + 1) / (tf + norm)))

    def search(self, folded: str, *, limit: int = 8) -> list[ScoredEntry]:
        scores: dict[int, float] = defaultdict(float)
        for term, qtf in query_weights(folded).items():
            idf = self._idf.get(term)
            if idf is None:
                continue
            weight = idf * (min(qtf, 1.0) + 0.3 * max(qtf - 1.0, 0.0))
            for index, value in self._postings[term]:
                scores[index] += weight * value
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:limit]
        return [ScoredEntry(self._entries[i], s) for i, s in ranked]


class PhraseRetriever:
    """Nearest phrasing: TF-IDF cosine against every title, keyword and example separately; an entry
    scores as its best phrasing. Good for short utterances close to one example."""

    def __init__(
        self, kb: KnowledgeBase, *, readings: Readings | None = None, read: bool = True, questions: bool = True
    ) -> None:
        self._entries = kb.entries
        reader = _reader(readings)
        asked = _questions_by_entry(kb) if questions else {}
        phrases: list[tuple[int, Counter[str]]] = []
        for index, entry in enumerate(kb.entries):
            for text in (*entry.title.all_texts(), *entry.keywords, *entry.examples, *asked.get(entry.id, ())):
                kana = reader(text) if read else None
                for form in (text, kana) if kana else (text,):
                    feats = Counter(features(normalise(form)))
                    if feats:
                        phrases.append((index, feats))
        df: Counter[str] = Counter()
        for _i, feats in phrases:
            df.update(feats.keys())
        n = len(phrases)
        self._idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self._owner: list[int] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for pid, (index, feats) in enumerate(phrases):
            vec = {t: (1 + math.log(c)) * self._idf[t] for t, c in feats.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            self._owner.append(index)
            for t, v in vec.items():
                self._postings[t].append((pid, v / norm))

    def search(self, folded: str, *, limit: int = 8) -> list[ScoredEntry]:
        qvec = {
            t: (1 + math.log(max(c, 1.0))) * min(c, 1.0) * self._idf[t]
            for t, c in query_weights(folded).items()
            if t in self._idf
        }
        norm = math.sqrt(sum(v * v for v in qvec.values())) or 1.0
        sims: dict[int, float] = defaultdict(float)
        for t, v in qvec.items():
            for pid, pv in self._postings[t]:
                sims[pid] += v / norm * pv
        best: dict[int, float] = {}
        for pid, sim in sims.items():
            owner = self._owner[pid]
            if sim > best.get(owner, 0.0):
                best[owner] = sim
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:limit]
        return [ScoredEntry(self._entries[i], self.scale * s) for i, s in ranked]

    scale = 20.0  # cosine (0..1) onto roughly the BM25 range, so the engine's thresholds fit both


class HybridRetriever:
    """Entry-level BM25 plus nearest-phrasing similarity, each scaled to its own top score."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        phrase_weight: float = 0.5,
        weights: FieldWeights = FieldWeights(),
        phrase_readings: bool = True,
        readings: Readings | None = None,
    ) -> None:
        self._bm25 = Bm25Retriever(kb, weights=weights, readings=readings)
        self._phrase = PhraseRetriever(kb, readings=readings, read=phrase_readings, questions=bool(weights.questions))
        self._phrase_weight = phrase_weight

    def search(self, folded: str, *, limit: int = 8) -> list[ScoredEntry]:
        bm = self._bm25.search(folded, limit=30)
        ph = self._phrase.search(folded, limit=30)
        combined: dict[str, tuple[KbEntry, float, float]] = {}
        for item in bm:
            combined[item.entry.id] = (item.entry, item.score, 0.0)
        for item in ph:
            entry, score, _ = combined.get(item.entry.id, (item.entry, 0.0, 0.0))
            combined[item.entry.id] = (
                entry,
                score + self._phrase_weight * item.score,
                item.score / PhraseRetriever.scale,
            )
        ranked = sorted(combined.values(), key=lambda es: es[1], reverse=True)[:limit]
        return [ScoredEntry(e, s, p) for e, s, p in ranked]


RETRIEVERS = {"bm25": Bm25Retriever, "phrase": PhraseRetriever, "hybrid": HybridRetriever}


def route_scores(ranked: Sequence[ScoredEntry]) -> dict[str, float]:
    """Per-route evidence: the best entry's score plus a little of the next ones of the same route."""
    scores: dict[str, float] = {}
    seen: Counter[str] = Counter()
    for item in ranked:
        route = item.entry.route.value
        factor = (1.0, 0.3, 0.15)[seen[route]] if seen[route] < 3 else 0.0
        scores[route] = scores.get(route, 0.0) + factor * item.score
        seen[route] += 1
    return scores


def softmax(scores: dict[str, float], temperature: float) -> dict[str, float]:
    if not scores:
        return {}
    top = max(scores.values())
    exps = {k: math.exp((v - top) / temperature) for k, v in scores.items()}
    total = sum(exps.values())
    return {k: v / total for k, v in exps.items()}


def iter_feature_counts(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(features(normalise(text)))
    return counts
