from django.conf import settings


def site(request):
    return {"PARVIS_BASE_URL": settings.PARVIS_BASE_URL, "PARVIS_DEV_OUTBOX": settings.PARVIS_DEV_OUTBOX}
