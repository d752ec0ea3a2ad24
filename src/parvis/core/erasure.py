"""Copies of a person's data that no app owns: the audit log, stored background work, the development
outbox. An erasure (crm.privacy) names the person's words (names, e-mails, phones) and the rows about them;
these functions make each copy forget them, keeping what happened but not who.
"""

from collections.abc import Iterable

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_noop
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import AuditLogEntry, OutboxMessage

ERASED = gettext_noop("[effacé]")


def words_of(*values: str) -> list[str]:
    """The words to forget: each value as given, trimmed; none shorter than three characters (a match on
    "Li" would erase other people's words)."""
    return sorted({v.strip() for v in values if v and len(v.strip()) >= 3}, key=str.casefold)


def scrub(value, words: Iterable[str]):
    """`value` (JSON-like) with every string that holds one of `words` (case folded) replaced by ERASED."""
    folded = [w.casefold() for w in words]
    if not folded:
        return value

    def _scrub(v):
        if isinstance(v, str):
            text = v.casefold()
            return ERASED if any(w in text for w in folded) else v
        if isinstance(v, dict):
            return {k: _scrub(item) for k, item in v.items()}
        if isinstance(v, list):
            return [_scrub(item) for item in v]
        return v

    return _scrub(value)


def audit_pseudonymise(about: Iterable[tuple[str, Iterable]], words: list[str]) -> int:
    """The audit entries about these rows (`(model label, ids)` pairs) keep their action, author and date;
    their object is named by its kind and id, and every value holding one of the person's words is
    replaced. Returns how many entries changed."""
    condition = Q()
    for label, ids in about:
        ids = [str(i) for i in ids]
        if ids:
            condition |= Q(object_type=label, object_id__in=ids)
    if not condition:
        return 0
    changed = 0
    for entry in AuditLogEntry.objects.filter(condition).iterator():
        fields = {
            "object_repr": f"{entry.object_type.rsplit('.', 1)[-1]} #{entry.object_id}",
            "before": scrub(entry.before, words),
            "after": scrub(entry.after, words),
        }
        if any(getattr(entry, name) != value for name, value in fields.items()):
            AuditLogEntry.objects.filter(pk=entry.pk).update(**fields)  # the log's rows are never saved
            changed += 1
    return changed


def mentioning(queryset, fields: Iterable[str], words: list[str]):
    """The rows of `queryset` whose text in one of `fields` (JSON included, as text) holds one of `words`."""
    condition = Q()
    for index, field in enumerate(fields):
        queryset = queryset.annotate(**{f"_text{index}": Cast(field, TextField())})
        for word in words:
            condition |= Q(**{f"_text{index}__icontains": word})
    return queryset.filter(condition) if condition else queryset.none()


def task_results_forget(words: list[str]) -> int:
    """Background work stored with the person's words in its arguments or its result (work enqueued by an
    earlier version, which passed addresses rather than ids): deleted, unless a worker is running it."""
    rows = mentioning(
        DBTaskResult.objects.exclude(status=TaskResultStatus.RUNNING), ("args_kwargs", "return_value"), words
    )
    return DBTaskResult.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).delete()[0]


def outbox_forget(emails: list[str]) -> int:
    """The development outbox's messages to these addresses."""
    condition = Q()
    for email in emails:
        condition |= Q(to__icontains=email)
    return OutboxMessage.objects.filter(condition).delete()[0] if condition else 0
