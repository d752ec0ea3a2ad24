"""`InputRenderer` writes the same HTML as Django's widget templates."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from parvis.web.forms import InputRenderer


class Everything(forms.Form):
    text = forms.CharField(
        max_length=20, help_text="Aide", widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    email = forms.EmailField(required=False)
    number = forms.DecimalField(min_value=Decimal("0.5"), decimal_places=2, localize=True)
    count = forms.IntegerField(widget=forms.NumberInput(attrs={"data-x": 'a"<b>&', "disabled": True}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    agree = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"off": False}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField()
    phone = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", "pattern": mark_safe("[0-9]{10}")}))
    provider = forms.ChoiceField(
        choices=[("demo", "Démo <test>"), ("card", mark_safe("<b>Carte</b>")), (3, 3)],
        widget=forms.RadioSelect,
    )
    days = forms.MultipleChoiceField(
        choices=[("mon", "Lundi"), ("tue", "Mardi")], widget=forms.CheckboxSelectMultiple, required=False
    )
    kind = forms.ChoiceField(choices=[("a", "A & B")])  # a <select>: Django's templates still
    note = forms.CharField(widget=forms.Textarea)


def _html(form) -> list[str]:
    html = [str(field) for field in form]
    html += [choice.tag() for choice in form["provider"]] + [str(choice) for choice in form["provider"]]
    html += [str(choice) for choice in form["days"]]
    return html


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": 'Zoé "<script>" & co',
            "email": "not an e-mail",
            "number": "1234,5",
            "count": "7",
            "hidden": "h&",
            "secret": "s<",
            "agree": "on",
            "day": "2026-12-01",
            "when": "01/12/2026 20:30",
            "phone": "0102030405",
            "provider": "3",
            "days": ["mon", "tue"],
            "kind": "a",
            "note": "n",
        },
    ],
)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_inputs_are_django_s_html_byte_for_byte(data, language):
    from django.utils import translation

    initial = {"text": mark_safe("<i>déjà</i>"), "when": datetime.datetime(2026, 12, 1, 20, 30), "count": 0}
    with translation.override(language):
        ours = _html(Everything(data, initial=initial, renderer=InputRenderer()))
        djangos = _html(Everything(data, initial=initial, renderer=DjangoTemplates()))
    assert ours == djangos
    assert any('value="Zoé &quot;&lt;script&gt;&quot; &amp; co"' in html for html in ours) or data is None


def test_a_widget_template_overridden_by_an_app_is_used(tmp_path):
    renderer = InputRenderer()
    assert renderer._is_djangos("django/forms/widgets/text.html")
    original = renderer.get_template

    class Overridden:
        class origin:  # noqa: N801
            name = str(tmp_path / "django/forms/widgets/text.html")

        def render(self, context, request=None):
            return "<custom>"

    renderer.get_template = lambda name: Overridden() if name.endswith("/text.html") else original(name)
    renderer._django_own.clear()
    assert str(Everything(renderer=renderer)["text"]) == "<custom>"
    assert str(Everything(renderer=renderer)["email"]).startswith('<input type="email"')


def test_the_site_renders_its_forms_with_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), InputRenderer)


@pytest.mark.django_db
def test_every_page_names_its_icon_and_favicon_ico_leads_to_it(client):
    page = client.get("/mes-donnees/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("parvis/favicon.svg")
