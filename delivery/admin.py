"""What moderators see of the queue: every delivery, what became of it, and a retry button."""

from django.contrib import admin, messages

from delivery import outbox
from delivery.models import Delivery


@admin.action(description="Retry the selected deliveries now", permissions=["retry"])
def retry_deliveries(modeladmin, request, queryset):
    retried = sum(outbox.retry(delivery) for delivery in queryset)
    left = queryset.count() - retried
    modeladmin.message_user(request, f"Queued again: {retried}.")
    if left:
        modeladmin.message_user(
            request, f"Left alone: {left} already sent or being sent.", level=messages.WARNING
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["summary", "recipient", "channel", "status", "attempts", "created_at",
                    "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["recipient", "summary", "key"]
    date_hierarchy = "created_at"
    actions = [retry_deliveries]
    fields = ["channel", "recipient", "summary", "status", "attempts", "last_error", "key",
              "created_at", "last_attempt_at", "next_attempt_at", "give_up_at", "sent_at",
              "claimed_by", "payload"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("delivery.retry_delivery")
