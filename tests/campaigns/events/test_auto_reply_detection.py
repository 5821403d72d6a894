"""What counts as an automatic answer: RFC 3834's headers, the usual others, and the
subjects out-of-office notices start with in English, French and Spanish."""

import pytest

from campaigns.events.auto_replies import is_auto_reply


@pytest.mark.parametrize(
    "headers",
    [
        {"auto-submitted": "auto-replied"},
        {"auto-submitted": "auto-generated"},
        {"auto-submitted": "auto-replied; owner-email=ana@example.com"},
        {"x-autoreply": "yes"},
        {"x-autorespond": "Out of office"},
        {"precedence": "auto_reply"},
        {"precedence": " Auto_Reply "},
    ],
)
def test_the_headers_of_automatic_answers_are_recognised(headers):
    assert is_auto_reply({"subject": "Re: Hi", **headers})


@pytest.mark.parametrize(
    "subject",
    [
        "Out of office",
        "Out of the Office: Hi",
        "Out of Office: Re: New homes in Pasadena",
        "Automatic reply: Hi",
        "Autoreply: Hi",
        "Auto-reply: Hi",
        "Auto: Hi",
        "Absent",
        "Absence du bureau",
        "Réponse automatique : Nouvelles maisons",
        "Reponse automatique: Bonjour",
        "En congés jusqu'au 3 janvier",
        "Respuesta automática: Nuevas casas",
        "Respuesta automatica: Hola",
        "Fuera de la oficina",
        "Fuera de oficina hasta el 15/12",
        "Ausente",
        "De vacaciones hasta el 3 de enero",
        "Mensaje automático",
    ],
)
def test_out_of_office_subjects_are_recognised(subject):
    assert is_auto_reply({"subject": subject})


@pytest.mark.parametrize(
    "headers",
    [
        {"subject": "Re: Hi"},
        {"subject": "Re: Out of office?"},
        {"subject": "Autumn visit"},
        {"subject": "Absolutely, call me"},
        {"subject": "Re: ¿Ausente el sábado?"},
        {"subject": "Fuerte interés en el piso"},
        {"subject": "Re: Hi", "auto-submitted": "no"},
        {"subject": "Re: Hi", "auto-submitted": ""},
        {"subject": "Re: Hi", "precedence": "bulk"},
    ],
)
def test_a_persons_reply_is_not_automatic(headers):
    assert not is_auto_reply(headers)
