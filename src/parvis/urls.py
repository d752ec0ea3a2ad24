from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView

from parvis.api.api import api
from parvis.core import health
from parvis.core import views as core_views

urlpatterns = [
    path("staff/", include("parvis.accounts.urls")),
    path("staff/", include("parvis.staff_urls")),
    path("admin/login/", RedirectView.as_view(url="/staff/login/?next=/admin/")),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static_url("parvis/favicon.svg"))),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dev/outbox/", core_views.outbox_list, name="outbox"),
    path("dev/outbox/<int:pk>/", core_views.outbox_detail, name="outbox_detail"),
    path("", include("parvis.accounts.public_urls")),
    path("", include("parvis.checkin.urls")),
    path("", include("parvis.crm.urls")),
    path("", include("parvis.marketing.urls")),
    path("", include("parvis.passes.urls")),
    path("", include("parvis.memberships.urls")),
    path("", include("parvis.seating.urls")),
    path("", include("parvis.online.urls")),
    path("", include("parvis.groups.urls")),
    path("", include("parvis.market.urls")),
    path("", include("parvis.ticketing.urls")),
    path("", include("parvis.programming.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
