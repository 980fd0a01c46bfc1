"""The site settings' page in the admin: superusers only, one form, no list.

Saving makes every cached page stale (the name is on each) and, through the site's
version, has every process read the new settings on its next request (blog/site.py).
"""

from django import forms
from django.contrib import admin
from django.db import models
from solo.admin import SingletonModelAdmin

from blog import site
from blog.site import MenuLink, SiteSettings
from blog.text import RefuseControlCharactersAdminMixin


def is_site_admin(user):
    """Who may see and change the site's settings: active superusers."""
    return user.is_active and user.is_superuser


class SuperusersOnlyMixin:
    def has_view_permission(self, request, obj=None):
        return is_site_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_site_admin(request.user)


class MenuLinkInline(SuperusersOnlyMixin, RefuseControlCharactersAdminMixin, admin.TabularInline):
    model = MenuLink
    extra = 1
    fields = ["label", "url", "menu_order"]
    verbose_name = "header menu link"
    verbose_name_plural = (
        "Header menu links (shown with the pages that have a menu order, sorted together)"
    )

    def has_add_permission(self, request, obj=None):
        return is_site_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_site_admin(request.user)


@admin.register(SiteSettings)
class SiteSettingsAdmin(SuperusersOnlyMixin, RefuseControlCharactersAdminMixin, SingletonModelAdmin):
    change_form_template = "admin/blog/sitesettings/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "tagline", "description"]}),
        ("Comments", {"fields": [
            "comment_moderation",
            "comments_max_depth",
            "comments_close_after_days",
            "comments_per_page",
        ]}),
    ]
    inlines = [MenuLinkInline]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3})}}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        site.changed()
