"""What a conversation settled, and what it asked of someone: offline rules, English and Japanese.

A *decision* is a message that states what the group agreed ("let's do Saturday", "decided:
…", "we're going with …", "plan for tomorrow: …", 「土曜日にしましょう」「決まり」) or a concrete
commitment by its writer ("I'll bring the pan", 「餃子を持っていきます」). Questions and hedged
proposals ("maybe Saturday?", "what if we…") are not decisions.

An *ask* is a message that addresses someone (a user mention) and asks them something or asks
them to do something: a question, or a request ("can you…", "please…", 「お願い」「ください」).

Both are precision-first (a recap that lists a "decision" nobody made misleads): measured on
a labelled set in ``bench/decisions.py``.
"""

from __future__ import annotations

import re

from bot.recap.text import is_question, strip_markup

_AGREED = re.compile(
    r"(?i)\b(?:let'?s (?:do|go with|go for|pick|say|meet|make it|book|order|use|start|keep)"
    r"|(?:we )?decided\b|it'?s (?:settled|decided|a plan|a date)|settled on"
    r"|we(?:'re| are) (?:going with|doing|meeting)|(?:we'?ll|we will) (?:go with|do|meet|use)"
    r"|agreed\b|final(?:ly)? (?:answer|plan|decision)|plan for (?:today|tonight|tomorrow|\w+day)"
    r"|(?:ok|okay|alright|then)[,!]? (?:\w+ ){0,3}(?:it is|first|then)\b)"
    r"|^(?:\w+\s){0,2}\w+ it is\b"  # "Small ones it is", "Lake trail it is"
)
_COMMIT = re.compile(
    r"(?i)\b(?:i'?ll|i will|i can|i'm going to|i am going to) (?:bring|make|host|book|order"
    r"|cook|bake|take care of|handle|send|pick up|set up|buy|print|reserve|drive|organi[sz]e"
    r"|prepare|share|post|upload|do the|drop (?:it|them) off|come (?:at|early|by)|help)\b"
)
_AGREED_JA = re.compile(
    r"(?:にしましょう|にしよう|で決まり|に決まり|決まりです|決まりました|決定|決めました"
    r"|で行きましょう|でいきましょう|(?:じゃあ|では|それでは).*ましょう)"
)
_COMMIT_JA = re.compile(r"(?:持って(?:い|行)きます|用意します|予約します|担当します|作ります)")
_HEDGE = re.compile(
    r"(?i)\b(?:maybe|perhaps|what if|how about|what about|should we|could we|proposal"
    r"|propose|suggest(?:ion)?)\b|今日の一文"
)
_REQUEST = re.compile(
    r"(?i)\b(?:can|could|would|will) you\b|\bplease\b|\bpls\b|\bmind (?:if|doing)\b"
    r"|お願い|ください|下さい|もらえ|くれる|くれない"
)
_SENTENCES = re.compile(r"(?<=[.!?。！？\n])\s*")


def is_decision(text: str) -> bool:
    """Whether a message states a decision or a commitment (see the module doc): one of its
    sentences does, and is not a question; nothing in the message hedges it."""
    clean = strip_markup(text)
    if not clean.strip() or _HEDGE.search(clean):
        return False
    for sentence in _SENTENCES.split(clean):
        if not sentence.strip() or sentence.rstrip().endswith(("?", "？")):
            continue
        if _AGREED.search(sentence) or _COMMIT.search(sentence):
            return True
        if _AGREED_JA.search(sentence) or _COMMIT_JA.search(sentence):
            return True
    return False


def is_ask(text: str, mentioned_users: int) -> bool:
    """Whether a message that mentions ``mentioned_users`` people asks something of them."""
    if mentioned_users <= 0:
        return False
    clean = strip_markup(text)
    return is_question(text) or _REQUEST.search(clean) is not None
