"""schema.org JSON-LD for event pages (Google's event rich results, other aggregators)."""

import json

from django.conf import settings
from django.utils.safestring import mark_safe

from .models import Event, Performance, PerformanceStatus

_EVENT_STATUS = {
    PerformanceStatus.CANCELLED: "https://schema.org/EventCancelled",
    PerformanceStatus.POSTPONED: "https://schema.org/EventPostponed",
}
_AVAILABILITY = {
    PerformanceStatus.SOLD_OUT: "https://schema.org/SoldOut",
}


def _place(performance: Performance) -> dict:
    venue = performance.venue
    place = {
        "@type": "Place",
        "name": venue.name,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": venue.street,
            "postalCode": venue.postcode,
            "addressLocality": venue.town,
            "addressCountry": venue.country,
        },
    }
    if venue.latitude is not None and venue.longitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(venue.latitude),
            "longitude": float(venue.longitude),
        }
    return place


def _offers(event: Event, performance: Performance, url: str) -> dict | None:
    if event.is_free:
        price = "0"
    elif event.price_min is not None:
        price = str(event.price_min)
    else:
        return None
    offer = {
        "@type": "Offer",
        "price": price,
        "priceCurrency": event.currency,
        "url": event.external_ticketing_url or url,
        "availability": _AVAILABILITY.get(performance.status, "https://schema.org/InStock"),
    }
    return offer


def event_jsonld(event: Event, performances: list[Performance]) -> list[dict]:
    url = settings.PARVIS_BASE_URL + event.get_absolute_url()
    items = []
    for performance in performances:
        item = {
            "@context": "https://schema.org",
            "@type": event.schema_type,
            "name": event.title,
            "description": event.description[:500],
            "url": url,
            "startDate": performance.local_starts_at.isoformat(),
            "eventStatus": _EVENT_STATUS.get(performance.status, "https://schema.org/EventScheduled"),
            "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
            "location": _place(performance),
            "organizer": {
                "@type": "Organization",
                "name": event.organizer.name,
                "url": settings.PARVIS_BASE_URL + event.organizer.get_absolute_url(),
            },
        }
        if performance.ends_at:
            item["endDate"] = performance.local_ends_at.isoformat()
        if event.image:
            item["image"] = [settings.PARVIS_BASE_URL + event.image.url]
        performers = event.artist_list
        if performers:
            item["performer"] = [{"@type": "PerformingGroup", "name": name} for name in performers]
        if event.age_min:
            item["typicalAgeRange"] = f"{event.age_min}-"
        offers = _offers(event, performance, url)
        if offers:
            item["offers"] = offers
        items.append(item)
    return items


def jsonld_script(data) -> str:
    """A <script type="application/ld+json"> block; '<', '>' and '&' are escaped so no text can close it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 - escaped above
