"""What moderators see and manage of federation: blocks (the one thing they edit here),
followers, remote actors and likes and boosts (read only, removable)."""

from django.contrib import admin

from comments.moderation import is_moderator
from federation.models import Block, Follower, Reaction, RemoteActor, RemoteHost


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "note", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "note"]

    # Blocks are a moderation decision: whoever may moderate comments manages them.
    def has_module_permission(self, request):
        return is_moderator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_moderator(request.user)

    def has_add_permission(self, request):
        return is_moderator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_moderator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_moderator(request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Follower)
class FollowerAdmin(ReadOnlyAdmin):
    list_display = ["actor", "local_actor", "created_at"]
    list_select_related = ["actor", "local_actor"]
    search_fields = ["actor__uri", "actor__username", "actor__domain"]


@admin.register(RemoteActor)
class RemoteActorAdmin(ReadOnlyAdmin):
    list_display = ["handle", "name", "domain", "fetched_at"]
    search_fields = ["uri", "username", "domain", "name"]
    exclude = ["public_key_pem"]


@admin.register(Reaction)
class ReactionAdmin(ReadOnlyAdmin):
    list_display = ["post", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["post", "actor"]


@admin.register(RemoteHost)
class RemoteHostAdmin(ReadOnlyAdmin):
    list_display = ["domain", "signature_format", "failures", "retry_at"]
    search_fields = ["domain"]
