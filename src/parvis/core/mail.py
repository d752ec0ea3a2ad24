"""A development e-mail backend that keeps messages in the database for the outbox page."""

from django.core.mail.backends.base import BaseEmailBackend

from .models import OutboxMessage


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = content
            OutboxMessage.objects.create(
                subject=message.subject,
                from_email=message.from_email,
                to=", ".join(message.recipients()),
                body=message.body,
                html_body=html,
                message=message.message().as_string(),
            )
        return len(email_messages)
