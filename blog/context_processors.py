from django.conf import settings


def site(request):
    """The site's name, for page titles and the header. Touches no database."""
    return {"SITE_NAME": settings.SITE_NAME}
