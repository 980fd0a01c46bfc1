"""The author's studio in the admin: revisions, shareable preview links, autosave.

Mixed into PostAdmin (blog/admin.py) and PageAdmin (pages/admin.py). Every page here is for
people who may edit the post or page: get_object() goes through the admin's queryset
(PostQuerySet.editable_by, PageQuerySet.editable_by), so anyone else gets a 404, as for the
change form itself.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from blog import revisions
from blog.models import Autosave, PreviewLink


class EditableObjectMixin:
    def editable_object(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No such {self.opts.verbose_name}, or not one you may edit.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def studio_url(self, name, *args):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def studio_context(self, request, obj, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "object": obj,
            **extra,
        }


class RevisionsAdminMixin(EditableObjectMixin):
    """Each save in the change form keeps a revision, with the admin's own change message."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with revisions.saving(request.user):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        # The list's editable columns (a page's menu place) save objects too.
        if request.method == "POST" and "_save" in request.POST:
            with revisions.saving(request.user):
                return super().changelist_view(request, extra_context)
        return super().changelist_view(request, extra_context)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        revisions.describe(entry.get_change_message() or "Added.")
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        revisions.describe(entry.get_change_message() or "Saved without changes.")
        return entry

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/revisions/",
                self.admin_site.admin_view(self.revisions_view),
                name="%s_%s_revisions" % info,
            ),
            path(
                "<path:object_id>/revisions/<int:version_id>/restore/",
                self.admin_site.admin_view(require_POST(self.restore_revision_view)),
                name="%s_%s_restore_revision" % info,
            ),
        ] + super().get_urls()

    def revisions_view(self, request, object_id):
        obj = self.editable_object(request, object_id)
        versions = list(revisions.history(obj))
        older, newer, error = self._chosen_pair(request, versions, self.opts.verbose_name)
        context = self.studio_context(
            request,
            obj,
            f"Revisions of “{obj}”",
            versions=versions,
            older=older,
            newer=newer,
            changes=revisions.compare(older, newer) if older and newer else None,
            error=error,
        )
        return TemplateResponse(request, "admin/studio/revisions.html", context, status=400 if error else 200)

    @staticmethod
    def _chosen_pair(request, versions, noun):
        """The two revisions to compare: ?from=&to= (ids), else the two newest."""
        by_id = {str(version.pk): version for version in versions}
        chosen = [request.GET.get("from"), request.GET.get("to")]
        if not any(chosen):
            pair = versions[1::-1] if len(versions) >= 2 else [None, None]
            return pair[0], pair[1], None
        if not all(value in by_id for value in chosen):
            return None, None, f"Choose two revisions of this {noun} to compare."
        first, second = sorted((by_id[value] for value in chosen), key=lambda version: version.pk)
        return first, second, None

    def restore_revision_view(self, request, object_id, version_id):
        obj = self.editable_object(request, object_id)
        version = revisions.history(obj).filter(pk=version_id).first()
        if version is None:
            raise Http404(f"No such revision of this {self.opts.verbose_name}.")
        url = self.studio_url("revisions", obj.pk)
        try:
            revisions.restore(obj, version, request.user)
        except ValidationError as error:
            messages.error(request, "This revision cannot be restored: " + " ".join(error.messages))
            return HttpResponseRedirect(url)
        messages.success(request, f"The revision was restored; the {self.opts.verbose_name} was saved as a new revision.")
        return HttpResponseRedirect(url)


class PreviewLinksAdminMixin(EditableObjectMixin):
    """Create and revoke the links that show a draft or scheduled post or page to anyone."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/preview-links/",
                self.admin_site.admin_view(self.preview_links_view),
                name="%s_%s_preview_links" % info,
            ),
            path(
                "<path:object_id>/preview-links/<int:link_id>/revoke/",
                self.admin_site.admin_view(require_POST(self.revoke_preview_link_view)),
                name="%s_%s_revoke_preview_link" % info,
            ),
        ] + super().get_urls()

    def preview_links_view(self, request, object_id):
        obj = self.editable_object(request, object_id)
        error = None
        if request.method == "POST":
            try:
                days = int(request.POST.get("days", ""))
                link = PreviewLink.create_for(obj, by=request.user, days=days)
            except ValueError:
                error = "Give the number of days the link should work, from 1 to 90."
            except ValidationError as problem:
                error = " ".join(problem.messages)
            else:
                until = timezone.localtime(link.expires_at)
                messages.success(request, f"A new preview link works until {until:%Y-%m-%d %H:%M}.")
                return HttpResponseRedirect(self.studio_url("preview_links", obj.pk))
        context = self.studio_context(
            request,
            obj,
            f"Preview links of “{obj}”",
            links=obj.preview_links.select_related("created_by"),
            default_days=settings.PREVIEW_LINK_DAYS,
            max_days=settings.PREVIEW_LINK_MAX_DAYS,
            error=error,
        )
        return TemplateResponse(request, "admin/studio/preview_links.html", context, status=400 if error else 200)

    def revoke_preview_link_view(self, request, object_id, link_id):
        obj = self.editable_object(request, object_id)
        link = get_object_or_404(obj.preview_links, pk=link_id)
        link.revoke()
        messages.success(request, f"The preview link was revoked: it no longer opens the {self.opts.verbose_name}.")
        return HttpResponseRedirect(self.studio_url("preview_links", obj.pk))


class AutosaveAdminMixin(EditableObjectMixin):
    """The editor keeps the author's work server-side as they type (static/js/autosave.js).

    An autosave never touches the post or page: it waits in Autosave until the author saves
    it (which removes the autosave) or discards it; reopening the editor offers it back.
    """

    autosaved_fields = ["title", "summary", "body"]

    @property
    def media(self):
        return super().media + forms.Media(js=["js/autosave.js"])

    @property
    def autosave_kind(self):
        return Autosave.Kind(self.opts.model_name)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("autosave/", self.admin_site.admin_view(require_POST(self.autosave_view)), name="%s_%s_autosave" % info),
            path(
                "autosave/discard/",
                self.admin_site.admin_view(require_POST(self.discard_autosave_view)),
                name="%s_%s_discard_autosave" % info,
            ),
        ] + super().get_urls()

    def autosaved_object(self, request):
        """The post or page named by the request's `post` field (empty: a new one), or a 404."""
        # The field keeps the name it had when only posts were autosaved.
        object_id = request.POST.get("post", "")
        if not object_id:
            if not self.has_add_permission(request):
                raise PermissionDenied
            return None
        if not object_id.isdigit():
            raise Http404(f"No such {self.opts.verbose_name}.")
        return self.editable_object(request, object_id)

    def autosave_view(self, request):
        obj = self.autosaved_object(request)
        # A field the editor does not have (a page's summary) is kept empty.
        values = {
            name: request.POST.get(name, "") if name in self.autosaved_fields else ""
            for name in ["title", "summary", "body"]
        }
        try:
            autosave = Autosave.keep(author=request.user, obj=obj, kind=self.autosave_kind, **values)
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        return JsonResponse({"saved_at": autosave.saved_at.isoformat()})

    def discard_autosave_view(self, request):
        Autosave.discard(author=request.user, obj=self.autosaved_object(request), kind=self.autosave_kind)
        return JsonResponse({"discarded": True})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "autosave_url": self.studio_url("autosave")}
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if request.method == "GET" and (object_id is None or obj is not None):
            pending = Autosave.pending_for(author=request.user, obj=obj, kind=self.autosave_kind)
            if pending is not None:
                extra_context["pending_autosave"] = pending
                extra_context["pending_autosave_fields"] = {
                    name: getattr(pending, name) for name in self.autosaved_fields
                }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # What the author typed is now the post or page: their autosave has served.
        Autosave.discard(author=request.user, obj=obj if change else None, kind=self.autosave_kind)
