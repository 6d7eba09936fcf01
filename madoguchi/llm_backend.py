"""The OpenAI-compatible LLM backend over aiohttp: the triage's one network edge.

It implements :class:`madoguchi.chatbot.llm.LlmBackend` and lives outside ``madoguchi/chatbot`` so that the
triage engine stays free of network libraries (the layer contract in ``pyproject.toml`` checks that). The
composition root (``app.py``) and the ``madoguchi triage`` command plug it in when
``MADOGUCHI_LLM_BASE_URL`` is set.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from madoguchi.chatbot.llm import ChatMessage, LlmError
from madoguchi.settings import Settings


class OpenAiCompatibleBackend:
    """``POST {base_url}/chat/completions`` as vLLM, Ollama, llama.cpp server and Azure OpenAI speak it.

    ``base_url`` is the API prefix (``http://127.0.0.1:8000/v1``); a query string in it (Azure's
    ``?api-version=...``) is kept after the path. The key goes as ``Authorization: Bearer`` and, for Azure,
    also as ``api-key``.
    """

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 8.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"MADOGUCHI_LLM_BASE_URL must be an http(s) URL, not {base_url!r}")
        path = parts.path.rstrip("/") + "/chat/completions"
        self.url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        self.model = model
        self.timeout = timeout
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
            self._headers["api-key"] = api_key
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAiCompatibleBackend | None:
        if not settings.llm_base_url:
            return None
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(settings.llm_base_url, settings.llm_model, api_key=key, timeout=settings.llm_timeout)

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int = 400) -> str:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        body = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": 0,
            "max_tokens": max_tokens,
            "stream": False,
        }
        try:
            async with asyncio.timeout(self.timeout):
                async with self._session.post(self.url, json=body, headers=self._headers) as response:
                    if response.status != 200:
                        raise LlmError(f"HTTP {response.status}")
                    data: Any = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LlmError(f"{type(exc).__name__}: {exc}") from exc
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LlmError("no choices[0].message.content in the answer") from exc
        if not isinstance(content, str):
            raise LlmError("content is not text")
        return content

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
