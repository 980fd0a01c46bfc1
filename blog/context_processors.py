from django.utils.functional import SimpleLazyObject, lazy

from blog.site import site_settings


def site(request):
    """The site's settings (`site`) and name (`SITE_NAME`), for every template.

    Read only when a template uses them (error pages that must render without the
    database do not), and then once per request (blog/site.py).
    """
    settings = SimpleLazyObject(lambda: site_settings(request))
    return {"site": settings, "SITE_NAME": lazy(lambda: settings.name, str)()}
