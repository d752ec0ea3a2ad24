"""The form renderer (`FORM_RENDERER = "parvis.web.forms.InputRenderer"`).

Django renders each `<input>` through three templates: the widget's own, `input.html` and `attrs.html`, with
a loop and two tests for each attribute. On the checkout page, that was a tenth of the time spent rendering
it. `InputRenderer` writes the same HTML in Python for the widgets whose template only includes `input.html`,
and for the radio and checkbox options. The tests compare it with Django's templates, byte for byte.
Any other widget, or one of these templates overridden by an app, is rendered by Django's templates.
"""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe

_DJANGO_FORMS_TEMPLATES = str(Path(django.forms.__file__).parent / "templates")
_DJANGO_WIDGETS = "django/forms/widgets/"
_INPUTS = frozenset(
    f"{_DJANGO_WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "email",
        "number",
        "hidden",
        "password",
        "checkbox",
        "tel",
        "url",
        "search",
        "color",
        "date",
        "datetime",
        "time",
    )
)
_OPTIONS = frozenset(
    f"{_DJANGO_WIDGETS}{name}.html" for name in ("input_option", "radio_option", "checkbox_option")
)
# The templates whose HTML is written here: each must be Django's own for this renderer to skip it.
_WRITTEN_HERE = tuple(f"{_DJANGO_WIDGETS}{name}.html" for name in ("input", "attrs", "input_option"))
_CONTEXT = Context(autoescape=True)


class InputRenderer(DjangoTemplates):
    def __init__(self):
        self._django_own: dict[str, bool] = {}

    def render(self, template_name, context, request=None):
        if template_name in _INPUTS and self._is_djangos(template_name):
            return mark_safe(_input(context["widget"]))  # noqa: S308 (every value is escaped)
        if template_name in _OPTIONS and self._is_djangos(template_name):
            return mark_safe(_option(context["widget"]))  # noqa: S308 (every value is escaped)
        return super().render(template_name, context, request=request)

    def _is_djangos(self, template_name: str) -> bool:
        """Whether this template, and those written here, are found in Django's forms (not overridden)."""
        own = self._django_own.get(template_name)
        if own is None:
            own = self._django_own[template_name] = all(
                self.get_template(name).origin.name.startswith(_DJANGO_FORMS_TEMPLATES)
                for name in (template_name, *_WRITTEN_HERE)
            )
        return own


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}` with autoescaping."""
    text = str(value)
    return text if isinstance(value, SafeData) else escape(text)


def _input(widget) -> str:
    """django/forms/widgets/input.html and attrs.html."""
    parts = [
        '<input type="',
        render_value_in_context(widget["type"], _CONTEXT),
        '" name="',
        render_value_in_context(widget["name"], _CONTEXT),
        '"',
    ]
    if widget["value"] is not None:
        parts += [' value="', _formatted(widget["value"]), '"']
    for name, value in widget["attrs"].items():
        if value is not False:
            parts += [" ", render_value_in_context(name, _CONTEXT)]
            if value is not True:
                parts += ['="', _formatted(value), '"']
    parts.append(">")
    return "".join(parts)


def _option(widget) -> str:
    """django/forms/widgets/input_option.html (its input.html include keeps that file's last line break)."""
    html = _input(widget) + "\n"
    if widget.get("wrap_label"):
        label_for = widget["attrs"].get("id")
        opening = f' for="{render_value_in_context(label_for, _CONTEXT)}"' if label_for else ""
        html = f"<label{opening}>{html} {render_value_in_context(widget['label'], _CONTEXT)}</label>"
    return html.strip()
