from django.contrib import admin

from webmention.models import Mention, Outgoing


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the worker recorded: read, never written by hand."""

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


@admin.register(Outgoing)
class OutgoingAdmin(ReadOnlyAdmin):
    list_display = ["target", "post", "linked", "outcome", "updated_at"]
    list_filter = ["linked"]
    search_fields = ["target"]
    list_select_related = ["post"]
    raw_id_fields = ["post"]
