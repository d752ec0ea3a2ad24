"""The REST API: each app's router assembled under /api/v1 (OpenAPI at /api/v1/openapi.json)."""

from ninja import NinjaAPI

from parvis.checkin.api import router as checkin_router
from parvis.core import api_errors as errors
from parvis.opendata.api import router as sync_router
from parvis.programming.api import router as programming_router
from parvis.ticketing.api import router as ticketing_router

api = NinjaAPI(
    title="Parvis API",
    version="1",
    description="Billetterie et relation aux publics — public programming data, sales channels.",
    urls_namespace="api",
)
errors.install(api)
api.add_router("/", programming_router)
api.add_router("/", ticketing_router)
api.add_router("/", checkin_router)
api.add_router("/", sync_router)
