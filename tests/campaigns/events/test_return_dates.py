"""The day an out-of-office subject says its writer is back: read conservatively."""

import datetime

import pytest

from campaigns.events.return_dates import return_date

TODAY = datetime.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("subject", "back"),
    [
        # "until" names the last day away: back the day after.
        ("Out of office until 12/15", datetime.date(2026, 12, 16)),
        ("Automatic reply: away through December 15th", datetime.date(2026, 12, 16)),
        ("Absent jusqu'au 15/12", datetime.date(2026, 12, 16)),
        ("Réponse automatique : absent jusqu’au lundi 15 décembre", datetime.date(2026, 12, 16)),
        ("Out of office until 2026-12-15", datetime.date(2026, 12, 16)),
        # "back on" names the first day back.
        ("Out of Office: back on December 15", datetime.date(2026, 12, 15)),
        ("Out of office, back on Monday, Dec. 14, 2026", datetime.date(2026, 12, 14)),
        ("Absent, de retour le 1er janvier 2027", datetime.date(2027, 1, 1)),
        ("Auto: returning 15/12", datetime.date(2026, 12, 15)),
        ("Out of office 2026-12-20", datetime.date(2026, 12, 20)),
        # Without a year, the nearest such day: early January is next year's.
        ("Out of office till Jan 5", datetime.date(2027, 1, 6)),
        ("Out of office until 4 January", datetime.date(2027, 1, 5)),
        # Spanish: the day first, as in French.
        ("Respuesta automática: fuera de la oficina hasta el 11/12", datetime.date(2026, 12, 12)),
        ("Ausente hasta el lunes 14 de diciembre de 2026", datetime.date(2026, 12, 15)),
        ("Fuera de la oficina, de vuelta el 2 de enero", datetime.date(2027, 1, 2)),
        ("De vacaciones: regresaré el jueves 7 de enero", datetime.date(2027, 1, 7)),
        ("Estaré de regreso el 10 dic.", datetime.date(2026, 12, 10)),
        ("Mensaje automático hasta 2026-12-20", datetime.date(2026, 12, 21)),
    ],
)
def test_a_return_date_is_read_in_english_french_and_spanish(subject, back):
    assert return_date(subject, TODAY) == back


@pytest.mark.parametrize(
    "subject",
    [
        "Out of office",
        "Out of office until 11/12",  # November 12 or 11 December: not guessed
        "Out of office until 11/30",  # back today: nothing to hold for
        "Out of office until 2026-11-20",  # a notice nobody updated
        "Back Monday",
        "Out of office until 13/13",
        "Out of office until 2026-02-30",
        "Auto: back on the 3rd",
        "Meeting on 12/15 about the loft",  # no word announcing a return
        "Ausente hasta el 13/13",
        "Visita el 15 de diciembre",  # no word announcing a return
    ],
)
def test_no_date_is_guessed_when_the_subject_gives_none_or_an_unclear_one(subject):
    assert return_date(subject, TODAY) is None
