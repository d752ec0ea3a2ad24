"""What the recommendations add to the public pages."""

from parvis.programming.extensions import EventPageAddition

from . import selectors, tracking


class AlsoLike(EventPageAddition):
    """ "Vous aimerez aussi" at the foot of an event's page: the same for everyone (no personal data),
    counted per day; a page reached from a suggestion (`?suggestion=`) counts the click where it came
    from: another page's list, or an account page's suggestions."""

    def render_context(self, request, event):
        suggestions = selectors.also_like(event)
        came_from = request.GET.get("suggestion", "")[:100]
        if came_from == tracking.PAGE:
            training = selectors.latest_training(event.organizer_id)
            if training is not None:
                policy = selectors.policy_of(event.organizer_id)
                tracking.page_clicked(event.organizer_id, training.version, policy.curiosity)
        elif came_from:
            tracking.clicked(came_from, event.pk)
        if not suggestions:
            return None
        first = suggestions[0]
        tracking.page_shown(event.organizer_id, first.version, first.curiosity)
        return "recommendations/_also_like.html", {"suggestions": suggestions, "came_from": tracking.PAGE}
