"""Does an OpenAI-compatible endpoint answer? (``hearth doctor``)"""

from __future__ import annotations

import openai

from bot.settings import public_host


async def probe_endpoint(api_key: str, base_url: str | None, model: str) -> tuple[str, str]:
    """("ok"|"warn"|"fail", why) for ``hearth doctor``: does ``GET /models`` answer, and
    list ``model``? Host and port only in the answer, never a key or a URL's credentials."""
    client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=10, max_retries=0)
    where = public_host(str(client.base_url))
    try:
        models = [m.id async for m in client.models.list()]
    except openai.APIStatusError as exc:
        return "fail", f"the model endpoint {where} answered HTTP {exc.status_code}"
    except openai.APIError as exc:
        return "fail", f"the model endpoint {where} does not answer ({type(exc).__name__})"
    finally:
        await client.close()
    if models and model not in models:
        return "warn", f"{where} answers but lists no model {model!r} (HEARTH_MODEL)"
    return "ok", f"{where} answers; model {model}"
