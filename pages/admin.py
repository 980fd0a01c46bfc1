from django.contrib import admin
from django.db import models
from django.utils import timezone

from blog.admin_studio import AutosaveAdminMixin, PreviewLinksAdminMixin, RevisionsAdminMixin
from blog.widgets import MarkdownEditorWidget
from pages.models import Page, PageRedirect


class PageRedirectInline(admin.TabularInline):
    model = PageRedirect
    extra = 0
    fields = ["old_path", "created_at"]
    readonly_fields = ["created_at"]
    verbose_name = "old address that redirects here"
    verbose_name_plural = "old addresses that redirect here"


@admin.register(Page)
class PageAdmin(
    RevisionsAdminMixin,
    PreviewLinksAdminMixin,
    AutosaveAdminMixin,
    admin.ModelAdmin,
):
    list_display = ["title", "address", "state", "menu_order", "updated_at"]
    list_editable = ["menu_order"]
    list_filter = ["status"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["parent"]
    formfield_overrides = {models.TextField: {"widget": MarkdownEditorWidget}}
    fieldsets = [
        (None, {"fields": ["title", "slug", "parent", "body"]}),
        ("Publishing", {"fields": ["status", "published_at", "menu_order", "author"]}),
    ]
    inlines = [PageRedirectInline]
    autosaved_fields = ["title", "body"]

    def get_queryset(self, request):
        return Page.objects.editable_by(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["author"]

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not change and (not request.user.is_superuser or not obj.author_id):
            obj.author = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="address", ordering="path")
    def address(self, page):
        return page.get_absolute_url()

    @admin.display(description="state")
    def state(self, page):
        if page.status == Page.Status.PUBLISHED and page.published_at > timezone.now():
            return "Scheduled"
        return page.get_status_display()
