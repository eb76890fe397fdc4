"""WeChat adapter. A real backend would send a WeChat Official Account (公众号) template or
customer-service message to the customer's openid through the platform API (access token,
`message/template/send`); it implements `WeChatBackend.send` and is named in
settings.MANYI_WECHAT_BACKEND. This machine cannot reach WeChat, so the console and file
backends are what runs here, and the memory backend is for tests."""

from __future__ import annotations

import json
import sys
import threading
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class WeChatBackend(Protocol):
    def send(self, *, openid: str, text: str) -> None: ...


class ConsoleWeChatBackend:
    """Prints each message to standard output."""

    def send(self, *, openid: str, text: str) -> None:
        sys.stdout.write(f"[WeChat to {openid}] {text}\n")
        sys.stdout.flush()


class FileWeChatBackend:
    """Appends each message as a JSON line to settings.MANYI_WECHAT_FILE_PATH."""

    _lock = threading.Lock()

    def send(self, *, openid: str, text: str) -> None:
        line = json.dumps(
            {"openid": openid, "text": text, "at": timezone.now().isoformat()},
            ensure_ascii=False,
        )
        with self._lock, open(settings.MANYI_WECHAT_FILE_PATH, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class MemoryWeChatBackend:
    """Keeps messages in memory (tests)."""

    outbox: list[dict[str, str]] = []

    def send(self, *, openid: str, text: str) -> None:
        MemoryWeChatBackend.outbox.append({"openid": openid, "text": text})


def get_wechat_backend() -> WeChatBackend:
    path = getattr(
        settings, "MANYI_WECHAT_BACKEND", "manyi.notifications.wechat.ConsoleWeChatBackend"
    )
    backend: WeChatBackend = import_string(path)()
    return backend
