"""An answer from the archive as Markdown: each passage quoted with author, place, time, link.

Quoted text is member text: escaped and defused by :func:`bot.recap.markup.clean` like every
quote in a recap, names by :func:`bot.recap.markup.name` (never a link, never a ping). A
model's answer, when there is one, comes first, as model text (no link at all), with links
to the passages it cites.
"""

from __future__ import annotations

from bot.recap.ask import Answer
from bot.recap.markup import clean, model_text, name

QUOTE = 300


def render_answer(answer: Answer) -> str:
    """The passages, best first; one line saying so when there are none."""
    body = _passages(answer)
    if answer.pending:
        body += (
            f"\n_Still indexing {answer.pending:,} older messages: ask again in a few minutes"
            " to search them too._"
        )
    return body


def _passages(answer: Answer) -> str:
    question = clean(answer.question, answer.labels, 200)
    if not answer.terms:
        return f"_Nothing to look for in “{question}”: ask with a name, a thing or a topic._"
    if not answer.passages:
        words = ", ".join(name(t, None, 40) for t in answer.terms)
        return f"_Nothing you can read mentions {words}._"
    lines = [f"**{question}**", ""]
    if answer.summary:
        numbers = {p.message_id: n for n, p in enumerate(answer.passages, 1)}
        sources = ", ".join(
            f"[{numbers[m]}]({answer.passages[numbers[m] - 1].url})" for m in answer.cited
        )
        lines += [f"{model_text(answer.summary, answer.labels, 500)} (from {sources})", ""]
    for number, passage in enumerate(answer.passages, 1):
        where = answer.labels.channel(passage.channel_id) if answer.labels else "a channel"
        lines.append(
            f"{number}. **{name(passage.author_name, answer.labels, 64)}** in "
            f"#{name(where, None, 64, lead=False)}, {passage.created_at:%Y-%m-%d %H:%M} UTC: "
            f"{clean(passage.text, answer.labels, QUOTE)} · [open]({passage.url})"
        )
    return "\n".join(lines)
