"""The floor: a trivial Django view returning precomputed bytes, served like our pages.

A minimal Django project in one file (no middleware, no database): GET /<name>/ answers
the bytes of bench/.work/floor-<name>.html, which bench/run.py fills with our pages.
Serve with: gunicorn --chdir bench floor:application
"""

from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import Http404, HttpResponse
from django.urls import path

WORK = Path(__file__).resolve().parent / ".work"
PAGES = {}


def page(request, name):
    if name not in PAGES:
        try:
            PAGES[name] = (WORK / f"floor-{name}.html").read_bytes()
        except OSError:
            raise Http404 from None
    return HttpResponse(PAGES[name], content_type="text/html; charset=utf-8")


urlpatterns = [path("<slug:name>/", page)]

settings.configure(
    DEBUG=False,
    SECRET_KEY="floor-benchmark-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)
application = get_wsgi_application()
