"""The audit log as the staff read it: in words, filtered, paged, exported."""

import csv
import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.core.audit_reading import changes_text, entry_changes, object_type_label
from parvis.core.models import ACTION_LABELS, AuditLogEntry

from .permissions import Perm, require_organizer_perm

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Rechercher un objet"), max_length=100, required=False)
    qui = forms.ChoiceField(label=gettext_lazy("Auteur"), required=False)
    objet = forms.ChoiceField(label=gettext_lazy("Type d'objet"), required=False)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    du = forms.DateField(
        label=gettext_lazy("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    au = forms.DateField(
        label=gettext_lazy("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, entries):
        super().__init__(data)
        everyone = [("", _("Tous"))]
        actors = entries.order_by().values_list("actor_label", flat=True).distinct()
        types = entries.order_by().values_list("object_type", flat=True).distinct()
        actions = ACTION_LABELS  # every action has its words (core/tests/test_audit_words.py): no query
        self.fields["qui"].choices = everyone + sorted((a, a) for a in actors)
        self.fields["objet"].choices = everyone + sorted(
            ((t, object_type_label(t)) for t in types), key=_second
        )
        self.fields["action"].choices = everyone + sorted(
            ((a, str(ACTION_LABELS.get(a, a))) for a in actions), key=_second
        )

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            self.add_error("au", _("La fin de la période précède son début."))
        return data


def _second(pair):
    return pair[1].lower()


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _filtered(entries, data: dict):
    if data.get("q"):
        entries = entries.filter(object_repr__icontains=data["q"])
    for field, key in (("actor_label", "qui"), ("object_type", "objet"), ("action", "action")):
        if data.get(key):
            entries = entries.filter(**{field: data[key]})
    if data.get("du"):
        entries = entries.filter(created_at__gte=_day_start(data["du"]))
    if data.get("au") and data["au"] < datetime.date.max:
        entries = entries.filter(created_at__lt=_day_start(data["au"] + datetime.timedelta(days=1)))
    return entries


class _Echo:
    def write(self, value):
        return value


def _csv(entries, organizer) -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), delimiter=";")

    def rows():
        yield "\ufeff"  # spreadsheets open the file as UTF-8
        yield writer.writerow(
            [_("Date"), _("Auteur"), _("Action"), _("Code"), _("Type d'objet"), _("Objet"), _("Changements")]
        )
        for entry in entries.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.actor_label,
                    entry.action_label,
                    entry.action,
                    object_type_label(entry.object_type),
                    entry.object_repr,
                    changes_text(entry),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-{organizer.slug}.csv"'
    return response


@login_required
def audit_log(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.AUDIT_VIEW)
    entries = AuditLogEntry.objects.filter(organizer=organizer).order_by("-created_at", "-id")
    form = AuditFilterForm(request.GET or None, entries=entries)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "network/audit_log.html",
            {"organizer": organizer, "form": form, "page": None},
            status=400,
        )
    if form.is_bound:
        entries = _filtered(entries, form.cleaned_data)
    if request.GET.get("format") == "csv":
        return _csv(entries, organizer)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "network/audit_log.html",
        {
            "organizer": organizer,
            "form": form,
            "page": page,
            "rows": [(e, object_type_label(e.object_type), entry_changes(e)) for e in page.object_list],
            "filtered": form.is_bound and any(form.cleaned_data.values()),
        },
    )
