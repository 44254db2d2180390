"""An engine for any OpenAI-compatible chat completions endpoint (vLLM, Ollama, llama.cpp, a hosted API).

The prompt numbers the Russian sentences and asks for the same numbered lines in English. When the
reply has a different number of lines the batch is retried one sentence at a time, so a chatty model
cannot shift sentences against their sources. Transient failures (timeouts, 429, 5xx) are retried
with exponential backoff.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from typing import Any

import httpx

from dragoman.errors import ConfigError, TranslateError, first_line
from dragoman.translate.engine import BatchOutput

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
SYSTEM_PROMPT = (
    "You are a professional translator of Russian news into English. Translate each numbered Russian "
    "sentence into English. Reply with exactly the same number of lines, each starting with its number "
    "and a period, in the same order, and nothing else. Keep names, numbers and dates exact."
)
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s*(.*)$")


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_batch_sentences: int = 16,
        temperature: float = 0.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not model:
            raise ConfigError("the openai engine needs --model NAME (the model the endpoint serves)")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.model_id = f"openai:{model}"
        self.retries = retries
        self.backoff = backoff
        self.max_batch_sentences = max_batch_sentences
        self.temperature = temperature
        self.parallelism = 2
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Any, *, model: str | None = None, **options: Any) -> OpenAIEngine:
        options.pop("device", None)
        options.pop("beam_size", None)
        base_url = options.pop("base_url", None) or os.environ.get("DRAGOMAN_OPENAI_BASE_URL", DEFAULT_BASE_URL)
        api_key = (
            options.pop("api_key", None)
            or os.environ.get("DRAGOMAN_OPENAI_API_KEY")
            or os.environ.get("OPENAI_API_KEY")
        )
        model = model or os.environ.get("DRAGOMAN_OPENAI_MODEL")
        return cls(model or "", base_url=base_url, api_key=api_key, **options)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # Roughly what LLM tokenizers give for Russian: a token per three characters.
        return [max(1, len(t) // 3) for t in texts]

    def translate_batch(self, texts: Sequence[str]) -> BatchOutput:
        targets: list[str] = []
        for start in range(0, len(texts), self.max_batch_sentences):
            chunk = list(texts[start : start + self.max_batch_sentences])
            lines = self._translate_lines(chunk)
            if lines is None:
                # The model merged or split lines: one request per sentence keeps the alignment exact.
                lines = []
                for text in chunk:
                    single = self._translate_lines([text])
                    lines.append(single[0] if single else "")
            targets.extend(lines)
        return BatchOutput(targets, sum(len(t.split()) for t in targets))

    def _translate_lines(self, texts: list[str]) -> list[str] | None:
        numbered = "\n".join(f"{i}. {' '.join(t.split())}" for i, t in enumerate(texts, start=1))
        payload = {
            "model": self.model,
            "temperature": self.temperature,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": numbered},
            ],
        }
        reply = self._post(payload)
        lines = [line for line in reply.splitlines() if line.strip()]
        if len(lines) != len(texts):
            return None
        out: list[str] = []
        for expected, line in enumerate(lines, start=1):
            match = _NUMBERED.match(line)
            if match is None:
                if len(texts) == 1:
                    out.append(line.strip())
                    continue
                return None
            if int(match.group(1)) != expected:
                return None
            out.append(match.group(2).strip())
        return out

    def _post(self, payload: dict[str, Any]) -> str:
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.client.post("/chat/completions", json=payload)
            except httpx.TimeoutException:
                last_error = "timed out"
                continue
            except httpx.TransportError as exc:
                last_error = f"cannot connect ({first_line(exc)})"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last_error = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise TranslateError(
                    f"translation endpoint {self.base_url} refused the request: HTTP {response.status_code}"
                    f" {response.text[:200].strip()}",
                    reason="endpoint",
                )
            try:
                return str(response.json()["choices"][0]["message"]["content"] or "")
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise TranslateError(
                    f"translation endpoint {self.base_url} sent a reply that is not a chat completion",
                    reason="endpoint",
                ) from exc
        raise TranslateError(
            f"translation endpoint {self.base_url} failed after {_tries(self.retries + 1)}: {last_error}",
            reason="endpoint",
        )

    def close(self) -> None:
        self.client.close()


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"
