"""SMS adapter. A real gateway (Aliyun, Tencent Cloud) implements `SmsBackend.send`; this
machine cannot reach one, so the console and file backends are what runs here."""

from __future__ import annotations

import json
import sys
import threading
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class ConsoleSmsBackend:
    """Prints each message to standard output."""

    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {to}] {text}\n")
        sys.stdout.flush()


class FileSmsBackend:
    """Appends each message as a JSON line to settings.MANYI_SMS_FILE_PATH."""

    _lock = threading.Lock()

    def send(self, *, to: str, text: str) -> None:
        line = json.dumps(
            {"to": to, "text": text, "at": timezone.now().isoformat()}, ensure_ascii=False
        )
        with self._lock, open(settings.MANYI_SMS_FILE_PATH, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class MemorySmsBackend:
    """Keeps messages in memory (tests)."""

    outbox: list[dict[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        MemorySmsBackend.outbox.append({"to": to, "text": text})


def get_sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.MANYI_SMS_BACKEND)()
    return backend
