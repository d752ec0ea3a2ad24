"""Small builders the demo's parts share (each creates a row once: the demo can run again)."""

import datetime
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from parvis.network.models import Organizer, Venue
from parvis.programming.models import Event, EventStatus, Performance

from .data import DEMO_PASSWORD, PARIS


@dataclass
class DemoAccount:
    username: str
    role: str
    where: str


def add_user(username: str, first: str, last: str, *, superuser: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "email": username,
            "first_name": first,
            "last_name": last,
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def add_organizer(slug: str, **fields) -> Organizer:
    organizer, _ = Organizer.objects.get_or_create(slug=slug, defaults=fields)
    return organizer


def add_logo(organizer: Organizer, initials: str, colour: tuple[int, int, int]) -> None:
    """A drawn logo (the organizer's initials on its colour), printed on its tickets."""
    if organizer.logo:
        return
    image = Image.new("RGB", (360, 144), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=88)
    draw.text((180, 72), initials, fill=(255, 255, 255), font=font, anchor="mm")
    data = io.BytesIO()
    image.save(data, "PNG")
    organizer.logo.save(f"{organizer.slug}.png", ContentFile(data.getvalue()))


def add_venue(organizer: Organizer, slug: str, **fields) -> Venue:
    venue, _ = Venue.objects.get_or_create(organizer=organizer, slug=slug, defaults=fields)
    return venue


def add_event(organizer: Organizer, title: str, *, slug: str = "", **fields) -> tuple[Event, bool]:
    fields.setdefault("status", EventStatus.PUBLISHED)
    event, created = Event.objects.get_or_create(
        organizer=organizer, slug=slug or slugify(title)[:100], defaults={"title": title, **fields}
    )
    return event, created


def paris_at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def new_performance(
    event: Event, venue: Venue, starts_at: datetime.datetime, minutes: int, **extra
) -> Performance:
    return Performance(
        event=event,
        organizer=event.organizer,
        venue=venue,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        capacity=venue.capacity,
        **extra,
    )


def next_monday(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7 or 7)


def one_page_pdf(title: str, lines: tuple[str, ...]) -> bytes:
    """A demo document (a visit booklet, a teaching pack): a title and a few lines on one A4 page."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 18)
    page.drawString(60, 780, title)
    page.setFont("Helvetica", 11)
    for i, line in enumerate(lines):
        page.drawString(60, 740 - 22 * i, line)
    page.showPage()
    page.save()
    return out.getvalue()
