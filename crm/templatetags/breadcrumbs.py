"""The header's breadcrumbs: "Leads > Import", "Campaigns > Price drop alert > Launch".

Unfold's header names the app, then the model ("Campaigns > Campaigns"), and knows nothing
of the pages added to an admin. A view may set `breadcrumbs`: a list of models (their
list), objects (their page) and plain words (the page itself); other pages get theirs from
the admin's own context.
"""

from typing import Any

from django import template
from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

register = template.Library()


def _part(item: Any) -> dict[str, Any]:
    if isinstance(item, type) and issubclass(item, Model):
        meta = item._meta
        return {"title": meta.verbose_name_plural, "link": _url(meta, "changelist")}
    if isinstance(item, Model):
        return {"title": str(item), "link": _url(item._meta, "change", item.pk)}
    return {"title": str(item)}


def _url(meta: Any, view: str, *args: Any) -> str | None:
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def _admin_trail(context: Any) -> list[Any]:
    opts = context.get("opts")
    if opts is None:
        return [context["title"]] if context.get("title") else []
    trail: list[Any] = [opts.model]
    shown = context.get("original") or context.get("object")
    if isinstance(shown, Model):
        trail.append(shown)
    elif context.get("add"):
        trail.append(f"Add {opts.verbose_name}")
    return trail


@register.simple_tag(takes_context=True)
def page_breadcrumbs(context: Any) -> str:
    trail = context.get("breadcrumbs")
    if trail is None:
        trail = _admin_trail(context)
    return render_to_string(
        "unfold/helpers/header_title.html",
        {"parts": [_part(item) for item in trail]},
        request=context.get("request"),
    )
