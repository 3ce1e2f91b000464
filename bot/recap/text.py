"""Text helpers for recaps: language, content words, keywords, questions and excerpts.

Japanese is tokenized with SudachiPy + sudachidict-core (split mode C). Measured here: import +
dictionary load 0.04-0.09 s; ~30,000 short messages/s (~380k morphemes/s) for Sudachi alone,
~22,000 messages/s for our whole Japanese path (English ~90,000/s). Janome (pure Python) did
1,500 messages/s, too slow for 50k a week; fugashi + unidic-lite is faster, but unidic-lite is a
47 MB sdist unreleased since 2021 that splits 勉強会 into 勉強/会; tinysegmenter (unmaintained)
and budoux (line-break phrases) have no part-of-speech tags, so no nouns-only keywords. Sudachi
is maintained, ships abi3 wheels for Linux, macOS and Windows with no system packages, is
deterministic, and keeps compounds such as 勉強会 and 東京駅 whole; it costs a 77 MB wheel.

Keywords: our own explainable scorer (yake would need our tokens re-joined with spaces, for
little gain): spread over messages x IDF against an optional background x opening bonus.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache, wraps
from typing import Any, TypeVar

_T = TypeVar("_T")
_CACHES: list[Any] = []


def _wordset(words: str) -> frozenset[str]:
    """A set of whitespace-separated words."""
    return frozenset(words.split())


_JA_CHARS = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f々〆ヵヶ"
_JA = re.compile(f"[{_JA_CHARS}]")
_JA_RUN = re.compile(f"[{_JA_CHARS}](?:[{_JA_CHARS}0-9、。・「」『』()!?ー〜~\\s]*[{_JA_CHARS}])?")
_LETTER = re.compile(r"[^\W\d_]")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_MARKUP = re.compile(
    r"`[^`\n]*`|<?(?:https?://|www\.)\S+"  # inline code, URLs (also <suppressed embeds>)
    r"|<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>"  # user, role and channel mentions, custom emoji
    r"|</[\w -]+:\d+>|<t:-?\d+(?::\w)?>|@(?:everyone|here)\b"  # commands, timestamps
    r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3]"  # unicode emoji
    r"|(?m:^\s*(?:>+|#{1,3}|-#)\s)|[*~|]+"  # quotes, headings, bold, strikes, spoilers
)
_MARKUP_HINT = re.compile(
    r"[<`*~|>#@\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3]|://|www\."
)
_EN_TOKEN = re.compile(r"([^\W\d_][\w'’+#-]*)|[^\w\s'’+#-]|\d\w*")  # a word, or a break

_EN_STOP = _wordset(  # function words, chat fillers, verbs and adjectives of no topic
    """a about above after again against ago all almost also am an and any anybody anyone
    anything are aren't around as at back be because been before being below between both but
    by can can't cannot could couldn't did didn't do does doesn't doing don't done down each
    either else even ever every few for from further get getting go goes going gone gonna got
    gotta had hadn't has hasn't have haven't having he he'd he'll her here herself him himself
    his how however i i'd i'll i'm i've if im in into is isn't it its itself just know let
    like lot made make many may maybe me might mine more most much must my myself need never
    new next no nor not nothing now of off oh ok okay on once one only or other our ourselves
    out over own per please pretty quite rather re really right said same say see seem shall
    she she'd she'll should shouldn't since so some someone something soon still such sure
    take than thank thanx thx that the their them themselves then there these they they'd
    they'll they're they've thing think this those though through to today tomorrow too u ur
    until up upon us use used very via wanna want was wasn't way we we'd we'll we're we've
    well went were weren't what whatever when where which while who whom whose why will with
    won't would wouldn't yeah yep yes yet two three four five six ten you you'd you'll you're
    you've your yourself yourselves lol lmao lmfao rofl haha hahaha hehe hi hello hey yo gm gn
    ty tysm np pls plz btw imo imho tbh idk omg wow nice cool great good awesome ah uh um hmm
    yay ya yup nope sup everyone folks bit day week anyway actually probably definitely pm
    near far guy found find try tried start started hard fast finally first last second able
    glad happy sorry bad better best little big long high old whole enough less least thought
    wait hope feel felt look looks keep kept come came give gave put tell told ask asked call
    called mean means saw seen sound sounds bring brought stuff kinda sorta literally
    basically totally already always often sometimes usually later work works"""
)
_JA_STOP = _wordset(
    """こと もの ため よう ところ とき 時 方 人 事 中 前 後 今 感じ 皆 皆さん みんな 今日
    明日 昨日 今回 今度 自分 本当 ほんと 大丈夫 了解 よろしく お願い ありがとう お疲れ様
    お疲れ 様 さん いつも ちゃん くん 君 全部 他 ほか 近く 辺り 以外 以上 一 二 三 次 点 件 分 的
    系 感 笑 草 w"""
)
Run = tuple[tuple[str, str], ...]  # (key, surface) pairs of adjacent content words


def _per_text(fn: Callable[[str], _T]) -> Callable[[str], _T]:
    """Memoize a function of one message (the pipeline looks at each several times): 65,536
    entries of texts up to 1,000 characters; longer texts are recomputed."""
    cached = lru_cache(maxsize=65536)(fn)
    _CACHES.append(cached)

    return wraps(fn)(lambda text: cached(text) if len(text) <= 1000 else fn(text))


def clear_caches() -> None:
    """Forget memoized results (for benchmarks and tests)."""
    for cached in [*_CACHES, _en_word]:
        cached.cache_clear()


@_per_text
def strip_markup(text: str) -> str:
    """Drop code, URLs, mentions, channel links, custom and unicode emoji, markdown marks."""
    if _MARKUP_HINT.search(text):
        text = _MARKUP.sub(" ", _FENCE.sub(" ", text) if "```" in text else text)
    return " ".join(text.split())


def detect_language(text: str | Sequence[str]) -> str:
    """Return "ja" if Japanese script dominates the letters of a message (or of a conversation's
    messages: up to 500 characters of each of the first 200), else "en". A Japanese character
    counts as two Latin letters (a Japanese word is about two characters, an English one four
    or five); markup is ignored."""
    clean = strip_markup(text if isinstance(text, str) else " ".join(t[:500] for t in text[:200]))
    if clean.isascii():
        return "en"
    ja = len(_JA.findall(clean))
    return "ja" if ja and 2 * ja >= len(_LETTER.findall(clean)) - ja else "en"


_NOUN, _PREFIX, _SUFFIX = 1, 2, 3
_sudachi_lock = threading.Lock()
_sudachi: dict[str, Any] = {}
_local = threading.local()


def _sudachi_tokenizer() -> tuple[Any, list[int]]:
    """The calling thread's tokenizer and the POS-id -> class table (loaded on first use)."""
    if not hasattr(_local, "tokenizer"):
        with _sudachi_lock:
            if not _sudachi:
                import sudachipy

                _sudachi["dict"] = sudachipy.Dictionary(dict="core")
                _sudachi["classes"] = _pos_classes(_sudachi["dict"])
        _local.tokenizer = _sudachi["dict"].tokenizer(mode="C")  # C: longest compounds
        _local.out = _local.tokenizer.tokenize("")  # a MorphemeList reused for every call
    return _local.tokenizer, _sudachi["classes"]


def _pos_classes(dictionary: Any) -> list[int]:
    """Map every part-of-speech id to noun (not numeral) / prefix / noun-like suffix / other."""
    classes: list[int] = []
    while (pos := dictionary.pos_of(len(classes))) is not None:
        noun = pos[0] == "名詞" and pos[1] not in ("数詞", "助動詞語幹")
        suffix = pos[0] == "接尾辞" and pos[1] == "名詞的"
        classes.append(_NOUN if noun else _PREFIX if pos[0] == "接頭辞" else _SUFFIX * suffix)
    return classes


def _ja_runs(segment: str) -> list[Run]:
    """Noun compounds (a prefix, nouns, noun-like suffixes) of a Japanese segment of at most
    4,000 characters (Sudachi refuses more than 49,149 bytes)."""
    tok, classes = _sudachi_tokenizer()
    compounds: list[list[Any]] = []
    parts: list[Any] = []  # morphemes of the compound being built
    has_noun = False
    for m in tok.tokenize(segment, out=_local.out):
        pos_id = m.part_of_speech_id()
        cls = classes[pos_id] if pos_id < len(classes) else 0
        if (cls == _NOUN and len(parts) < 4) or (cls == _SUFFIX and has_noun):
            parts.append(m)
            has_noun = True
        elif cls == _PREFIX and not parts:
            parts.append(m)
        else:
            compounds += [parts] if has_noun else []
            parts, has_noun = [m] if cls in (_NOUN, _PREFIX) else [], cls == _NOUN
    compounds += [parts] if has_noun else []
    runs: list[Run] = []
    for parts in compounds:
        surface = "".join(m.surface() for m in parts)
        key = "".join(m.normalized_form() for m in parts)
        if _ja_content(surface) and _ja_content(key):
            runs.append(((key, surface),))
    return runs


def _ja_content(word: str) -> bool:
    """A Japanese noun worth keeping: not generic, not a short hiragana function noun."""
    if word in _JA_STOP or not _JA.search(word):
        return False
    return not (len(word) <= 2 and all("\u3040" <= c <= "\u309f" for c in word))


@lru_cache(maxsize=65536)
def _en_word(word: str) -> tuple[str, str] | None:
    """(key, surface) of a typed word: lowercase, no possessive, plural folded ("Starters" ->
    "starter"); None for a stopword or a word too short or too long to be a keyword."""
    w = word.lower().replace("’", "'").strip("'-")
    if w in _EN_STOP or not 2 <= len(w) <= 40:
        return None
    word, w = (word[:-2], w[:-2]) if w.endswith("'s") else (word, w)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "xes", "ches", "shes", "atoes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    return None if w in _EN_STOP or len(w) < 2 else (w, word.strip("'’-"))


def _en_runs(segment: str) -> list[Run]:
    """Runs of adjacent non-stopwords; punctuation, digits and stopwords end a run."""
    runs: list[Run] = []
    run: list[tuple[str, str]] = []
    for word in _EN_TOKEN.findall(segment):
        pair = _en_word(word) if word else None
        if pair:
            run.append(pair)
        elif run:
            runs.append(tuple(run))
            run = []
    return [*runs, tuple(run)] if run else runs


@_per_text
def _runs(text: str) -> tuple[Run, ...]:
    """Content-word runs of one message, cached: the pipeline tokenizes a message many times."""
    clean = strip_markup(text[:4000])  # Discord's own limit; Sudachi refuses > 49,149 bytes
    if clean.isascii():
        return tuple(_en_runs(clean))
    clean = unicodedata.normalize("NFKC", clean)
    runs: list[Run] = []
    pos = 0
    for m in _JA_RUN.finditer(clean):
        runs.extend(_en_runs(clean[pos : m.start()]))
        runs.extend(_ja_runs(m.group()))
        pos = m.end()
    runs.extend(_en_runs(clean[pos:]))
    return tuple(runs)


def tokens(text: str) -> list[str]:
    """Normalized content words of a message, in order. Latin: lowercase, plural-folded,
    stopwords removed. Japanese: nouns and proper nouns via Sudachi, consecutive nouns joined
    (加水+率 -> 加水率), in Sudachi's normalized form. No markup, URLs, code, numbers, emoji."""
    return [key for run in _runs(text) for key, _ in run]


_Pairs = dict[tuple[str, str], int]
_Stats = tuple[dict[str, float], dict[str, int], _Pairs, _Pairs]


def _term_scores(texts: Sequence[str], background: Sequence[str] | None) -> _Stats:
    """Score every content word: spread over messages x IDF x opening bonus x weak-form factor.
    Also returns term counts, adjacent word pairs (phrase candidates) and typed surfaces."""
    tf: dict[str, int] = {}
    df: dict[str, int] = {}
    pairs: _Pairs = {}  # adjacent keys
    other: _Pairs = {}  # (key, surface) where the surface differs
    first: set[str] = set()
    for i, text in enumerate(texts):
        seen: set[str] = set()
        for run in _runs(text):
            prev = ""
            for key, surface in run:
                tf[key] = tf.get(key, 0) + 1
                seen.add(key)
                if surface != key:
                    other[key, surface] = other.get((key, surface), 0) + 1
                if prev:
                    pairs[prev, key] = pairs.get((prev, key), 0) + 1
                prev = key
        for key in seen:
            df[key] = df.get(key, 0) + 1
        if i == 0:
            first = seen
    bg_df = Counter(key for doc in background or () for key in set(tokens(doc)))
    n_bg = len(background or ())
    scores: dict[str, float] = {}
    for key, count in tf.items():
        idf = math.log((n_bg + 1) / (bg_df[key] + 1)) + 1.0 if n_bg else 1.0
        short = len(key) <= (1 if _JA.search(key) else 2)  # and adverbs, participles:
        weak = short or (len(key) > 4 and key.endswith(("ly", "ing", "ed")))
        opening = 1.25 if key in first and len(texts) > 1 else 1.0
        scores[key] = (df[key] + 0.5 * (count - df[key])) * idf * (0.6 if weak else 1) * opening
    return scores, tf, pairs, other


def _display(key: str, tf: dict[str, int], other: _Pairs) -> str:
    """The surface people typed most; ties: lowercase first, then alphabetical."""
    counts = {s: c for (k, s), c in other.items() if k == key}
    counts[key] = tf[key] - sum(counts.values())
    return min(counts, key=lambda s: (-counts[s], s != s.lower(), s))


def ranked_terms(
    texts: Sequence[str], *, background: Sequence[str] | None = None, limit: int = 10
) -> list[tuple[str, str, float]]:
    """The ``limit`` best keyword candidates as (key, display phrase, score), best first. A
    word is shown as a two-word phrase ("sourdough starter") when that pair occurs at least
    twice and covers at least half of the word's occurrences."""
    scores, tf, pairs, other = _term_scores(texts, background)
    seen = {k: i for i, k in enumerate(tf)}  # first occurrence breaks ties
    order = sorted(scores, key=lambda k: (-scores[k], seen[k]))
    by_word: dict[str, list[tuple[int, tuple[str, str]]]] = {}
    for pair, c in ((p, c) for p, c in pairs.items() if c >= 2 and p[0] != p[1]):
        for word in pair:
            by_word.setdefault(word, []).append((c, pair))
    used: set[str] = set()
    chosen: list[tuple[tuple[str, ...], float]] = []
    for key in order:
        if len(chosen) >= limit:
            break
        if key in used:
            continue
        best = [(c, pair) for c, pair in by_word.get(key, ()) if 2 * c >= tf[key]]
        best = [(c, pair) for c, pair in best if not used.intersection(pair)]
        words: tuple[str, ...] = min(best, key=lambda cp: (-cp[0], cp[1]))[1] if best else (key,)
        used.update(words)
        chosen.append((words, scores[key]))
    shown = {k: _display(k, tf, other) for w, _ in chosen for k in w}
    return [(" ".join(w), " ".join(shown[k] for k in w), score) for w, score in chosen]


def keywords(
    texts: Sequence[str], *, top: int = 5, background: Sequence[str] | None = None
) -> list[str]:
    """The ``top`` key phrases of ``texts`` (one text per message), best first. With
    ``background`` (e.g. the week's other conversations, one text each), IDF weighs words
    common everywhere down."""
    return [display for _, display, _ in ranked_terms(texts, background=background, limit=top)]


_JA_Q_END = re.compile(
    r"(?:ですか|ますか|ませんか|でしょうか|ですかね|ますかね|かな|かなぁ|かなあ|かしら|だっけ|っけ)$"
)
_SENTENCE_SPLIT = re.compile(r"[。!\n]+|\.(?:\s+|$)")
_LEADING = _wordset("hey hi hello so ok okay btw also and but um yo guys oh well quick")
_WH = _wordset("what when where who why how which whose whom")
_WH_NEXT = _wordset("is are was were do does did can could should would will about much many")
_WH_NEXT |= _wordset("long often far if time kind else to")
_WH_CONTRACTED = _wordset("what's whats where's when's who's how's why's")
_YOU = "you we i they u y'all anyone anybody people someone somebody"
_AUX_NEXT = dict.fromkeys(_wordset("do did"), _wordset(_YOU))  # "do you", not "do it"
_AUX_NEXT |= dict.fromkeys(
    _wordset("does is are was were can could would will should has have"),
    _wordset(f"{_YOU} it there this that he she ya"),
)
_AUX_NEXT["anyone"] = _wordset("know have got tried else here want wanna")
_AUX_NEXT["any"] = _wordset("idea ideas tips recommendations suggestions thoughts news updates")
_PUNCT = ",.;:!\"“”'()[]*_~-…"


@_per_text
def is_question(text: str) -> bool:
    """True for a message that asks something: "?"/"？", Japanese question endings (ですか,
    ますか, でしょうか, かな, っけ...), or a sentence opening like "how do", "does anyone",
    "can you". URLs and code are ignored, so "?q=1" is not a question."""
    clean = strip_markup(text)
    clean = clean if clean.isascii() else unicodedata.normalize("NFKC", clean)
    if "?" in clean:
        return True
    for sentence in _SENTENCE_SPLIT.split(clean):
        if not sentence.isascii():
            sentence = sentence.rstrip(" 笑〜~…・.、,)")
            if sentence.endswith("w") and _JA.match(sentence.rstrip("w")[-1:]):
                sentence = sentence.rstrip("w")
            if _JA_Q_END.search(sentence):
                return True
        words = [w.strip(_PUNCT).lower().replace("’", "'") for w in sentence.split(None, 6)[:6]]
        while words and words[0] in _LEADING:
            words.pop(0)
        if not words:
            continue
        if words[0] in _WH_CONTRACTED:
            return True
        if len(words) >= 2 and (
            (words[0] in _WH and words[1] in _WH_NEXT) or words[1] in _AUX_NEXT.get(words[0], ())
        ):
            return True
    return False


_CUTS = [re.compile(r"[.!?](?=\s)|[。！？]"), re.compile(r"[,;:](?=\s)|[、，；]|\s[—–-]\s")]
_CUTS.append(re.compile(r"\s"))  # sentence, clause, word


def excerpt(text: str, limit: int = 200) -> str:
    """The message on one line, at most ``limit`` characters, cut at a sentence, clause or
    word boundary in the latter 60% when there is one, "…" appended; code becomes "[code]"."""
    flat = " ".join(_FENCE.sub(" [code] ", text).split())
    if len(flat) <= limit:
        return flat
    if limit <= 1:
        return "…"[:limit]
    window = flat[: limit - 1]
    floor = int(limit * 0.4)
    cut = len(window)
    for pattern in _CUTS:
        ends = [m.end() for m in pattern.finditer(window) if m.end() >= floor]
        if ends:
            cut = ends[-1]
            break
    return window[:cut].rstrip(" ,;:、，；—–-.。") + "…"
