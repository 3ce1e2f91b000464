"""Text helpers: Japanese and English tokens, keywords, questions, excerpts, markup."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.recap.text import (
    clear_caches,
    detect_language,
    excerpt,
    is_question,
    keywords,
    ranked_terms,
    strip_markup,
    tokens,
)

COOKING = [
    "My sourdough starter isn't rising, it's been five days. What hydration should I use?",
    "Is your sourdough starter at 100% hydration? Equal flour and water by weight.",
    "Feed the sourdough starter twice a day with rye flour and keep it warm.",
    "Rye flour made my starter double in six hours, hydration matters less than warmth.",
    "thanks!! trying rye flour tonight",
]


def test_japanese_sentence_gives_content_words_and_is_a_question():
    words = tokens("明日の勉強会は何時からですか？")
    assert "勉強会" in words
    assert not {"の", "は", "から", "です", "か", "？"} & set(words)
    assert is_question("明日の勉強会は何時からですか？")


def test_japanese_nouns_are_joined_into_compounds_and_normalized():
    assert "加水率" in tokens("サワードウのスターター、加水率は75%くらいです。")
    assert "東京駅" in tokens("東京駅の近くでおすすめのカフェ")
    # half-width katakana is normalized, so both spellings give the same word
    assert tokens("ｻﾜｰﾄﾞｳを焼いた") == tokens("サワードウを焼いた") == ["サワードウ"]


def test_japanese_function_nouns_and_verbs_are_not_content_words():
    assert tokens("ありがとうございます") == []
    assert tokens("こと もの ため") == []
    assert tokens("走ります") == []


def test_english_tokens_are_lowercase_plural_folded_without_stopwords():
    assert tokens("My Sourdough starters aren't rising") == ["sourdough", "starter", "rising"]
    assert tokens("The recipes and the recipe") == ["recipe", "recipe"]
    assert tokens("Bob's bike") == ["bob", "bike"]
    assert tokens("lol ok thanks, see you tomorrow") == []


def test_mixed_text_keeps_both_scripts():
    words = tokens("Pythonの非同期処理でasyncioを使っています")
    assert words == ["python", "非同期処理", "asyncio"]


def test_markup_never_becomes_a_token():
    text = (
        "<@123456789> check https://example.com/recipe?id=42 <:pog:98765> 🔥 `code_here` "
        "<#456> <@&789> <t:1700000000:R> **bold** ||spoiler|| ```py\nsecret_var = 1\n```"
    )
    assert strip_markup(text) == "check bold spoiler"
    assert tokens(text) == ["check", "bold", "spoiler"]


def test_cooking_keywords_are_the_topic():
    top = keywords(COOKING, top=4)
    assert top[0] == "sourdough starter"
    assert {"rye flour", "hydration"} <= set(top)
    assert not {"thanks", "it's", "been", "should"} & {w for k in top for w in k.split()}


def test_keywords_show_the_spelling_people_used():
    top = keywords(["Python asyncio is neat", "I use Python daily", "python3? no, Python"], top=1)
    assert top == ["Python"]


def test_background_demotes_words_common_everywhere():
    texts = ["concert about pottery", "concert and pottery glaze"]
    assert keywords(texts, top=1) == ["concert"]  # a tie, broken by first occurrence
    background = ["concert notes", "weekly concert", "concert moved", "pottery class"]
    assert keywords(texts, top=1, background=background) == ["pottery"]


def test_mixed_conversation_keywords():
    texts = [
        "Pythonのasyncioでエラーが出ます",
        "asyncioのイベントループが止まる",
        "Python 3.11 has asyncio TaskGroup",
        "イベントループの中でsleepしていませんか？",
    ]
    top = keywords(texts, top=3)
    assert top[0] == "asyncio"
    assert "イベントループ" in top


def test_ranked_terms_are_deterministic_and_scored():
    first = ranked_terms(COOKING)
    clear_caches()
    assert ranked_terms(COOKING) == first
    scores = [score for _, _, score in first]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("明日の勉強会は何時からですか？", "ja"),
        ("Pythonの非同期処理でasyncioを使っています", "ja"),
        ("Anyone up for a hike on Sunday?", "en"),
        ("lol 草", "en"),
        ("<@123> https://example.com 🔥", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_detect_language_of_a_conversation():
    assert detect_language(["おはようございます", "ok", "今日は雨ですね"]) == "ja"
    assert detect_language(["hello there", "how is the weather today", "晴れ"]) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "what time?",
        "明日来れる？",
        "明日来れますか",
        "雨かな",
        "どうでしょうか",
        "あれ、集合場所どこだっけw",
        "how do I fix this",
        "Does anyone know a good recipe",
        "hey, can you send the link",
        "What's the plan",
        "Anyone know where the slides are",
        "ok. should we move it to Sunday",
    ],
)
def test_questions(text):
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "what a day",
        "When I was young we baked every week",
        "Will do.",
        "Do it now",
        "see https://example.com/search?q=bread",
        "run `x = a ? b : c` for that",
        "行くよ",
        "ありがとうございます！",
        "How cool is that!",
        "",
    ],
)
def test_not_questions(text):
    assert not is_question(text)


def test_excerpt_keeps_short_text_on_one_line():
    assert excerpt("  hello\n\nworld  ") == "hello world"


def test_excerpt_cuts_at_a_sentence_boundary():
    text = "The starter doubled overnight. " * 4 + "Then I fed it again with rye and it rose more."
    cut = excerpt(text, 100)
    assert len(cut) <= 100 and cut.endswith("overnight…")


def test_excerpt_cuts_at_a_clause_then_a_word():
    clauses = "first we mix the flour, then the water, " * 5
    cut = excerpt(clauses, 60)
    assert len(cut) <= 60 and cut.endswith(("water…", "flour…"))
    words = "word " * 40
    assert excerpt(words, 23) == "word word word word…"


def test_excerpt_cuts_japanese_at_the_full_stop_or_hard():
    text = "今日はパンを焼きました。" * 20
    cut = excerpt(text, 50)
    assert len(cut) <= 50 and cut.endswith("焼きました…")
    assert excerpt("あ" * 300, 50) == "あ" * 49 + "…"


def test_excerpt_replaces_code_blocks():
    assert excerpt("look:\n```py\nprint(1)\n```\nworks") == "look: [code] works"


def test_tokens_are_the_same_from_many_threads():
    texts = [f"明日の勉強会{i}回目はオンラインで開催します" for i in range(200)]
    clear_caches()
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(tokens, texts))
    clear_caches()
    assert parallel == [tokens(t) for t in texts]
    assert all("勉強会" in words for words in parallel)


def test_very_long_messages_are_tokenized_without_error():
    words = tokens("勉強会の資料です。" * 2000)  # 18,000 characters
    assert words and set(words) == {"勉強会", "資料"}
