"""What the recommendations add to the public pages."""

from parvis.programming.extensions import EventPageAddition

from . import selectors


class AlsoLike(EventPageAddition):
    """ "Vous aimerez aussi" at the foot of an event's page: the same for everyone (no personal data)."""

    def render_context(self, request, event):
        suggestions = selectors.also_like(event)
        if not suggestions:
            return None
        return "recommendations/_also_like.html", {"suggestions": suggestions}
