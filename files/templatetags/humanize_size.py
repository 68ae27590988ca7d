from django import template

from files.sizes import format_size

register = template.Library()


@register.filter(name="bytes")
def human_bytes(size: int | None) -> str:
    """1234567 -> "1.2 MB" (decimal units, as file managers show them)."""
    return "" if size is None else format_size(int(size))
