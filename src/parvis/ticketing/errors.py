"""Why a sale is refused: a stable code for the API and a sentence for the buyer, in their language."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "not_sold_out": _("Il reste des places : vous pouvez les acheter directement."),
    "counter_only": _(
        "Argent encaissé ou rendu au guichet : faites cette opération depuis l'écran du guichet."
    ),
    "promo_unknown": _("Ce code promo n'existe pas."),
    "promo_expired": _("Ce code promo n'est pas valable en ce moment."),
    "promo_used_up": _("Ce code promo a déjà été utilisé autant de fois que prévu."),
    "promo_not_applicable": _("Ce code promo ne s'applique à aucun billet de votre panier."),
    "voucher_unknown": _("Ce bon cadeau n'existe pas ou n'est plus valable."),
    "voucher_expired": _("Ce bon cadeau a expiré."),
    "voucher_insufficient": _(
        "Le solde du bon cadeau ne suffit pas (reste %(balance)s €) : choisissez aussi un moyen de paiement "
        "pour le reste."
    ),
    "voucher_value": _("Montant de bon cadeau invalide (de 1 à 2 000 €)."),
    "voucher_extension": _(
        "La nouvelle date doit suivre la date de validité actuelle et aujourd'hui, à trois ans au plus."
    ),
    "sold_out": _("Complet : il ne reste pas assez de places pour ce tarif."),
    "hold_expired": _("Le délai de réservation de vos places est dépassé. Choisissez-les à nouveau."),
    "sales_not_open": _("La vente n'est pas encore ouverte pour cette date."),
    "sales_closed": _(
        "La vente en ligne est terminée pour cette date. S'il reste des places, elles sont en vente sur "
        "place : au guichet ou à l'accueil de %(venue)s."
    ),
    "slot_closed": _(
        "Ce créneau n'est plus en vente en ligne : choisissez-en un plus tard, ou présentez-vous à l'accueil "
        "de %(venue)s."
    ),
    "unknown_tariff": _("Ce tarif n'existe pas ou n'est plus proposé."),
    "quantity_limit": _("Vous demandez plus de billets que le maximum autorisé par commande."),
    "invalid_quantity": _("Le nombre de billets doit être un entier positif."),
    "price_mismatch": _("Les prix ont changé depuis votre choix. Vérifiez le nouveau total."),
    "cart_empty": _("Votre panier est vide."),
    "terms_required": _("Vous devez accepter les conditions générales de vente."),
    "provider_unavailable": _("Ce moyen de paiement n'est pas disponible."),
    "payment_refused": _("Le paiement a été refusé. Aucun montant n'a été débité."),
    "order_not_payable": _("Cette commande ne peut plus être payée."),
    "not_cancellable": _("Cette commande ne peut pas être annulée."),
    "nothing_to_refund": _("Rien à rembourser : ces billets le sont déjà."),
    "unknown_product": _("Ce produit n'existe pas ou n'est plus en vente."),
    "out_of_stock": _("Il ne reste plus assez de « %(product)s » (reste %(left)s)."),
    "invalid_donation": _("Le montant du don doit être compris entre 1 et 10 000 euros."),
    "not_exchangeable": _("Ce billet ne peut pas être échangé."),
    "price_difference_due": _("Le nouveau tarif est plus cher : encaissez la différence avant l'échange."),
    "slot_required": _("Choisissez un créneau horaire."),
    "unknown_slot": _("Ce créneau n'existe pas pour cette date."),
    "invalid_slots": _("Créneaux impossibles : il faut une heure de fin, une jauge et une durée positive."),
    "pass_not_on_sale": _("Ce pass n'est plus en vente."),
    "pass_unknown": _("Pass introuvable : vérifiez son code et l'e-mail de son titulaire."),
    "pass_not_eligible": _("Cette date n'est pas incluse dans votre pass."),
    "pass_used_up": _("Toutes les entrées de ce pass sont déjà utilisées."),
    "pass_already_booked": _("Vous avez déjà réservé cette date avec ce pass."),
    "pass_venue_limit": _("Ce pass permet au plus %(limit)s entrée(s) par lieu : choisissez un autre lieu."),
    "pass_venues_required": _(
        "Ce pass doit servir dans au moins %(venues)s lieux différents : choisissez un lieu où vous n'avez "
        "pas encore réservé."
    ),
    "pass_overlap": _(
        "Vous avez déjà réservé « %(event)s » (%(time)s) à la même heure : ce pass ne permet pas deux dates "
        "qui se chevauchent."
    ),
    "pass_overlap_confirm": _(
        "Vous avez déjà réservé « %(event)s » (%(time)s) à la même heure. Confirmez si vous voulez aussi "
        "cette date."
    ),
    "pass_not_cancellable": _("Cette réservation ne peut plus être annulée."),
    "pass_in_use": _("Ce pass a déjà servi : il ne peut pas être remboursé."),
    "member_only": _("Ce tarif est réservé aux adhérents : indiquez votre carte d'adhérent dans le panier."),
    "member_limit": _("Votre carte donne droit à %(limit)s billet(s) au tarif adhérent par date."),
    "member_unknown": _("Carte d'adhérent introuvable : vérifiez son numéro et l'e-mail de l'adhérent."),
    "member_not_valid": _("Cette carte d'adhérent n'est pas valable ici ou à cette date."),
    "membership_not_on_sale": _("Cette adhésion n'est plus proposée."),
    "membership_people": _("Indiquez au plus %(limit)s autre(s) personne(s) sur la carte."),
    "membership_renewed": _("Cette adhésion a déjà été renouvelée."),
    "not_seated": _("Cette date n'est pas en placement numéroté."),
    "unknown_seat": _("Cette place n'existe pas dans le plan de cette date."),
    "seat_wrong_category": _("Cette place n'est pas dans la catégorie du tarif choisi."),
    "seat_taken": _("Quelqu'un vient de prendre ces places : %(seats)s. Choisissez-en d'autres."),
    "seat_single_gap": _(
        "Ce choix laisserait une place seule entre deux places prises (%(seats)s) : décalez-vous d'une "
        "place, ou demandez les meilleures places disponibles."
    ),
    "seats_not_together": _(
        "Il n'y a plus %(quantity)s places côte à côte ni proches dans cette catégorie : il en reste "
        "%(free)s, au plus %(together)s côte à côte."
    ),
    "seat_required": _("Cette date est en placement numéroté : choisissez vos places sur le plan."),
    "seating_plan_in_use": _(
        "Des places de cette date sont déjà vendues, réservées ou gardées sur son plan : elle garde ce plan."
    ),
    "seating_after_sales": _(
        "Des billets sans place numérotée sont déjà vendus ou réservés pour cette date : elle ne peut plus "
        "passer en placement numéroté."
    ),
    "subscriber_only": _("Ce tarif est réservé aux abonnés : il se prend avec un abonnement."),
    "subscription_not_on_sale": _("Cet abonnement n'est plus proposé."),
    "subscription_minimum": _("Choisissez au moins %(minimum)s spectacles pour vous abonner."),
    "subscription_not_eligible": _("Une des dates choisies n'est pas comprise dans l'abonnement."),
    "subscription_already_in": _("Cette date fait déjà partie de votre abonnement."),
    "subscription_exchange_event": _("Un échange se fait pour une autre date du même spectacle."),
    "subscription_exchange_used": _("Votre abonnement permet %(exchanges)s échange(s) : il n'en reste plus."),
    "capacity_below_used": _("La jauge ne peut pas être inférieure aux places déjà prises."),
}


class SaleError(Exception):
    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(code)

    @property
    def message(self) -> str:
        text = str(MESSAGES[self.code])
        return text % self.params if "%(" in text else text
