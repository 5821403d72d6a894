"""`{{ log.error_message|in_words }}`: a failure reason as staff read it
(campaigns.outbox.failures)."""

from django import template

from campaigns.outbox import failures

register = template.Library()


@register.filter
def in_words(raw: str) -> str:
    return failures.in_words(raw)
