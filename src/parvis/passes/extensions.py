"""What the passes let the apps above them change (docs/adr/0005).

`rankers`: the order of the dates a holder's page suggests, and why each (the recommendations: from the
holder's own choices across the network, when they agreed). By default, venues the holder has never been
to first, then by date.
"""

from parvis.core.registry import Registry


class SuggestionRanker:
    def rank(self, holding, rows: list[dict]) -> list[dict]:
        """`rows` ({"performance", "new_venue"}, venues new to the holder first, then by date) in the
        order to show; a row may get a "why" (text in the active language)."""
        return rows


rankers: Registry[SuggestionRanker] = Registry("orderings of a pass holder's suggested dates")
