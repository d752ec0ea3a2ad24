"""What the recommendations add to the public pages."""

from parvis.core.params import int_or_none
from parvis.programming.extensions import EventPageAddition

from . import selectors, tracking


class AlsoLike(EventPageAddition):
    """ "Vous aimerez aussi" at the foot of an event's page, and the network's other members' shows: the
    same for everyone (no personal data), counted per day; a page reached from a suggestion
    (`?suggestion=`) counts the click where it came from: another page's list, or an account page's
    suggestions."""

    def render_context(self, request, event):
        lists = selectors.under(event)
        _came_from(request.GET.get("suggestion", "")[:100], event)
        for suggestions, owner in ((lists.own, "organizer_id"), (lists.elsewhere, "network_id")):
            if suggestions:
                owner_id = event.organizer_id if owner == "organizer_id" else lists.network_id
                first = suggestions[0]
                tracking.page_shown(**{owner: owner_id}, version=first.version, curiosity=first.curiosity)
        if not lists.own and not lists.elsewhere:
            return None
        return "recommendations/_also_like.html", {
            "suggestions": lists.own,
            "elsewhere": lists.elsewhere,
            "network_name": lists.network_name,
            "came_from": tracking.PAGE,
            "came_from_network": f"{tracking.NETWORK_PAGE}{lists.network_id}",
        }


def _came_from(came_from: str, event) -> None:
    if came_from == tracking.PAGE:
        owner = {"organizer_id": event.organizer_id}
    elif came_from.startswith(tracking.NETWORK_PAGE):
        network_id = int_or_none(came_from.removeprefix(tracking.NETWORK_PAGE))
        if network_id is None:
            return
        owner = {"network_id": network_id}
    else:
        if came_from:
            tracking.clicked(came_from, event.pk)
        return
    training = selectors.latest_training(**owner)
    if training is not None:
        policy = selectors.policy_of(**owner)
        tracking.page_clicked(**owner, version=training.version, curiosity=policy.curiosity)
