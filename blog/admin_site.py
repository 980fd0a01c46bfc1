"""The admin site: Django's own, with one rule for every model's list (blog.apps).

A bulk action names its rows by id in the POST (`_selected_action`), and Django filters
the list by those values as they come: one that is not an id of the model's kind at all
("abc", "1.5") fails inside the query, a 500 on every list, Django's own (users, groups)
and third-party ones included. The site checks the values' kind before any list sees
them. Ids of the right kind that match no row (deleted, or past the column's range,
blog/lookups.py) are left to the list, which acts on the rows that exist.
"""

import functools

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest

SELECTION_ERROR = "The selection names no row of this list: reload the list and choose again."


class BlogAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        # ModelAdmin.get_urls() passes its own bound views here, on every request.
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin) and view.__name__ == "changelist_view":
            view = refusing_forged_selections(model_admin.model, view)
        return super().admin_view(view, cacheable)


def refusing_forged_selections(model, changelist_view):
    primary_key = model._meta.pk

    @functools.wraps(changelist_view)
    def checked_changelist_view(request, *args, **kwargs):
        if request.method == "POST":
            try:
                for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                    primary_key.to_python(value)
            except ValidationError:
                return HttpResponseBadRequest(SELECTION_ERROR, content_type="text/plain")
        return changelist_view(request, *args, **kwargs)

    return checked_changelist_view
