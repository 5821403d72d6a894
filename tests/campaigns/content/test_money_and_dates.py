"""`money` and `date_local` in staff templates: amounts and dates written by Babel in the
campaign's locale (the agency's country and currency), bad values refused with a sentence
naming the filter and the value, and each filter's cost bounded like any other's."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campaigns.content import formats
from campaigns.content.email_locale import EmailLocale, writing
from campaigns.content.rendering import SAMPLE_CONTEXT, TemplateError, render

NBSP, NNBSP = "\xa0", "\u202f"  # CLDR's spaces: before €, and between thousands in French
PARIS = EmailLocale("fr", "FR", "EUR", ZoneInfo("Europe/Paris"))
LOS_ANGELES = EmailLocale("en", "US", "USD", ZoneInfo("America/Los_Angeles"))
MADRID = EmailLocale("es", "ES", "EUR", ZoneInfo("Europe/Madrid"))
MIAMI_IN_SPANISH = EmailLocale("es", "US", "USD", ZoneInfo("America/New_York"))


def rendered(source: str, locale: EmailLocale, **values) -> str:
    with writing(locale):
        return render(source, {**SAMPLE_CONTEXT, **values}, html=False)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (PARIS, f"420{NNBSP}000{NBSP}€"),
        (LOS_ANGELES, "$420,000"),
        (MADRID, f"420.000{NBSP}€"),
        (MIAMI_IN_SPANISH, "$420,000"),
    ],
)
def test_a_price_is_written_as_the_agencys_country_writes_its_currency(locale, expected):
    assert rendered("{{ property.price | money }}", locale, property={"price": 420_000}) == (
        expected
    )


def test_money_may_name_another_currency_and_show_the_cents():
    assert rendered("{{ 1250.5 | money('USD', true) }}", PARIS) == f"1{NNBSP}250,50{NBSP}$US"
    assert rendered("{{ 1250.5 | money('eur', cents=true) }}", LOS_ANGELES) == "€1,250.50"
    assert rendered("{{ '420000' | money }}", LOS_ANGELES) == "$420,000"


@pytest.mark.parametrize(
    ("locale", "style", "expected"),
    [
        (PARIS, "long", "5 mars 2026"),
        (PARIS, "full", "jeudi 5 mars 2026"),
        (LOS_ANGELES, "long", "March 5, 2026"),
        (LOS_ANGELES, "short", "3/5/26"),
        (MADRID, "long", "5 de marzo de 2026"),
    ],
)
def test_a_date_is_written_in_the_campaigns_language(locale, style, expected):
    assert rendered(f"{{{{ lead.created_at | date_local('{style}') }}}}", locale) == expected


def test_a_moment_is_dated_on_the_agencys_calendar_not_utcs():
    # 02:30 UTC on the 6th is still the evening of the 5th in Los Angeles.
    lead = {
        **SAMPLE_CONTEXT["lead"],
        "created_at": datetime.datetime(2026, 3, 6, 2, 30, tzinfo=datetime.UTC),
    }
    assert rendered("{{ lead.created_at | date_local }}", LOS_ANGELES, lead=lead) == "March 5, 2026"
    assert rendered("{{ lead.created_at | date_local }}", PARIS, lead=lead) == "6 mars 2026"


def test_one_compiled_template_serves_every_language():
    """Jinja folds constant filters while compiling, and compiled templates are cached and
    shared: {{ 420000 | money }} must still be written per render."""
    source = "{{ 420000 | money }} {{ 3 | money('EUR') }}"
    assert rendered(source, LOS_ANGELES) == "$420,000 €3"
    assert rendered(source, PARIS) == f"420{NNBSP}000{NBSP}€ 3{NBSP}€"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'abc' | money }}", formats.NOT_A_NUMBER.format(name="money", value="the text “abc”")),
        ("{{ none | money }}", formats.EMPTY.format(name="money")),
        ("{{ '' | money }}", formats.EMPTY.format(name="money")),
        ("{{ true | money }}", formats.NOT_A_NUMBER.format(name="money", value="True")),
        ("{{ [1] | money }}", formats.NOT_A_NUMBER.format(name="money", value="a list")),
        ("{{ 'nan' | money }}", formats.NOT_FINITE.format(name="money", value="the text “nan”")),
        (
            "{{ (10 ** 300) | money }}",
            formats.TOO_LARGE.format(name="money", value="a number of 301 digits"),
        ),
        (
            "{{ '1e999999' | money }}",
            formats.TOO_LARGE.format(name="money", value="the text “1e999999”"),
        ),
        ("{{ 5 | money('XYZ') }}", formats.UNKNOWN_CURRENCY.format(value="the text “XYZ”")),
        ("{{ 5 | money(5) }}", formats.UNKNOWN_CURRENCY.format(value="5")),
        (
            "{{ '2026-03-05' | date_local }}",
            formats.NOT_A_DATE.format(value="the text “2026-03-05”"),
        ),
        ("{{ 20260305 | date_local }}", formats.NOT_A_DATE.format(value="20260305")),
        ("{{ none | date_local }}", formats.EMPTY.format(name="date_local")),
        (
            "{{ lead.created_at | date_local('d MMMM y') }}",
            formats.UNKNOWN_DATE_FORMAT.format(value="the text “d MMMM y”"),
        ),
    ],
)
def test_what_cannot_be_formatted_is_refused_with_a_sentence_and_the_line(source, message):
    with pytest.raises(TemplateError) as refused:
        rendered("Hello\n" + source, PARIS)
    assert refused.value.line == 2
    assert str(refused.value) == f"Line 2: {message}"


def test_a_typo_in_a_filter_name_suggests_ours():
    with pytest.raises(TemplateError, match="Did you mean “money”"):
        render("{{ property.price | monay }}", SAMPLE_CONTEXT, html=False)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_number_that_is_not_finite_is_refused(value):
    with pytest.raises(TemplateError, match="“money” takes a finite number"):
        rendered("{{ property.price | money }}", PARIS, property={"price": value})


def test_a_loop_of_formatting_is_stopped_by_the_time_budget():
    # 96,000 amounts (loop steps stop at 100,000): over a second of Babel's work, five times
    # what a render may take.
    letters = "abcdefghijklmnopqrstuvwxyz" * 4  # 104 letters, 96 of them looped over
    source = (
        f"{{% for i in range(1000) %}}{{% for c in '{letters[:96]}' %}}{{{{ i | money }}}}"
        "{% endfor %}{% endfor %}"
    )
    with pytest.raises(TemplateError, match="seconds of work"):
        rendered(source, PARIS)


def test_the_formats_take_decimals_and_write_areas_in_the_countrys_unit():
    assert formats.money(Decimal("99.5"), cents=True, locale=PARIS) == f"99,50{NBSP}€"
    assert formats.area(85, locale=PARIS) == f"85{NNBSP}m²"
    assert formats.area(915, locale=LOS_ANGELES) == "915 sq ft"
    assert formats.area(915, locale=MIAMI_IN_SPANISH) == "915 ft²"
    assert formats.number(1234567, locale=MADRID) == "1.234.567"
