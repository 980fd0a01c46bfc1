from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from blog import pagecache
from pages.models import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def page_menu(context):
    """The header menu's pages, each marked as the current page where it is.

    The list is read once per version of the site (blog/pagecache.py), not on every page.
    """
    request = context.get("request")
    items = pagecache.fragment(
        request,
        "menu-pages",
        [pagecache.SITE],
        lambda: [(page.title, page.get_absolute_url()) for page in Page.objects.in_menu()],
    )
    current = request.path if request is not None else None
    return mark_safe(render_to_string("pages/_menu.html", {"items": items, "current": current}))
