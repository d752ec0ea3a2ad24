"""Staff pages of the audience relations: the contacts of an organizer, one profile with its timeline."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from parvis.core.audit import audit_record
from parvis.core.params import id_param
from parvis.network.models import Venue
from parvis.network.permissions import Perm, has_organizer_perm, require_network_perm, require_organizer_perm
from parvis.programming.models import Event

from . import dedupe, exports, extensions, importer, privacy, retention, selectors, services, tasks
from . import network_audience as audience
from . import segments as segments_mod
from .models import Contact, DuplicateCandidate, Household, ImportJob, Merge, PrivacyRequest, Segment


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Note"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
def contact_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_VIEW)
    q = request.GET.get("q", "")[:100]
    page = Paginator(selectors.search(organizer, q), 50).get_page(request.GET.get("page"))
    can_change = has_organizer_perm(request.user, organizer, Perm.CRM_CHANGE)  # import, export
    return render(
        request,
        "crm/staff/contact_list.html",
        {"organizer": organizer, "page": page, "q": q, "can_change": can_change},
    )


@login_required
def contact_detail(request, organizer_slug: str, contact_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_VIEW)
    contact = get_object_or_404(
        Contact.objects.select_related("household"), pk=contact_pk, organizer=organizer
    )
    if contact.merged_into_id:
        return redirect("staff:crm_contact", organizer.slug, contact.merged_into_id)
    can_change = has_organizer_perm(request.user, organizer, Perm.CRM_CHANGE)
    form = NoteForm()
    if request.method == "POST" and request.POST.get("action") == "household":
        if not can_change:
            raise PermissionDenied
        _set_household(request, organizer, contact)
        return redirect(request.path)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = NoteForm(request.POST)
        if form.is_valid():
            services.note_add(actor=request.user, contact=contact, text=form.cleaned_data["text"])
            messages.success(request, _("Note ajoutée."))
            return redirect(request.path)
    return render(
        request,
        "crm/staff/contact_detail.html",
        {
            "organizer": organizer,
            "contact": contact,
            "identifiers": selectors.identifiers_of(contact),
            "notices": extensions.notices_of(contact),
            "consents": selectors.consents_of(contact),
            "timeline": selectors.timeline(contact),
            "totals": selectors.totals(contact),
            "orders": contact.orders.order_by("-created_at")[:20],
            "rfm_label": segments_mod.RFM_GROUPS.get(contact.rfm_group, ""),
            "households": Household.objects.filter(organizer=organizer).order_by("name")[:500],
            "housemates": contact.household.members.exclude(pk=contact.pk).filter(merged_into__isnull=True)
            if contact.household_id
            else [],
            "merges": contact.merges_received.filter(undone_at__isnull=True).select_related("merged"),
            "can_change": can_change,
            "form": form,
        },
    )


def _set_household(request, organizer, contact: Contact) -> None:
    """Join an existing household, start a new one, or leave; audited."""

    before = contact.household_id
    choice = request.POST.get("household", "")
    if choice == "new":
        name = (
            request.POST.get("household_name", "").strip()[:200] or contact.last_name or contact.display_name
        )
        contact.household = Household.objects.create(organizer=organizer, name=name)
    elif choice:
        contact.household = get_object_or_404(
            Household, pk=id_param(request.POST, "household"), organizer=organizer
        )
    else:
        contact.household = None
    contact.save(update_fields=["household", "updated_at"])
    audit_record(
        actor=request.user,
        action="crm.household",
        instance=contact,
        organizer=organizer,
        before={"household": before},
        after={"household": contact.household_id},
        request=request,
    )
    messages.success(request, _("Foyer enregistré."))


@login_required
def privacy_requests(request, organizer_slug: str):
    """The register of GDPR requests, open ones first by deadline."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_VIEW)
    rows = (
        PrivacyRequest.objects.filter(organizer=organizer)
        .select_related("contact", "handled_by")
        .order_by(F("completed_at").asc(nulls_first=True), "due_at")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "crm/staff/privacy_requests.html",
        {"organizer": organizer, "page": page, "now": timezone.now()},
    )


@login_required
@require_POST
def contact_erase(request, organizer_slug: str, contact_pk: int):
    """Erasure asked by the person through the team (by letter, at the counter)."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    contact = get_object_or_404(Contact, pk=contact_pk, organizer=organizer, merged_into__isnull=True)
    if request.POST.get("confirm") != "on":
        messages.error(request, _("Cochez la case de confirmation pour effacer ce contact."))
        return redirect("staff:crm_contact", organizer.slug, contact.pk)
    privacy.contact_erase(contact=contact, actor=request.user)
    messages.success(request, _("Contact anonymisé."))
    return redirect("staff:crm_contact", organizer.slug, contact.pk)


@login_required
def contact_export(request, organizer_slug: str, contact_pk: int):
    """The person's data, for an access request received by the team."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    contact = get_object_or_404(Contact, pk=contact_pk, organizer=organizer, merged_into__isnull=True)
    response = HttpResponse(privacy.export_zip(contact, actor=request.user), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.zip"'
    return response


REASON_LABELS = {
    "same_name": gettext_lazy("même nom"),
    "similar_name": gettext_lazy("nom proche"),
    "same_phone": gettext_lazy("même téléphone"),
    "same_postcode": gettext_lazy("même code postal"),
    "same_household": gettext_lazy("même foyer"),
    "same_email_name": gettext_lazy("même début d'e-mail"),
    "similar_email": gettext_lazy("e-mail presque identique"),
}


@login_required
def duplicates(request, organizer_slug: str):
    """Probable duplicates, best first: merge (keeping either side) or say they are different people."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_VIEW)
    can_change = has_organizer_perm(request.user, organizer, Perm.CRM_CHANGE)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "refresh":
            tasks.find_duplicates.enqueue(organizer_id=organizer.pk)
            messages.success(request, _("La recherche des doublons est lancée ; la liste se met à jour."))
            return redirect(request.path)
        candidate = get_object_or_404(
            DuplicateCandidate,
            pk=id_param(request.POST, "candidate"),
            organizer=organizer,
            dismissed_at__isnull=True,
        )
        if action == "dismiss":
            dedupe.dismiss(candidate=candidate, actor=request.user)
            messages.success(request, _("Noté : ce sont deux personnes différentes."))
        elif action in ("keep_first", "keep_second"):
            survivor, merged = (candidate.first, candidate.second)
            if action == "keep_second":
                survivor, merged = merged, survivor
            dedupe.contacts_merge(survivor=survivor, merged=merged, actor=request.user)
            messages.success(request, _("Contacts fusionnés. La fusion peut être annulée depuis le profil."))
        else:
            raise PermissionDenied
        return redirect(request.path)
    rows = (
        DuplicateCandidate.objects.filter(
            organizer=organizer,
            dismissed_at__isnull=True,
            first__merged_into__isnull=True,
            second__merged_into__isnull=True,
        )
        .select_related("first", "second")
        .order_by("-score", "pk")
    )
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.reason_labels = [str(REASON_LABELS.get(r, r)) for r in row.reasons]
    return render(
        request,
        "crm/staff/duplicates.html",
        {"organizer": organizer, "page": page, "can_change": can_change},
    )


@login_required
@require_POST
def merge_undo(request, organizer_slug: str, merge_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    merge = get_object_or_404(Merge, pk=merge_pk, organizer=organizer, undone_at__isnull=True)
    merged = dedupe.merge_undo(merge=merge, actor=request.user)
    messages.success(request, _("Fusion annulée : les deux contacts sont de nouveau séparés."))
    return redirect("staff:crm_contact", organizer.slug, merged.pk)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV ou Excel (.xlsx)"),
        help_text=gettext_lazy("Une ligne d'en-têtes, puis une personne par ligne. 20 Mo au plus."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("Fichier trop gros (20 Mo au plus)."))
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Format non pris en charge : CSV ou XLSX."))
        return upload


MAX_IMPORT_BYTES = 20 * 1024 * 1024


@login_required
def import_start(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importer.job_create(
                organizer=organizer, actor=request.user, filename=upload.name, raw=upload.read()
            )
        except importer.UnreadableFile:
            form.add_error("file", _("Fichier illisible : vérifiez qu'il s'agit bien d'un CSV ou d'un XLSX."))
        else:
            return redirect("staff:crm_import", organizer.slug, job.pk)
    jobs = ImportJob.objects.filter(organizer=organizer).defer("content").order_by("-created_at")[:20]
    return render(
        request, "crm/staff/import_start.html", {"organizer": organizer, "form": form, "jobs": jobs}
    )


@login_required
def import_detail(request, organizer_slug: str, job_pk: int):
    """Map the columns, preview, run; then follow the progress and download the bad rows."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    job = get_object_or_404(ImportJob, pk=job_pk, organizer=organizer)
    if request.method == "POST" and job.state == ImportJob.State.MAPPING:
        mapping = {}
        for index in range(len(job.headers)):
            field = request.POST.get(f"column-{index}", "")
            if field in importer.FIELDS and field and field not in mapping.values():
                mapping[str(index)] = field
        job.mapping = mapping
        job.save(update_fields=["mapping"])
        if request.POST.get("action") == "run":
            if not {"email", "phone"} & set(mapping.values()):
                messages.error(request, _("Associez au moins une colonne à l'e-mail ou au téléphone."))
                return redirect(request.path)
            importer.remember_mapping(job)
            ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
            tasks.run_import.enqueue(job_id=job.pk)
        return redirect(request.path)
    context = {"organizer": organizer, "job": job, "fields": importer.FIELDS}
    if job.state == ImportJob.State.MAPPING:
        context["columns"] = [(str(i), h, job.mapping.get(str(i), "")) for i, h in enumerate(job.headers)]
        context["preview"] = importer.preview(job)
        context["reasons"] = importer.REASONS
    else:
        context["errors"] = [
            {**e, "label": importer.REASONS.get(e["reason"], e["reason"])} for e in job.errors[:100]
        ]
    template = (
        "crm/staff/_import_progress.html" if request.headers.get("HX-Request") else "crm/staff/import.html"
    )
    return render(request, template, context)


@login_required
def import_errors(request, organizer_slug: str, job_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    job = get_object_or_404(ImportJob, pk=job_pk, organizer=organizer)
    response = HttpResponse(importer.error_report(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="erreurs-import-{job.pk}.csv"'
    return response


# --- Segments ----------------------------------------------------------------------------------------------


def _definition_from(data) -> dict:
    """The builder's fields (top op, per group op, per rule field/value/not) as a definition."""
    groups = []
    for g in range(int(data.get("groups", 1) or 1)):
        rules = []
        for i in range(int(data.get(f"g{g}-rules", 0) or 0)):
            prefix = f"g{g}-r{i}"
            field = data.get(f"{prefix}-field", "")
            if not field or data.get(f"{prefix}-remove"):
                continue
            rules.append(
                {
                    "field": field,
                    "value": data.get(f"{prefix}-value", ""),
                    "not": bool(data.get(f"{prefix}-not")),
                }
            )
        groups.append({"op": "or" if data.get(f"g{g}-op") == "or" else "and", "rules": rules})
    return {"op": "or" if data.get("op") == "or" else "and", "groups": groups}


def _builder_context(organizer, definition: dict, segment=None) -> dict:
    choices = segments_mod.all_choices()
    choices["venue"] = [
        (str(v.pk), v.name) for v in Venue.objects.filter(organizer=organizer).order_by("name")
    ]
    choices["event"] = [
        (str(e.pk), e.title) for e in Event.objects.filter(organizer=organizer).order_by("title")
    ]
    choices["tag"] = [(str(t.pk), t.name) for t in organizer.contact_tags.order_by("name")]
    choices["segment"] = [
        (str(s.pk), s.name)
        for s in Segment.objects.filter(organizer=organizer)
        .exclude(pk=getattr(segment, "pk", None))
        .order_by("name")
    ]
    groups = definition.get("groups") or [{"op": "and", "rules": []}]
    for group in groups:
        for rule in group["rules"]:
            kind = segments_mod.all_fields().get(rule["field"], ("", "text"))[1]
            rule["kind"] = kind
            rule["choices"] = [(str(k), v) for k, v in choices.get(kind, [])]
    try:
        count = segments_mod.contacts_of(organizer, definition).count()
        error = ""
    except segments_mod.InvalidDefinition:
        count, error = None, _("Une condition est incomplète ou invalide.")
    return {
        "definition": {**definition, "groups": groups},
        "fields": [(k, label) for k, (label, _kind) in segments_mod.all_fields().items()],
        "count": count,
        "count_error": error,
        "segment": segment,
    }


@login_required
def segment_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_VIEW)
    rows = []
    for segment in Segment.objects.filter(organizer=organizer).order_by("name"):
        try:
            count = segments_mod.members(segment).count()
        except segments_mod.InvalidDefinition:
            count = None
        rows.append((segment, count))
    return render(
        request,
        "crm/staff/segment_list.html",
        {
            "organizer": organizer,
            "rows": rows,
            "can_change": has_organizer_perm(request.user, organizer, Perm.CRM_CHANGE),
        },
    )


@login_required
def segment_edit(request, organizer_slug: str, segment_pk: int | None = None):
    """The builder: conditions in groups, the live count; save as a dynamic segment or as a fixed list."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_VIEW)
    can_change = has_organizer_perm(request.user, organizer, Perm.CRM_CHANGE)
    segment = get_object_or_404(Segment, pk=segment_pk, organizer=organizer) if segment_pk else None
    name = segment.name if segment else ""
    definition = (
        dict(segment.definition) if segment else {"op": "and", "groups": [{"op": "and", "rules": []}]}
    )
    if request.method == "POST":
        definition = _definition_from(request.POST)
        name = request.POST.get("name", "").strip()[:150]
        action = request.POST.get("action", "")
        if action.startswith("add_rule:"):
            group = definition["groups"][int(action.split(":")[1])]
            group["rules"].append({"field": "attended_genre", "value": "", "not": False})
        elif action == "add_group":
            definition["groups"].append(
                {"op": "and", "rules": [{"field": "attended_genre", "value": "", "not": False}]}
            )
        elif action in ("save", "save_static"):
            if not can_change:
                raise PermissionDenied
            try:
                segments_mod.contacts_of(organizer, definition).exists()
            except segments_mod.InvalidDefinition:
                messages.error(request, _("Une condition est incomplète ou invalide."))
            else:
                if not name:
                    messages.error(request, _("Donnez un nom au segment."))
                elif (
                    Segment.objects.filter(organizer=organizer, name=name)
                    .exclude(pk=getattr(segment, "pk", None))
                    .exists()
                ):
                    messages.error(request, _("Un segment porte déjà ce nom."))
                else:
                    segment = _segment_save(
                        request, organizer, segment, name, definition, static=action == "save_static"
                    )
                    messages.success(request, _("Segment enregistré."))
                    return redirect("staff:crm_segment", organizer.slug, segment.pk)
    context = {
        "organizer": organizer,
        "name": name,
        "can_change": can_change,
        **_builder_context(organizer, definition, segment),
    }
    if request.headers.get("HX-Request") and request.POST.get("action") == "count":
        return render(request, "crm/staff/_segment_count.html", context)
    return render(request, "crm/staff/segment_edit.html", context)


def _segment_save(request, organizer, segment, name, definition, *, static: bool) -> Segment:
    with transaction.atomic():
        if segment is None:
            segment = Segment(organizer=organizer, created_by=request.user)
        segment.name = name
        if static:  # a fixed list: today's members, whatever happens later
            members = list(segments_mod.contacts_of(organizer, definition).values_list("pk", flat=True))
            segment.kind, segment.definition = Segment.Kind.STATIC, definition
            segment.save()
            segment.members.set(members)
        else:
            segment.kind, segment.definition = Segment.Kind.DYNAMIC, definition
            segment.save()
    return segment


@login_required
def segment_export(request, organizer_slug: str, segment_pk: int, fmt: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    segment = get_object_or_404(Segment, pk=segment_pk, organizer=organizer)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    return exports.contacts_response(segments_mod.members(segment), fmt, f"segment-{segment.pk}")


@login_required
def contacts_export(request, organizer_slug: str, fmt: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_CHANGE)
    return exports.contacts_response(
        selectors.search(organizer, request.GET.get("q", "")[:100]), fmt, "contacts"
    )


@login_required
def retention_page(request, organizer_slug: str):
    """The dry run of the retention rules, and the button that applies them."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CRM_VIEW)
    can_apply = has_organizer_perm(request.user, organizer, Perm.CRM_CHANGE) and has_organizer_perm(
        request.user, organizer, Perm.ORGANIZER_SETTINGS
    )
    if request.method == "POST":
        if not can_apply or request.POST.get("confirm") != "on":
            raise PermissionDenied
        tasks.apply_retention.enqueue(organizer_id=organizer.pk, actor_id=request.user.pk)
        messages.success(request, _("L'anonymisation est lancée."))
        return redirect(request.path)
    return render(
        request,
        "crm/staff/retention.html",
        {"organizer": organizer, "report": retention.report(organizer), "can_apply": can_apply},
    )


@login_required
def network_audience(request, network_slug: str):
    """The network's shared audience, in figures only: people linked across its organizers (they consented
    at each and proved their address), per organizer and per pair of organizers; no figure about fewer
    than `audience.MIN_COUNT` people, and no contact's name or address (each organizer remains
    the controller of its own contacts)."""

    network = require_network_perm(request.user, network_slug, Perm.NETWORK_AUDIENCE)
    names = dict(network.organizers.values_list("pk", "name"))
    cells = audience.circulation(network)
    members = [(names[a], cells[(a, b)]) for (a, b) in cells if a == b and a in names]
    pairs = sorted(
        (
            (names[a], names[b], n)
            for (a, b), n in cells.items()
            if a != b and n is not None and a in names and b in names
        ),
        key=lambda row: (-row[2], row[0], row[1]),
    )
    people = audience.linked_profiles(network).count()
    return render(
        request,
        "crm/staff/network_audience.html",
        {
            "network": network,
            "people": people if people >= audience.MIN_COUNT else None,
            "members": sorted(members, key=lambda row: row[0]),
            "pairs": pairs[:100],
            "hidden_pairs": sum(1 for (a, b), n in cells.items() if a != b and n is None),
            "pass_effect": audience.pass_effect(network),
            "min_count": audience.MIN_COUNT,
        },
    )
