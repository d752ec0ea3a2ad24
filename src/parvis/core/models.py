from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Presented(models.Model):
    """Something offered to the public (a pass, a membership programme, a subscription): its name and its
    presentation in French, and in English when given (shown in the visitor's language)."""

    name = models.CharField(_("nom"), max_length=120)
    name_en = models.CharField(_("nom (anglais)"), max_length=120, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    description_en = models.TextField(_("présentation (anglais)"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        return self.name_en if translation.get_language() == "en" and self.name_en else self.name

    @property
    def localized_description(self) -> str:
        if translation.get_language() == "en" and self.description_en:
            return self.description_en
        return self.description


# What the staff read for the actions of the audit log (the code stays beside it, for precision).
ACTION_LABELS = {
    "order.place": _("Commande passée"),
    "order.paid": _("Commande payée"),
    "order.refund": _("Remboursement"),
    "order.cancel": _("Commande annulée"),
    "order.self_cancel": _("Annulée par l'acheteur"),
    "order.auto_refund": _("Remboursement automatique (paiement arrivé trop tard)"),
    "market.create": _("Marché professionnel créé"),
    "market.apply": _("Demande d'accréditation"),
    "market.approve": _("Accréditation acceptée"),
    "market.refuse": _("Accréditation refusée"),
    "market.more_info": _("Complément demandé au candidat"),
    "market.complete": _("Complément envoyé par le candidat"),
    "market.accredit": _("Accréditation payée, badge émis"),
    "market.pack_name": _("Badge nommé sur un lot"),
    "market.cancel": _("Accréditation annulée"),
    "market.stand_book": _("Stand réservé"),
    "market.stand_cancel": _("Réservation de stand annulée"),
    "market.staff_badge": _("Badge d'équipe d'exposant"),
    "market.session": _("Rencontre du marché créée"),
    "market.session_capacity": _("Jauge d'une rencontre changée"),
    "market.schedule": _("Rendez-vous placés"),
    "market.no_show_clear": _("Absence à un rendez-vous retirée"),
    "market.no_show": _("Absence à un rendez-vous"),
    "group.request": _("Demande de réservation de groupe"),
    "group.confirm": _("Réservation de groupe confirmée"),
    "group.propose": _("Autre date proposée au groupe"),
    "group.refuse": _("Demande de groupe refusée"),
    "group.cancel": _("Réservation de groupe annulée"),
    "group.arrival": _("Arrivée du groupe"),
    "group.no_show": _("Groupe noté absent"),
    "group.invoice": _("Facture de groupe"),
    "group.paid": _("Facture de groupe payée"),
    "group.references": _("Références du groupe"),
    "online.content": _("Contenu en ligne modifié"),
    "online.revoke": _("Accès en ligne révoqué"),
    "online.renew": _("Nouveau lien d'accès en ligne"),
    "seating.on_sale": _("Date mise en vente en placement numéroté"),
    "seating.seat_change": _("Place changée"),
    "seating.keep": _("Places gardées"),
    "seating.release": _("Places gardées remises en vente"),
    "seating.quality": _("Qualité des places changée"),
    "inspector.access": _("Consultation par le contrôle fiscal"),
    "show_tax.body": _("Organisme de la taxe sur les spectacles"),
    "show_tax.performance": _("Taxe sur les spectacles d'une représentation"),
    "show_tax.profile": _("Exonération ASTP de la structure"),
    "accounting.chart": _("Plan de comptes de l'export comptable"),
    "rights.takings": _("Recettes annexes d'une représentation (SACEM)"),
    "vat.rates_applied": _("Taux de TVA des dates à venir alignés"),
    "vat.settings": _("Règles de TVA d'un spectacle ou d'un lieu"),
    "self_billing.payment": _("Paiement d'une autofacture au membre"),
    "ticket.exchange": _("Billet échangé"),
    "payment.failed": _("Paiement échoué"),
    "payment.attempt_failed": _("Tentative de paiement refusée"),
    "voucher.issue": _("Bon cadeau émis"),
    "voucher.extend": _("Bon cadeau prolongé"),
    "boxoffice.sale": _("Vente au guichet"),
    "pass.book": _("Réservation avec un pass"),
    "pass.issue": _("Pass émis"),
    "membership.issue": _("Adhésion émise"),
    "membership.cancel": _("Adhésion annulée"),
    "subscription.issue": _("Abonnement émis"),
    "subscription.exchange": _("Date d'abonnement échangée"),
    "organizer.update": _("Réglages modifiés"),
    "terms.publish": _("Conditions de vente publiées"),
    "staff.grant": _("Rôle donné"),
    "staff.revoke": _("Rôle retiré"),
    "event.create": _("Évènement créé"),
    "event.update": _("Évènement modifié"),
    "performance.create": _("Date créée"),
    "performance.update": _("Date modifiée"),
    "tariff.create": _("Tarif créé"),
    "tariff.update": _("Tarif d'une date modifié"),
    "price.create": _("Tarif de l'évènement créé"),
    "price.update": _("Tarif de l'évènement modifié"),
    "event.duplicate": _("Évènement dupliqué"),
    "quota.create": _("Quota créé"),
    "quota.capacity": _("Jauge modifiée"),
    "promo.create": _("Code promo créé"),
    "promo.deactivate": _("Code promo désactivé"),
    "slots.create": _("Créneaux horaires créés"),
    "boxoffice.drawer_create": _("Caisse ajoutée"),
    "checkin.conflict_review": _("Conflit de contrôle examiné"),
    "checkin.device_create": _("Appareil de contrôle appairé"),
    "checkin.device_revoke": _("Appareil de contrôle retiré"),
    "checkin.gate_create": _("Entrée de contrôle créée"),
    "checkin.list_create": _("Liste de contrôle créée"),
    "campaign.create": _("Campagne créée"),
    "campaign.change": _("Campagne modifiée"),
    "campaign.schedule": _("Campagne programmée"),
    "campaign.cancel": _("Campagne annulée"),
    "campaign.test": _("Envoi de test d'une campagne"),
    "campaign.domain": _("Domaine d'envoi ajouté"),
    "campaign.policy": _("Règles d'envoi modifiées"),
    "reco.policy": _("Réglages des recommandations modifiés"),
    "campaign.exclude": _("Adresses exclues des campagnes"),
    "campaign.unexclude": _("Adresse de nouveau permise aux campagnes"),
    "journey.create": _("Parcours créé"),
    "journey.start": _("Parcours démarré"),
    "journey.stop": _("Parcours arrêté"),
    "journey.update": _("Parcours modifié"),
    "journey.steps": _("Étapes d'un parcours modifiées"),
    "crm.correct": _("Fiche corrigée"),
    "crm.erase": _("Données personnelles effacées"),
    "crm.household": _("Foyer modifié"),
    "crm.merge": _("Fiches fusionnées"),
    "crm.merge_undo": _("Fusion annulée"),
    "festival.selection": _("Sélection du festival modifiée"),
    "network.feature": _("Mis à la une du réseau"),
    "network.unfeature": _("Retiré de la une du réseau"),
    "pass.cancel_entry": _("Réservation de pass annulée"),
    "pass.create": _("Pass créé"),
    "space.create": _("Salle créée"),
    "totp.enrol": _("Double authentification activée"),
    "venue.create": _("Lieu créé"),
    "crm.retention": _("Données effacées (durée de conservation échue)"),
    "checkin.list_change": _("Liste de contrôle modifiée"),
    "membership_program.create": _("Programme d'adhésion créé"),
    "membership_level.create": _("Formule d'adhésion créée"),
    "subscription_offer.create": _("Formule d'abonnement créée"),
    "venue.update": _("Lieu modifié"),
    "webhook.create": _("Webhook ajouté"),
    "webhook.rotate": _("Secret d'un webhook changé"),
    "webhook.enable": _("Webhook réactivé"),
    "webhook.disable": _("Webhook désactivé après des échecs"),
    "webhook.replay": _("Livraison d'un webhook relancée"),
}


class AuditLogEntry(models.Model):
    """Who changed what and when, with the values before and after. Rows are never updated."""

    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(_("auteur (texte)"), max_length=200, blank=True)
    # Scope: the organizer and/or network whose administrators may read the entry.
    organizer = models.ForeignKey(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    network = models.ForeignKey(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("type d'objet"), max_length=80)
    object_id = models.CharField(_("identifiant"), max_length=64)
    object_repr = models.CharField(_("objet"), max_length=200)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organizer", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class OutboxMessage(models.Model):
    """An e-mail kept by the development outbox backend instead of being sent."""

    created_at = models.DateTimeField(auto_now_add=True)
    subject = models.CharField(max_length=998)
    from_email = models.CharField(max_length=320)
    to = models.TextField()
    body = models.TextField()
    html_body = models.TextField(blank=True)
    message = models.TextField(help_text="The whole MIME message.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class WorkerBeat(models.Model):
    """A task worker's sign of life, renewed while it runs (a task included): a task claimed by a worker
    whose sign is older than the lease is run again by another (`core.jobs`)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    # While the service a task needs is out of reach (the mail relay, the database), the worker waits
    # instead of spending the task's tries: until when, and why.
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"


class SentMail(models.Model):
    """An e-mail a task handed to the relay and the relay accepted: a run of the same task again (after its
    worker died) finds it here and does not send a second copy."""

    key = models.CharField(max_length=120, unique=True)  # "<task id>:<n-th message of the task>"
    message_id = models.CharField(max_length=255)
    accepted = models.PositiveSmallIntegerField(default=0)  # recipients the relay accepted
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.message_id


class MailBounce(models.Model):
    """An address the mail relay refused for good (an SMTP 5xx answer): shown on the contacts that hold it;
    the e-mail is not tried again."""

    address = models.EmailField(db_index=True)
    code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.address} ({self.code})"


class FailedJob(models.Model):
    """Background work that failed for good (its last try spent, or a permanent refusal): what the staff
    of its organizer see on « Tâches en échec », retry or dismiss. The task's row keeps its arguments (ids
    only); this keeps what a person reads."""

    task_id = models.UUIDField(unique=True)
    task_path = models.CharField(max_length=200)
    organizer = models.ForeignKey(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=200, blank=True)  # what it was about: "commande K7Q2…"
    reason = models.CharField(max_length=300)  # why, in words, without personal data
    error = models.CharField(max_length=200)  # the exception's class
    tries = models.PositiveSmallIntegerField()
    failed_at = models.DateTimeField(db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # the administrators were e-mailed
    retried_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-failed_at", "-id"]
        indexes = [models.Index(fields=["organizer", "dismissed_at", "retried_at"])]

    def __str__(self) -> str:
        return f"{self.task_path} {self.subject}"

    @property
    def open(self) -> bool:
        return self.dismissed_at is None and self.retried_at is None


class Change(models.Model):
    """One thing that happened to a record that others follow (the analytics' rollups, the sync API, the
    webhooks): written in the transaction that made it, so it commits or vanishes with it, and given its
    place in the feed (`seq`) only after commit, by `core.changes.sequence` (see that module)."""

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(null=True)
    topic = models.CharField(max_length=40)  # "order.paid", "ticket.checked_in", "contact.erased"…
    organizer_id = models.IntegerField()  # no foreign key: the feed outlives nothing it names
    subject = models.CharField(max_length=20)  # "order", "ticket", "performance", "contact", "consent"
    subject_id = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        # The indexes on `seq` leave out the rows not yet placed: a sale's INSERT touches two indexes, not
        # four; the place, given after commit off the sale's path, adds the row to the other two.
        constraints = [
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(seq__isnull=False), name="change_seq_once"
            )
        ]
        indexes = [
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="change_unsequenced"),
            models.Index(
                fields=["organizer_id", "seq"],
                condition=models.Q(seq__isnull=False),
                name="change_organizer_seq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seq or '-'} {self.topic} {self.subject}:{self.subject_id}"


class FeedCursor(models.Model):
    """How far a follower of the change feed has read (`seq`); the row named "" is the feed's own head,
    the last place given."""

    name = models.CharField(max_length=60, primary_key=True)
    seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name or 'head'}: {self.seq}"
