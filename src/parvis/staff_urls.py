"""Staff pages, under /staff/."""

from django.urls import path

from parvis.analytics import views as analytics_views
from parvis.boxoffice import counter_seats, till_views
from parvis.boxoffice import staff_views as boxoffice_views
from parvis.checkin import staff_views as checkin_views
from parvis.crm import staff_views as crm_views
from parvis.declarations import accounting_views, rights_views, self_billing_views, tax_views
from parvis.declarations import inspector as inspector_views
from parvis.declarations import staff_views as declarations_views
from parvis.groups import staff_views as groups_views
from parvis.market import staff_meetings as market_meetings
from parvis.market import staff_views as market_views
from parvis.marketing import journey_views, reco_views
from parvis.marketing import staff_views as campaign_views
from parvis.memberships import staff_views as memberships_views
from parvis.network import audit_views, jobs_views
from parvis.network import views as network_views
from parvis.online import staff_views as online_views
from parvis.opendata import views as opendata_views
from parvis.passes import staff_views as passes_views
from parvis.programming import staff_views
from parvis.seating import staff_views as seating_views
from parvis.ticketing import price_views
from parvis.ticketing import staff_views as ticketing_views

app_name = "staff"
urlpatterns = [
    path("", network_views.staff_home, name="home"),
    path("password/<uidb64>/<token>/", network_views.StaffPasswordSetView.as_view(), name="password_set"),
    path("o/<slug:organizer_slug>/equipe/", network_views.team, name="team"),
    path(
        "o/<slug:organizer_slug>/equipe/<int:membership_pk>/retirer/",
        network_views.team_revoke,
        name="team_revoke",
    ),
    path("o/<slug:organizer_slug>/reglages/", network_views.organizer_settings, name="organizer_settings"),
    path("o/<slug:organizer_slug>/lieux/nouveau/", network_views.venue_edit, name="venue_create"),
    path("o/<slug:organizer_slug>/lieux/<int:venue_pk>/", network_views.venue_edit, name="venue_edit"),
    path("o/<slug:organizer_slug>/journal/", audit_views.audit_log, name="audit_log"),
    path("o/<slug:organizer_slug>/webhooks/", opendata_views.endpoints, name="webhooks"),
    path("o/<slug:organizer_slug>/webhooks/<int:pk>/", opendata_views.endpoint_detail, name="webhook_detail"),
    path(
        "o/<slug:organizer_slug>/webhooks/<int:pk>/<slug:action>/",
        opendata_views.endpoint_action,
        name="webhook_action",
    ),
    path(
        "o/<slug:organizer_slug>/tableaux/ventes/",
        analytics_views.organizer_board,
        {"name": "sales"},
        name="analytics_sales",
    ),
    path(
        "o/<slug:organizer_slug>/tableaux/remplissage/",
        analytics_views.organizer_board,
        {"name": "fill"},
        name="analytics_fill",
    ),
    path(
        "o/<slug:organizer_slug>/tableaux/marketing/",
        analytics_views.organizer_board,
        {"name": "marketing"},
        name="analytics_marketing",
    ),
    path(
        "o/<slug:organizer_slug>/tableaux/publics/",
        analytics_views.organizer_board,
        {"name": "audiences"},
        name="analytics_audiences",
    ),
    path("o/<slug:organizer_slug>/taches-en-echec/", jobs_views.failed_jobs, name="failed_jobs"),
    path(
        "o/<slug:organizer_slug>/taches-en-echec/<int:pk>/<slug:action>/",
        jobs_views.failed_job_action,
        name="failed_job_action",
    ),
    path("o/<slug:organizer_slug>/evenements/", staff_views.event_list, name="event_list"),
    path("o/<slug:organizer_slug>/evenements/nouveau/", staff_views.event_create, name="event_create"),
    path("o/<slug:organizer_slug>/evenements/<int:event_pk>/", staff_views.event_detail, name="event_detail"),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/modifier/",
        staff_views.event_edit,
        name="event_edit",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/etat/",
        staff_views.event_status,
        name="event_status",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/dates/<int:performance_pk>/etat/",
        staff_views.performance_status,
        name="performance_status",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/dupliquer/",
        staff_views.event_duplicate,
        name="event_duplicate",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/dates/<int:performance_pk>/dupliquer/",
        staff_views.performance_duplicate,
        name="performance_duplicate",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/tarifs/",
        price_views.event_prices,
        name="event_prices",
    ),
    path(
        "o/<slug:organizer_slug>/evenements/<int:event_pk>/tarifs/<int:price_pk>/",
        price_views.event_price_edit,
        name="event_price_edit",
    ),
    path(
        "o/<slug:organizer_slug>/dates/<int:performance_pk>/tarifs/<int:tariff_pk>/",
        price_views.tariff_edit,
        name="tariff_edit",
    ),
    path(
        "o/<slug:organizer_slug>/dates/<int:performance_pk>/billetterie/",
        ticketing_views.performance_sales,
        name="performance_sales",
    ),
    path(
        "o/<slug:organizer_slug>/dates/<int:performance_pk>/placement/",
        seating_views.performance_seating,
        name="seating_performance",
    ),
    path(
        "o/<slug:organizer_slug>/dates/<int:performance_pk>/en-ligne/",
        online_views.performance_online,
        name="performance_online",
    ),
    path("o/<slug:organizer_slug>/groupes/", groups_views.queue, name="group_queue"),
    path("o/<slug:organizer_slug>/marche/", market_views.market_list, name="market_list"),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/", market_views.market_detail, name="market_detail"
    ),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/candidatures/<str:code>/",
        market_views.application,
        name="market_application",
    ),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/rendez-vous/",
        market_meetings.meetings_day,
        name="market_meetings",
    ),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/candidatures/<str:code>/justificatif/",
        market_views.application_proof,
        name="market_application_proof",
    ),
    path(
        "o/<slug:organizer_slug>/marche/<slug:market_slug>/candidatures/<str:code>/photo/",
        market_views.application_photo,
        name="market_application_photo",
    ),
    path("o/<slug:organizer_slug>/groupes/offres/", groups_views.offer_list, name="group_offers"),
    path(
        "o/<slug:organizer_slug>/groupes/offres/<int:offer_pk>/", groups_views.offer_list, name="group_offer"
    ),
    path("o/<slug:organizer_slug>/groupes/semaine/", groups_views.week, name="group_week"),
    path("o/<slug:organizer_slug>/groupes/<str:code>/", groups_views.booking_detail, name="group_booking"),
    path("o/<slug:organizer_slug>/plans-de-salle/", seating_views.plan_list, name="seat_plans"),
    path(
        "o/<slug:organizer_slug>/plans-de-salle/<int:plan_pk>/", seating_views.plan_detail, name="seat_plan"
    ),
    path("o/<slug:organizer_slug>/commandes/", ticketing_views.order_list, name="order_list"),
    path("o/<slug:organizer_slug>/codes-promo/", ticketing_views.promo_codes, name="promo_codes"),
    path("o/<slug:organizer_slug>/bons-cadeaux/", ticketing_views.vouchers, name="vouchers"),
    path("o/<slug:organizer_slug>/commandes/<str:code>/", ticketing_views.order_detail, name="order_detail"),
    path(
        "o/<slug:organizer_slug>/commandes/<str:code>/action/",
        ticketing_views.order_action,
        name="order_action",
    ),
    path("o/<slug:organizer_slug>/guichet/", boxoffice_views.counter, name="boxoffice"),
    path("o/<slug:organizer_slug>/guichet/ouvrir/", till_views.session_open, name="boxoffice_open"),
    path("o/<slug:organizer_slug>/guichet/caisses/", till_views.drawer_add, name="boxoffice_drawer_add"),
    path("o/<slug:organizer_slug>/guichet/panier/", boxoffice_views.basket, name="boxoffice_basket"),
    path("o/<slug:organizer_slug>/bordereaux/", declarations_views.statement_list, name="statements"),
    path("o/<slug:organizer_slug>/controle-fiscal/", inspector_views.inspector, name="inspector"),
    path("o/<slug:organizer_slug>/sibil/", declarations_views.sibil_quarter, name="sibil_quarter"),
    path("o/<slug:organizer_slug>/taxe-spectacles/", tax_views.show_tax_month, name="show_tax"),
    path("o/<slug:organizer_slug>/comptabilite/", accounting_views.accounting, name="accounting"),
    path("o/<slug:organizer_slug>/droits-auteurs/", rights_views.rights_month, name="rights"),
    path(
        "o/<slug:organizer_slug>/bordereaux/<int:number>.<str:kind>",
        declarations_views.statement_file,
        name="statement_file",
    ),
    path(
        "o/<slug:organizer_slug>/guichet/places/<int:performance_pk>/",
        counter_seats.counter_seats,
        name="boxoffice_seats",
    ),
    path("o/<slug:organizer_slug>/guichet/encaisser/", boxoffice_views.pay, name="boxoffice_pay"),
    path(
        "o/<slug:organizer_slug>/guichet/adhesion/",
        boxoffice_views.membership_sell,
        name="boxoffice_membership",
    ),
    path("o/<slug:organizer_slug>/guichet/pass/", boxoffice_views.pass_sell, name="boxoffice_pass"),
    path("o/<slug:organizer_slug>/guichet/clients/", boxoffice_views.customers, name="boxoffice_customers"),
    path(
        "o/<slug:organizer_slug>/guichet/suggestions/",
        boxoffice_views.customer_suggestions,
        name="boxoffice_suggestions",
    ),
    path(
        "o/<slug:organizer_slug>/guichet/billets/<str:code>/<str:layout>.pdf",
        boxoffice_views.tickets_pdf,
        name="boxoffice_tickets",
    ),
    path(
        "o/<slug:organizer_slug>/guichet/billets/<str:code>/envoyer/",
        boxoffice_views.send_tickets,
        name="boxoffice_send",
    ),
    path(
        "o/<slug:organizer_slug>/guichet/duplicata/<int:ticket_pk>/",
        boxoffice_views.reprint,
        name="boxoffice_reprint",
    ),
    path("o/<slug:organizer_slug>/guichet/rembourser/", boxoffice_views.refund, name="boxoffice_refund"),
    path("o/<slug:organizer_slug>/guichet/echanger/", boxoffice_views.exchange, name="boxoffice_exchange"),
    path(
        "o/<slug:organizer_slug>/guichet/a-rembourser/",
        boxoffice_views.refund_due_pay,
        name="boxoffice_refund_due",
    ),
    path(
        "o/<slug:organizer_slug>/guichet/bons/", boxoffice_views.voucher_sell, name="boxoffice_voucher_sell"
    ),
    path(
        "o/<slug:organizer_slug>/guichet/bons/<str:code>.pdf",
        boxoffice_views.voucher_pdf,
        name="boxoffice_voucher_pdf",
    ),
    path("o/<slug:organizer_slug>/guichet/especes/", till_views.cash_move, name="boxoffice_cash_move"),
    path("o/<slug:organizer_slug>/guichet/fermer/", till_views.session_close, name="boxoffice_close"),
    path("o/<slug:organizer_slug>/guichet/corriger/", till_views.correct_method, name="boxoffice_correct"),
    path(
        "o/<slug:organizer_slug>/guichet/sessions/<int:session_pk>/",
        till_views.session_report,
        name="boxoffice_session",
    ),
    path("o/<slug:organizer_slug>/guichet/clotures/", till_views.closures, name="boxoffice_closures"),
    path(
        "o/<slug:organizer_slug>/guichet/clotures/<int:closure_pk>/",
        till_views.closure_detail,
        name="boxoffice_closure",
    ),
    path("o/<slug:organizer_slug>/controle/", checkin_views.door_home, name="door_home"),
    path(
        "o/<slug:organizer_slug>/controle/appareils/<int:device_pk>/retirer/",
        checkin_views.device_revoke,
        name="door_device_revoke",
    ),
    path(
        "o/<slug:organizer_slug>/controle/listes/nouvelle/", checkin_views.list_edit, name="door_list_create"
    ),
    path(
        "o/<slug:organizer_slug>/controle/listes/<int:list_pk>/",
        checkin_views.list_edit,
        name="door_list_edit",
    ),
    path(
        "o/<slug:organizer_slug>/controle/listes/<int:list_pk>/affluence/",
        checkin_views.attendance,
        name="door_attendance",
    ),
    path(
        "o/<slug:organizer_slug>/controle/listes/<int:list_pk>/conflits/<int:scan_pk>/",
        checkin_views.conflict_review,
        name="door_conflict_review",
    ),
    path("o/<slug:organizer_slug>/publics/", crm_views.contact_list, name="crm_contacts"),
    path("o/<slug:organizer_slug>/publics/<int:contact_pk>/", crm_views.contact_detail, name="crm_contact"),
    path(
        "o/<slug:organizer_slug>/publics/<int:contact_pk>/effacer/", crm_views.contact_erase, name="crm_erase"
    ),
    path(
        "o/<slug:organizer_slug>/publics/<int:contact_pk>/donnees.zip",
        crm_views.contact_export,
        name="crm_export",
    ),
    path("o/<slug:organizer_slug>/publics/demandes/", crm_views.privacy_requests, name="crm_requests"),
    path("o/<slug:organizer_slug>/publics/doublons/", crm_views.duplicates, name="crm_duplicates"),
    path(
        "o/<slug:organizer_slug>/publics/export.<str:fmt>", crm_views.contacts_export, name="crm_export_list"
    ),
    path("o/<slug:organizer_slug>/publics/segments/", crm_views.segment_list, name="crm_segments"),
    path("o/<slug:organizer_slug>/publics/conservation/", crm_views.retention_page, name="crm_retention"),
    path(
        "o/<slug:organizer_slug>/publics/segments/nouveau/", crm_views.segment_edit, name="crm_segment_create"
    ),
    path(
        "o/<slug:organizer_slug>/publics/segments/<int:segment_pk>/",
        crm_views.segment_edit,
        name="crm_segment",
    ),
    path(
        "o/<slug:organizer_slug>/publics/segments/<int:segment_pk>/export.<str:fmt>",
        crm_views.segment_export,
        name="crm_segment_export",
    ),
    path("o/<slug:organizer_slug>/publics/import/", crm_views.import_start, name="crm_import_start"),
    path("o/<slug:organizer_slug>/publics/import/<int:job_pk>/", crm_views.import_detail, name="crm_import"),
    path(
        "o/<slug:organizer_slug>/publics/import/<int:job_pk>/erreurs.csv",
        crm_views.import_errors,
        name="crm_import_errors",
    ),
    path(
        "o/<slug:organizer_slug>/publics/fusions/<int:merge_pk>/annuler/",
        crm_views.merge_undo,
        name="crm_merge_undo",
    ),
    path("r/<slug:network_slug>/publics/", crm_views.network_audience, name="network_audience"),
    path(
        "r/<slug:network_slug>/tableaux/ventes/",
        analytics_views.network_board,
        {"name": "sales"},
        name="network_analytics_sales",
    ),
    path(
        "r/<slug:network_slug>/tableaux/remplissage/",
        analytics_views.network_board,
        {"name": "fill"},
        name="network_analytics_fill",
    ),
    path(
        "r/<slug:network_slug>/tableaux/publics/",
        analytics_views.network_board,
        {"name": "audiences"},
        name="network_analytics_audiences",
    ),
    path(
        "r/<slug:network_slug>/tableaux/marketing/",
        analytics_views.network_board,
        {"name": "marketing"},
        name="network_analytics_marketing",
    ),
    path(
        "r/<slug:network_slug>/tableaux/circulation/",
        analytics_views.network_board,
        {"name": "circulation"},
        name="network_analytics_circulation",
    ),
    path("o/<slug:organizer_slug>/campagnes/", campaign_views.campaign_list, name="campaign_list"),
    path("o/<slug:organizer_slug>/campagnes/nouvelle/", campaign_views.campaign_edit, name="campaign_create"),
    path(
        "o/<slug:organizer_slug>/campagnes/domaines/",
        campaign_views.campaign_domains,
        name="campaign_domains",
    ),
    path("o/<slug:organizer_slug>/campagnes/parcours/", journey_views.journey_list, name="campaign_journeys"),
    path(
        "o/<slug:organizer_slug>/campagnes/parcours/<int:pk>/",
        journey_views.journey_detail,
        name="campaign_journey",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/parcours/<int:pk>/marche/",
        journey_views.journey_switch,
        name="campaign_journey_switch",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/parcours/nouveau/",
        journey_views.journey_edit,
        name="campaign_journey_create",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/parcours/<int:pk>/modifier/",
        journey_views.journey_edit,
        name="campaign_journey_edit",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/parcours/<int:pk>/etapes/",
        journey_views.journey_steps,
        name="campaign_journey_steps",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/exclusions/",
        campaign_views.campaign_exclusions,
        name="campaign_exclusions",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/regles/",
        campaign_views.campaign_policy,
        name="campaign_policy",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/recommandations/",
        reco_views.recommendation_settings,
        name="campaign_recommendations",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/recommandations/rapport/",
        reco_views.recommendation_report,
        name="campaign_recommendations_report",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/<int:pk>/", campaign_views.campaign_detail, name="campaign_detail"
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/<int:pk>/modifier/",
        campaign_views.campaign_edit,
        name="campaign_edit",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/<int:pk>/apercu/",
        campaign_views.campaign_preview,
        name="campaign_preview",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/<int:pk>/public/",
        campaign_views.campaign_audience,
        name="campaign_audience",
    ),
    path(
        "o/<slug:organizer_slug>/campagnes/<int:pk>/action/",
        campaign_views.campaign_action,
        name="campaign_action",
    ),
    path("r/<slug:network_slug>/campagnes/", campaign_views.campaign_list, name="network_campaign_list"),
    path(
        "r/<slug:network_slug>/campagnes/nouvelle/",
        campaign_views.campaign_edit,
        name="network_campaign_create",
    ),
    path(
        "r/<slug:network_slug>/campagnes/domaines/",
        campaign_views.campaign_domains,
        name="network_campaign_domains",
    ),
    path(
        "r/<slug:network_slug>/campagnes/exclusions/",
        campaign_views.campaign_exclusions,
        name="network_campaign_exclusions",
    ),
    path(
        "r/<slug:network_slug>/campagnes/recommandations/",
        reco_views.recommendation_settings,
        name="network_campaign_recommendations",
    ),
    path(
        "r/<slug:network_slug>/campagnes/recommandations/rapport/",
        reco_views.recommendation_report,
        name="network_campaign_recommendations_report",
    ),
    path(
        "r/<slug:network_slug>/campagnes/regles/",
        campaign_views.campaign_policy,
        name="network_campaign_policy",
    ),
    path(
        "r/<slug:network_slug>/campagnes/<int:pk>/",
        campaign_views.campaign_detail,
        name="network_campaign_detail",
    ),
    path(
        "r/<slug:network_slug>/campagnes/<int:pk>/modifier/",
        campaign_views.campaign_edit,
        name="network_campaign_edit",
    ),
    path(
        "r/<slug:network_slug>/campagnes/<int:pk>/apercu/",
        campaign_views.campaign_preview,
        name="network_campaign_preview",
    ),
    path(
        "r/<slug:network_slug>/campagnes/<int:pk>/public/",
        campaign_views.campaign_audience,
        name="network_campaign_audience",
    ),
    path(
        "r/<slug:network_slug>/campagnes/<int:pk>/action/",
        campaign_views.campaign_action,
        name="network_campaign_action",
    ),
    path(
        "r/<slug:network_slug>/reversements/",
        passes_views.network_settlements,
        name="network_settlements",
    ),
    path(
        "r/<slug:network_slug>/autofactures/",
        self_billing_views.network_self_billing,
        name="network_self_billing",
    ),
    path("autofactures/<int:pk>.pdf", self_billing_views.self_billing_file, name="self_billing_file"),
    path("o/<slug:organizer_slug>/pass/", passes_views.passes, name="passes"),
    path("o/<slug:organizer_slug>/adhesions/", memberships_views.memberships, name="memberships"),
    path("r/<slug:network_slug>/", staff_views.network_curation, name="network_curation"),
    path("r/<slug:network_slug>/une/<int:event_pk>/", staff_views.network_feature, name="network_feature"),
    path(
        "r/<slug:network_slug>/festivals/<int:festival_pk>/", staff_views.festival_edit, name="festival_edit"
    ),
]
