"""The door scanner: a web app for phones, installable, that keeps working offline.

The page itself carries no credentials: the device's token arrives once through the pairing link's
fragment (never sent to the server) and is kept on the phone; the app then talks to the door API.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from parvis.web import offline

from .extensions import code_kinds
from .models import REFUSAL_LABELS


def _strings() -> dict:
    return {
        "reasons": {
            code: str(text)
            for code, text in [*REFUSAL_LABELS.items(), *(i for k in code_kinds for i in k.labels.items())]
        },
        "accepted": _("Entrée valide"),
        "exit_ok": _("Sortie enregistrée"),
        "refused": _("Refusé"),
        "offline": _("Hors ligne"),
        "online": _("En ligne"),
        "first_scan": _("Première entrée à %(time)s"),
        "first_scan_gate": _("Première entrée à %(time)s, %(gate)s"),
        "fresh": _("Liste du %(time)s"),
        "fresh_ago": _("il y a %(minutes)s min"),
        "pending": _("%(count)s passage(s) à synchroniser"),
        "synced": _("Tout est synchronisé"),
        "conflicts": _("%(count)s conflit(s) signalé(s) au responsable"),
        "no_lists": _("Aucune liste de contrôle à venir pour cet appareil."),
        "not_paired": _("Cet appareil n'est pas appairé, ou son accès a été retiré."),
        "network_error": _("Réseau indisponible : réessayez."),
        "download_error": _("Téléchargement de la liste impossible : réessayez en ligne."),
        "no_result": _("Aucun billet trouvé."),
        "let_in": _("Faire entrer"),
        "inside": _("Déjà entré"),
        "camera_error": _("Caméra indisponible : utilisez la saisie manuelle."),
        "camera_start": _("Scanner avec la caméra"),
        "camera_stop": _("Arrêter la caméra"),
        "new_ticket": _("Billet vendu après le téléchargement de la liste"),
        "unsafe_context": _("Le contrôle hors ligne exige une connexion sécurisée (HTTPS)."),
        "forget_confirm": _(
            "Des passages ne sont pas encore synchronisés. Les effacer quand même de cet appareil ?"
        ),
        "mode_entry": _("Entrées"),
        "mode_exit": _("Sorties"),
        "member": _("Adhérent %(level)s : %(name)s (%(persons)s pers.)"),
        "member_card": _("Carte d'adhérent (%(persons)s pers.)"),
        "headcount": {
            version: [(name, str(label)) for name, label in kind.headcount]
            for version, kind in code_kinds.items()
            if kind.headcount
        },
        "group_expected": _("Réservé : %(pupils)s élèves, %(adults)s accompagnateurs"),
        "group_counted": _("Compté : %(pupils)s élèves, %(adults)s accompagnateurs"),
        "group_new": _("Groupe réservé après le téléchargement de la liste"),
    }


def scanner(request):
    return render(
        request,
        "checkin/scanner.html",
        {
            "strings": _strings(),
            "noble_url": static("vendor/noble-ed25519-3.2.0/index.js"),
            "sw_url": reverse("checkin:service_worker"),
        },
    )


def manifest(request):
    data = {
        "name": _("Parvis — contrôle des billets"),
        "short_name": _("Contrôle"),
        "start_url": reverse("checkin:scanner"),
        "scope": reverse("checkin:scanner"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#111018",
        "theme_color": "#111018",
        "icons": [
            {"src": static("checkin/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("checkin/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


@cache_control(no_cache=True)
def service_worker(request):
    """Keeps the scanner's page and files on the phone so that it reopens without the network."""
    shell = [
        reverse("checkin:scanner"),
        reverse("checkin:manifest"),
        static("parvis/parvis.css"),
        static("checkin/scanner.css"),
        static("checkin/scanner.js"),
        static("vendor/jsqr-1.4.0/jsQR.js"),
        static("vendor/noble-ed25519-3.2.0/index.js"),
        static("checkin/icon-192.png"),
    ]
    return offline.service_worker(request, shell=shell, name="door")
