"""Extension points: how a lower layer lets the apps above it act without importing them.

A lower app declares a `Registry` of small protocol objects; each app above registers its own in its
`AppConfig.ready()`, as Django's admin registers `ModelAdmin`s. The lower app then calls every registered
object at the right moment of its flow, in registration order (the order of INSTALLED_APPS). No Django
signal carries domain flow: a registry is explicit, ordered, and its failures propagate to the caller's
transaction. See docs/adr/0005-layers-and-extension-points.md.
"""

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered set of registered objects, each under a unique name."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        """Register `item` under `name`; registering the same name again replaces it (a test may)."""
        self._items[name] = item
        return item

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry of {self.what}: {', '.join(self._items)}>"
