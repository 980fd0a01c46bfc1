import json

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponse
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.utils import timezone

from blog.admin import DateBoundedAdminMixin
from blog.text import RefuseControlCharactersAdminMixin
from comments import moderation, privacy, spamfilter
from comments.models import BlocklistEntry, Comment, ModerationKeyword, ModerationLog


def _moderation_action(action):
    label = moderation.ACTIONS[action].label

    @admin.action(description=f"{label} selected comments", permissions=["moderate"])
    def apply(modeladmin, request, queryset):
        comments = queryset.select_related("post__author", "parent")
        done, skipped = moderation.moderate_many(comments, action, by=request.user)
        modeladmin.message_user(request, f"{label}: {done} comment{'s' if done != 1 else ''}.")
        if skipped:
            modeladmin.message_user(
                request,
                f"Left unchanged: {skipped} already decided that way.",
                level=messages.WARNING,
            )

    apply.__name__ = f"{action}_comments"
    return apply


@admin.action(description="Delete selected rejected and spam comments", permissions=["moderate"])
def delete_removed_comments(modeladmin, request, queryset):
    """Moderators' deletion: only rejected and spam comments no reply hangs on go."""
    deleted, kept = moderation.delete_removed(queryset)
    modeladmin.message_user(request, f"Deleted: {deleted} comment{'s' if deleted != 1 else ''}.")
    if kept:
        modeladmin.message_user(
            request,
            f"Left unchanged: {kept} not rejected or spam, or replied to.",
            level=messages.WARNING,
        )


def _selected_emails(queryset):
    return sorted({email.lower() for email in queryset.values_list("author_email", flat=True) if email})


@admin.action(description="Export the data of the selected comments' authors", permissions=["delete"])
def export_commenters(modeladmin, request, queryset):
    """A JSON download of everything stored for each email address among the selection."""
    data = [privacy.export_commenter(email) for email in _selected_emails(queryset)]
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="commenters-{timezone.now():%Y%m%d-%H%M%S}.json"'
    )
    return response


@admin.action(description="Erase the data of the selected comments' authors", permissions=["delete"])
def erase_commenters(modeladmin, request, queryset):
    """After a confirmation page: erase every comment by each selected email address."""
    emails = _selected_emails(queryset)
    if request.POST.get("confirm") == "yes":
        deleted = kept = 0
        for email in emails:
            gone, removed = privacy.erase_commenter(email, by=request.user)
            deleted, kept = deleted + gone, kept + removed
        modeladmin.message_user(
            request,
            f"Erased {len(emails)} commenter{'s' if len(emails) != 1 else ''}: {deleted} "
            f"comments deleted, {kept} kept as 'comment removed' because others replied.",
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Erase commenters' data",
        "opts": modeladmin.model._meta,
        "commenters": [(email, privacy.comments_by(email).count()) for email in emails],
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "action": "erase_commenters",
    }
    return TemplateResponse(request, "admin/comments/comment/erase_commenters.html", context)


class ModerationLogInline(admin.TabularInline):
    model = ModerationLog
    extra = 0
    fields = ["decided_at", "moderator", "from_status", "to_status", "reason", "previous_body"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(RefuseControlCharactersAdminMixin, DateBoundedAdminMixin, admin.ModelAdmin):
    list_display = ["author_name", "post", "excerpt", "status", "why", "spam", "created_at"]
    list_filter = ["status", "origin", "created_at"]
    list_select_related = ["post"]
    search_fields = ["author_name", "author_email", "body", "=ip_address"]
    date_hierarchy = "created_at"
    raw_id_fields = ["post", "parent", "user"]
    actions = [_moderation_action(name) for name in moderation.ACTIONS] + [
        delete_removed_comments, export_commenters, erase_commenters,
    ]
    # The status changes only through the actions above, which check the move and log it.
    readonly_fields = [
        "status", "held_reason", "moderated_by", "moderated_at", "edited_at", "spam_score",
        "spam_reasons", "depth", "created_at", "ip_address", "user_agent", "notify_confirmed_at",
        "origin", "remote_id",
    ]
    fieldsets = [
        (None, {"fields": ["post", "parent", "author_name", "author_email", "author_url",
                           "user", "body", "notify_on_reply", "notify_confirmed_at"]}),
        ("Moderation", {"fields": ["status", "held_reason", "moderated_by", "moderated_at",
                                   "edited_at", "spam_score", "spam_reasons"]}),
        ("Sender", {"fields": ["origin", "remote_id", "created_at", "ip_address", "user_agent", "depth"]}),
    ]
    inlines = [ModerationLogInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        css = {"all": ["css/admin_comments.css"]}

    @admin.display(description="Comment")
    def excerpt(self, comment):
        return truncatechars(comment.body, 80)

    @admin.display(description="Why")
    def why(self, comment):
        return comment.why

    def get_queryset(self, request):
        return super().get_queryset(request).with_latest_decision()

    @admin.display(description="Spam score", ordering="spam_score")
    def spam(self, comment):
        return "" if comment.spam_score is None else f"{comment.spam_score:.2f}"

    def has_moderate_permission(self, request):
        return moderation.is_moderator(request.user)

    def changelist_view(self, request, extra_context=None):
        # The spam filter's precision and recall over the latest decisions, above the list.
        context = {
            "spam_filter": spamfilter.standing(),
            "spam_filter_window": settings.SPAM_FILTER_WINDOW,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def has_add_permission(self, request):
        # Comments come from readers (or imports), each through the moderation rules.
        return False


@admin.register(ModerationLog)
class ModerationLogAdmin(DateBoundedAdminMixin, admin.ModelAdmin):
    list_display = ["decided_at", "comment", "moderator", "from_status", "to_status", "reason"]
    list_filter = ["to_status", "decided_at"]
    list_select_related = ["comment__post", "moderator"]
    date_hierarchy = "decided_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModerationKeyword)
class ModerationKeywordAdmin(admin.ModelAdmin):
    list_display = ["word", "created_at"]
    search_fields = ["word"]


class BlocklistActiveFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "Blocking"), ("no", "Expired")]

    def queryset(self, request, queryset):
        active = BlocklistEntry.objects.active().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=active)
        if self.value() == "no":
            return queryset.exclude(pk__in=active)
        return queryset


@admin.register(BlocklistEntry)
class BlocklistEntryAdmin(RefuseControlCharactersAdminMixin, admin.ModelAdmin):
    list_display = ["value", "kind", "note", "expires_at", "in_force", "created_at"]
    list_filter = ["kind", BlocklistActiveFilter]
    search_fields = ["value", "note"]
    fields = ["kind", "value", "expires_at", "note"]

    @admin.display(boolean=True, description="In force")
    def in_force(self, entry):
        return entry.is_active
