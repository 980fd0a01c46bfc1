from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from transfer.forms import ImportForm
from transfer.importing import ImportFailed
from transfer.models import ImportedImage, ImportRun, LegacyURL, SourceRecord
from transfer.uploads import import_upload
from transfer.wxr import wxr_chunks
from transfer.xmlfile import BadFile


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """The imports that were saved; the import page and the export download start here."""

    list_display = ["imported_at", "platform", "file_name", "imported_by"]
    list_filter = ["platform"]
    fields = ["imported_at", "platform", "file_name", "imported_by", "report"]
    change_list_template = "transfer/admin/importrun_change_list.html"

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="transfer_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="transfer_export"),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        # An import can change every post and user: superusers only.
        if not request.user.is_superuser:
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        report, status = None, 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    report = import_upload(
                        form.cleaned_data["file"],
                        platform=form.cleaned_data["platform"],
                        dry_run=form.cleaned_data["dry_run"],
                        recover=form.cleaned_data["recover"],
                        fetch_media=form.cleaned_data["fetch_media"],
                        by=request.user,
                    )
                except (BadFile, ImportFailed) as error:
                    form.add_error("file", f"{error} Nothing was imported.")
            if report is None:
                status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a blog",
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "transfer/admin/import.html", context, status=status)

    def export_view(self, request):
        if not request.user.is_superuser:
            raise PermissionDenied
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in wxr_chunks()), content_type="application/xml; charset=utf-8"
        )
        name = f"blog-{timezone.localdate():%Y-%m-%d}.xml"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(LegacyURL)
class LegacyURLAdmin(admin.ModelAdmin):
    """Old addresses that redirect to posts and pages: imports fill it, and redirects can be
    added by hand."""

    list_display = ["path", "post", "page", "created_at"]
    search_fields = ["path", "post__title", "page__title"]
    raw_id_fields = ["post", "page"]
    list_select_related = ["post", "page"]


@admin.register(SourceRecord)
class SourceRecordAdmin(ReadOnlyAdmin):
    list_display = ["source_id", "platform", "kind", "site", "post", "page", "comment", "user", "imported_at"]
    list_filter = ["platform", "kind", "site"]
    search_fields = ["source_id"]
    list_select_related = ["post", "page", "comment", "user"]
    readonly_fields = ["data"]


@admin.register(ImportedImage)
class ImportedImageAdmin(ReadOnlyAdmin):
    """The old blog's images that --fetch-media brings here: waiting, fetched, or why not.

    A failed one is retried from Deliveries, or by importing again with the option."""

    list_display = ["source_url", "status", "url", "error", "created_at", "fetched_at"]
    list_filter = ["status"]
    search_fields = ["source_url"]
