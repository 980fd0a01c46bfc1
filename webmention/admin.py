from django.contrib import admin
from django.db import models

from comments.moderation import is_moderator
from webmention.models import Mention, Outgoing


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the worker recorded: read, never written by hand."""

    # Django 6's default, which the read-only page's URL fields would otherwise warn of.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Mention)
class MentionAdmin(ReadOnlyAdmin):
    list_display = ["source", "post", "kind", "state", "detail", "receipts", "received_at", "checked_at"]
    list_filter = ["state", "kind"]
    search_fields = ["source"]
    list_select_related = ["post"]
    raw_id_fields = ["post", "comment"]

    # A held mention is in the moderation queue: whoever decides on it may read what its
    # check found (read only: the worker writes these).
    def has_module_permission(self, request):
        return is_moderator(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_moderator(request.user) or super().has_view_permission(request, obj)


@admin.register(Outgoing)
class OutgoingAdmin(ReadOnlyAdmin):
    list_display = ["target", "post", "linked", "outcome", "updated_at"]
    list_filter = ["linked"]
    search_fields = ["target"]
    list_select_related = ["post"]
    raw_id_fields = ["post"]
