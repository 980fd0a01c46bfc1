from django.http import Http404
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView

import pagecache
from pages.models import Page, PageRedirect


class PageDetailView(DetailView):
    """A page at its address; drafts for those who may edit them; old addresses redirect."""

    context_object_name = "page"

    def dispatch(self, request, *args, **kwargs):
        parent = super().dispatch
        # A page shows in the menu of every page: its changes are the site's.
        return pagecache.serve(request, [pagecache.SITE], lambda: parent(request, *args, **kwargs))

    def get_queryset(self):
        return Page.objects.visible_to(self.request.user).select_related("parent")

    def get_object(self, queryset=None):
        try:
            return self.get_queryset().get(path=self.kwargs["path"])
        except Page.DoesNotExist:
            raise Http404("No page at this address.") from None

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            moved = (
                PageRedirect.objects.filter(old_path=self.kwargs["path"])
                .select_related("page")
                .first()
            )
            if moved is None or not moved.page.is_published:
                raise
            return redirect(moved.page, permanent=True)

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if not self.object.is_published:
            # Previews of drafts and scheduled pages are never stored by any cache.
            add_never_cache_headers(response)
        return response
