from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

import pagecache
from blog.site import site_settings
from pages.models import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def page_menu(context):
    """The header menu: the pages placed in it and the site settings' links, in one order.

    Both have a menu order, smallest first; a page comes before a link of the same order.
    The pages are read once per version of the site (pagecache/store.py), not on every
    page; the links come with the site's settings.
    """
    request = context.get("request")
    pages = pagecache.fragment(
        request,
        "menu-pages",
        [pagecache.SITE],
        lambda: [
            (page.menu_order, page.title, page.get_absolute_url())
            for page in Page.objects.in_menu()
        ],
    )
    links = [
        (link.menu_order, link.label, link.url) for link in site_settings(request).menu_links.all()
    ]
    # Sorted by order alone, and stably: each list keeps its own order within one number.
    merged = sorted(
        [(order, 0, title, url) for order, title, url in pages]
        + [(order, 1, label, url) for order, label, url in links],
        key=lambda item: item[:2],
    )
    items = [(title, url) for _, _, title, url in merged]
    current = request.path if request is not None else None
    return mark_safe(render_to_string("pages/_menu.html", {"items": items, "current": current}))
