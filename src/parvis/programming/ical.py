"""iCalendar feeds (RFC 5545) with VTIMEZONE components, so that times survive daylight-saving changes."""

from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.utils import timezone

from .models import Performance, PerformanceStatus

_STATUS = {
    PerformanceStatus.CANCELLED: "CANCELLED",
    PerformanceStatus.POSTPONED: "TENTATIVE",
}


def calendar_for(performances: Iterable[Performance], *, name: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Parvis//Agenda//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    for performance in performances:
        event = performance.event
        venue = performance.venue
        item = icalendar.Event()
        item.add("uid", f"performance-{performance.pk}@parvis")
        item.add("dtstamp", stamp)
        item.add("dtstart", performance.local_starts_at)
        if performance.ends_at:
            item.add("dtend", performance.local_ends_at)
        item.add("summary", event.title)
        if event.description:
            item.add("description", event.description[:2000])
        item.add(
            "location", ", ".join(p for p in [venue.name, venue.street, venue.postcode, venue.town] if p)
        )
        if venue.latitude is not None and venue.longitude is not None:
            item.add("geo", (float(venue.latitude), float(venue.longitude)))
        item.add("url", settings.PARVIS_BASE_URL + event.get_absolute_url())
        item.add("status", _STATUS.get(performance.status, "CONFIRMED"))
        item.add("categories", [event.get_genre_display()])
        cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()
