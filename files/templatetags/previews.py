from django import template

from files.models import Upload
from files.uploads import downloads, thumbnails

register = template.Library()


@register.filter
def thumbnail_url(upload: Upload) -> str | None:
    """A short-lived signed GET of the file's preview (signed locally), or None."""
    return thumbnails.url(upload)


@register.filter
def opens_inline(upload: Upload) -> bool:
    """Whether "Open" shows the file in the browser (the inline allow-list)."""
    return downloads.opens_inline(upload)
