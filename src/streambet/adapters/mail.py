"""Mail adapters for the Mailer port (services/accounts.py). No SMTP yet: `log` writes
each message to the log (an operator can forward it), `record` keeps them in memory (tests,
and a deployment that wants none sent)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

log = logging.getLogger("streambet.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class LogMailer:
    def send(self, to: str, subject: str, body: str) -> None:
        log.info("mail", extra={"to": to, "subject": subject, "body": body})


class RecordingMailer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[Mail] = []

    def send(self, to: str, subject: str, body: str) -> None:
        with self._lock:
            self.sent.append(Mail(to, subject, body))
