"""Background work of the open data layer: turning changes into webhook deliveries, each try of a
delivery, and the e-mail that says an endpoint was disabled. Tasks take ids and are safe to run twice."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import changes, jobs
from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.core.mail import deliver
from parvis.network.models import Organizer, Role

from . import webhooks
from .models import Delivery, Endpoint

FOLLOWER = webhooks.FOLLOWER


@task()
def webhooks_dispatch() -> int:
    """Turn the changes not yet read into deliveries (run twice: the second finds nothing new)."""
    return dispatch()


@task()
def webhook_deliver(*, delivery_id: int) -> None:
    """One try of a delivery, if it is still waiting and its endpoint active; the next try is set, or the
    administrators told that the endpoint was disabled. Run twice: a delivered one is not sent again."""
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != Delivery.State.PENDING or not delivery.endpoint.is_active:
        return
    ok, disabled = webhooks.attempt(delivery)
    with transaction.atomic():
        if not ok and delivery.state == Delivery.State.PENDING and not disabled:
            later(delivery, delivery.next_attempt_at)
        if disabled:
            enqueue_on_commit(send_webhook_disabled, endpoint_id=delivery.endpoint_id)


@task()
def send_webhook_disabled(*, endpoint_id: int) -> None:
    endpoint = Endpoint.objects.filter(pk=endpoint_id, is_active=False).first()
    if endpoint is None:
        return  # enabled again meanwhile: nothing to say
    organizer = Organizer.objects.get(pk=endpoint.organizer_id)
    users = (
        get_user_model()
        .objects.filter(
            is_active=True, organizer_roles__organizer=organizer, organizer_roles__role=Role.ADMINISTRATOR
        )
        .exclude(email="")
    )
    url = settings.PARVIS_BASE_URL + reverse("staff:webhooks", args=[organizer.slug])
    with translation.override(settings.LANGUAGE_CODE):
        deliver(
            EmailMessage(
                _("Webhook désactivé — %(organizer)s") % {"organizer": organizer.name},
                _(
                    "Bonjour,\n\nLe webhook %(url)s n'a reçu aucune livraison depuis un jour d'essais : "
                    "il est désactivé (%(reason)s).\nLes événements en attente sont gardés. Réactivez-le "
                    "et relancez les livraisons depuis : %(page)s\n"
                )
                % {"url": endpoint.url, "reason": endpoint.disabled_reason, "page": url},
                None,
                sorted({u.email for u in users}),
            )
        )


def dispatch() -> int:
    made = []

    def handle(batch):
        for delivery in webhooks._fan_out(batch):
            made.append(delivery)
            enqueue_on_commit(webhook_deliver, delivery_id=delivery.pk)

    changes.consume(FOLLOWER, handle)
    return len(made)


def later(delivery: Delivery, when: datetime.datetime) -> None:
    """The next try at `when`; a backend that cannot wait (the tests' immediate one) is not given it."""
    if webhook_deliver.get_backend().supports_defer:
        enqueue_on_commit(webhook_deliver.using(run_after=when), delivery_id=delivery.pk)


def replay(*, actor, delivery: Delivery) -> None:
    """Deliver again, now, whatever became of it (the same message id: the receiver may know it)."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=Delivery.State.PENDING, next_attempt_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="webhook.replay",
            instance=delivery.endpoint,
            organizer_id=delivery.endpoint.organizer_id,
            after={"message": delivery.message_id},
        )
        enqueue_on_commit(webhook_deliver, delivery_id=delivery.pk)


class WebhookFollower(changes.Follower):
    def wake(self) -> None:
        # Nobody listening: nothing to prepare (an endpoint made later starts from the feed's head then).
        after = settings.PARVIS_ANALYTICS_SETTLE_AFTER_S
        if (
            after > 0
            and webhooks_dispatch.get_backend().supports_defer
            and Endpoint.objects.filter(is_active=True).exists()
        ):
            when = timezone.now() + datetime.timedelta(seconds=min(after, 1.0))
            enqueue_on_commit(webhooks_dispatch.using(run_after=when))


def follow_changes() -> None:
    changes.followers.register("webhooks", WebhookFollower())


def _about(kwargs: dict):
    delivery = Delivery.objects.select_related("endpoint").filter(pk=kwargs.get("delivery_id")).first()
    return (delivery.endpoint.organizer_id, delivery.endpoint.url) if delivery else (None, "")


jobs.policy(webhooks_dispatch, tries=3, label=gettext_lazy("Webhooks : préparation des envois"))
jobs.policy(webhook_deliver, tries=3, label=gettext_lazy("Webhooks : livraison"), about=_about)
jobs.policy(send_webhook_disabled, label=gettext_lazy("Webhooks : avis de désactivation"))
