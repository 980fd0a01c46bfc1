from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from transfer.forms import ImportForm
from transfer import runs
from transfer.importing import Report
from transfer.models import ImportedImage, ImportRun, LegacyURL, SourceRecord
from transfer.wxr import wxr_chunks
from transfer.xmlfile import BadFile


# The run page reloads itself this often until the import ends.
REFRESH_SECONDS = 2


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """The imports, queued, running and done; the import page and the export download start here."""

    list_display = ["imported_at", "platform", "file_name", "imported_by", "status", "progress", "dry_run"]
    list_filter = ["status", "platform"]
    list_select_related = ["imported_by"]
    change_list_template = "transfer/admin/importrun_change_list.html"

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="transfer_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="transfer_export"),
            *super().get_urls(),
        ]

    def has_module_permission(self, request):
        return runs.may_import(request.user)

    def has_view_permission(self, request, obj=None):
        return runs.may_import(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="items")
    def progress(self, run):
        processed, total = runs.progress(run)
        return f"{processed:,} of {total:,}"

    def upload_view(self, request):
        if not runs.may_import(request.user):
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    run = runs.queue(
                        form.cleaned_data["file"],
                        platform=form.cleaned_data["platform"],
                        dry_run=form.cleaned_data["dry_run"],
                        recover=form.cleaned_data["recover"],
                        fetch_media=form.cleaned_data["fetch_media"],
                        by=request.user,
                    )
                except BadFile as error:
                    form.add_error("file", f"{error} Nothing was imported.")
                except runs.NotStored as error:
                    form.add_error("file", f"{error} Nothing was imported.")
                    status = 503
                else:
                    return redirect("admin:transfer_importrun_change", run.pk)
            status = 400 if status == 200 else status
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a blog",
            "form": form,
        }
        return TemplateResponse(request, "transfer/admin/import.html", context, status=status)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The run's page: waiting, its progress while it runs, then its report or error."""
        if not runs.may_import(request.user):
            raise PermissionDenied
        # The admin's own lookup: an id that is not a number is no run (404), not a 500.
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404("No such import run.")
        runs.lost(run)
        processed, total = runs.progress(run)
        report = Report.from_data(run.report_data) if run.report_data else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(run),
            "run": run,
            "processed": processed,
            "total": total,
            "report": report,
            "worker_running": run.is_finished or runs.worker_running(),
            "refresh_seconds": REFRESH_SECONDS,
        }
        return TemplateResponse(request, "transfer/admin/importrun_run.html", context)

    def export_view(self, request):
        if not runs.may_import(request.user):
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
