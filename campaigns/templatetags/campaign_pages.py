"""`{{ row|get_item:name }}`: a value of a dict by a name the template holds in a variable
(the campaign page's per-step table walks its columns by name)."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
