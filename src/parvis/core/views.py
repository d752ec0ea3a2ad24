"""The development outbox: e-mails that the demo "sent", readable in the browser."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from .models import OutboxMessage


def _require_outbox():
    if not settings.PARVIS_DEV_OUTBOX:
        raise Http404


def outbox_list(request):
    _require_outbox()
    return render(request, "core/outbox_list.html", {"messages_sent": OutboxMessage.objects.all()[:200]})


def outbox_detail(request, pk: int):
    _require_outbox()
    return render(request, "core/outbox_detail.html", {"mail": get_object_or_404(OutboxMessage, pk=pk)})
