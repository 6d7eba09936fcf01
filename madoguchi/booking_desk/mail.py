"""E-mail to residents who left an address: the booking, a reminder, a cancelled boat. Always with the .ics.

Why a Protocol with one real implementation: the desk only needs "send this message"; the SMTP server is the
town's own (``MADOGUCHI_SMTP_*``), and when none is configured nothing is sent and nothing else changes.
smtplib is blocking, so sending runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from madoguchi.settings import Settings


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    def __init__(
        self, *, host: str, port: int, sender: str, username: str | None, password: str | None, starttls: bool
    ):
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password, self._starttls = username, password, starttls

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer | None:
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )

    async def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._username and self._password:
                smtp.login(self._username, self._password)
            smtp.send_message(message)


def message(*, to: str, subject: str, body: str, ics: str, code: str) -> EmailMessage:
    mail = EmailMessage()
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    mail.add_attachment(
        ics.encode("utf-8"),
        maintype="text",
        subtype="calendar",
        filename=f"booking-{code}.ics",
        params={"method": "PUBLISH"},
    )
    return mail
