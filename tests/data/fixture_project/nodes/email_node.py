"""Nodes with blocking I/O behind sync helpers (fixture)."""

import smtplib
import time as t


def _send_mail(host, message):
    with smtplib.SMTP(host) as smtp:
        smtp.send_message(message)


def send_with_retry(host, message):
    _send_mail(host, message)


class SendEmailNode:
    async def execute(self, context):
        send_with_retry(context.host, context.message)
        return {"ok": True}


class WaitNode:
    async def execute(self, context):
        t.sleep(context.seconds)
