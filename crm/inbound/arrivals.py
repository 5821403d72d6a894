"""What else happens when a lead arrives through a key: the apps above the CRM register
here (the campaigns enrol the lead in the key's sequence), so that the CRM imports none
of them."""

from collections.abc import Callable

from crm.models import InboundKey, Lead

Arrival = Callable[[Lead, InboundKey, bool], None]
_arrivals: list[Arrival] = []


def on_arrival(hook: Arrival) -> Arrival:
    """Call `hook(lead, key, created)` after each lead a key brings in or updates (once
    committed); registered when an app is ready."""
    if hook not in _arrivals:
        _arrivals.append(hook)
    return hook


def arrived(lead: Lead, key: InboundKey, created: bool) -> None:
    for hook in _arrivals:
        hook(lead, key, created)
