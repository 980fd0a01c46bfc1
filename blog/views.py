import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import DetailView, ListView
from django.views.generic.dates import DateDetailView, MonthArchiveView, YearArchiveView

import pagecache
from blog import images, markdown
from blog.models import Post, PreviewLink, Tag, TagRedirect, display_name
from blog.ratelimit import rate_limit


class CachedForReadersMixin:
    """Anonymous readers get the page from the cache while its content is unchanged.

    pagecache/store.py says what is never cached; `page_cache_keys` names the content the
    page shows that is known before rendering (lists show comment counts).
    """

    def page_cache_keys(self):
        return [pagecache.SITE, pagecache.COMMENTS]

    def dispatch(self, request, *args, **kwargs):
        parent = super().dispatch
        return pagecache.serve(request, self.page_cache_keys(), lambda: parent(request, *args, **kwargs))


class PublishedPostsMixin(CachedForReadersMixin):
    """What every list of posts shares: only published posts, newest first, paginated."""

    date_field = "published_at"
    month_format = "%m"
    paginate_by = settings.POSTS_PER_PAGE
    allow_empty = True

    def get_queryset(self):
        # Lists show summaries: the posts' full text (stored out of line on PostgreSQL)
        # stays unread.
        return (
            Post.objects.published()
            .defer("body", "body_html", "summary")
            .select_related("author")
            .prefetch_related("tags")
        )

    def get_paginator(self, queryset, *args, **kwargs):
        paginator = super().get_paginator(queryset, *args, **kwargs)
        # Counting every published post costs more than the rest of the page at 100,000
        # posts, and the number changes only with the site's version.
        paginator.count = pagecache.fragment(
            self.request,
            "count:" + hashlib.sha1(self.request.path.encode()).hexdigest(),
            [pagecache.SITE],
            lambda: paginator.object_list.count(),
        )
        return paginator


class PostIndexView(PublishedPostsMixin, ListView):
    template_name = "blog/post_index.html"


class CachedDateListMixin:
    """An archive's list of months (or days) with posts, kept with the site's version."""

    def get_dated_queryset(self, **lookup):
        # published() already leaves out posts not yet due, and a period without posts is
        # a 404 from its empty date list (get_date_list): Django's own check, an uncached
        # exists() query, would only ask the same again.
        return self.get_queryset().filter(**lookup)

    def get_date_list(self, queryset, date_type=None, ordering="ASC"):
        parent = super().get_date_list
        return pagecache.fragment(
            self.request,
            "dates:" + hashlib.sha1(f"{self.request.path}:{date_type}:{ordering}".encode()).hexdigest(),
            [pagecache.SITE],
            lambda: parent(queryset, date_type, ordering),
        )


class PostYearArchiveView(CachedDateListMixin, PublishedPostsMixin, YearArchiveView):
    make_object_list = True
    allow_empty = False


class PostMonthArchiveView(CachedDateListMixin, PublishedPostsMixin, MonthArchiveView):
    allow_empty = False


class UnpublishedNeverCachedMixin:
    """Previews of drafts and scheduled posts must never be stored by any cache."""

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if not self.object.is_published:
            add_never_cache_headers(response)
        return response


class PostDetailView(CachedForReadersMixin, UnpublishedNeverCachedMixin, DateDetailView):
    # Named, so that DateDetailView learns the date field's type without building the
    # queryset a second time.
    model = Post
    date_field = "published_at"
    month_format = "%m"
    # The queryset already hides what is not due; staff may preview scheduled posts here.
    allow_future = True

    def get_queryset(self):
        # The tags are read where the page shows them (post.tags.all, one query as with
        # prefetch_related, without its bookkeeping: ~0.3 ms a page).
        return Post.objects.visible_to(self.request.user).select_related("author")

    def page_cache_keys(self):
        # The thread's key is added by the comment_thread tag, before it reads the thread.
        return [pagecache.SITE]


class PostPreviewView(UnpublishedNeverCachedMixin, DetailView):
    """Drafts without a date yet, for the staff who may edit them; 404 for everyone else."""

    template_name = "blog/post_detail.html"

    def get_queryset(self):
        return Post.objects.editable_by(self.request.user).select_related("author")


class SharedPreviewView(DetailView):
    """A draft or scheduled post or page for anyone holding its preview link (PreviewLink).

    Never stored by any cache (private, no-store; the page cache skips such answers), never
    indexed, and the secret address is not sent on as a Referer by links in the post or page.
    Each is shown with its own template (blog/post_detail.html, pages/page_detail.html).
    """

    def get(self, request, *args, **kwargs):
        link = get_object_or_404(
            PreviewLink.objects.active().select_related("post__author", "page__parent"),
            token=self.kwargs["token"],
        )
        self.object = link.target
        if self.object.is_published:
            response = redirect(self.object)
        else:
            response = self.render_to_response(self.get_context_data(preview_link=link))
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get_context_object_name(self, obj):
        return obj._meta.model_name


class TagDetailView(PublishedPostsMixin, ListView):
    template_name = "blog/tag_detail.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class TagListView(CachedForReadersMixin, ListView):
    """/tags/: every tag that has published posts, with how many, by name."""

    template_name = "blog/tag_list.html"
    context_object_name = "tags"

    def get_queryset(self):
        return Tag.objects.with_published_posts()

    def page_cache_keys(self):
        return [pagecache.SITE]


def follow_old_tag_slugs(view, url_name):
    """`view` of a tag's address (its page, a feed); a slug the tag had before gets a 301.

    Asked only when the slug names no tag: a tag's own pages cost no query more. The old
    slug of a tag renamed or merged away leads to the tag's address of the same kind.
    """

    def view_or_redirect(request, slug, **kwargs):
        try:
            return view(request, slug=slug, **kwargs)
        except Http404:
            moved = TagRedirect.objects.filter(old_slug=slug).select_related("tag").first()
            if moved is None:
                raise
            url = reverse(url_name, kwargs={"slug": moved.tag.slug})
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)

    return view_or_redirect


class AuthorDetailView(PublishedPostsMixin, ListView):
    """An author's page: who they are and their published posts; a 404 until they have one."""

    template_name = "blog/author_detail.html"
    allow_empty = False

    def get_queryset(self):
        users = get_user_model().objects.select_related("author_profile")
        self.author = get_object_or_404(users, username=self.kwargs["username"])
        return super().get_queryset().filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            author=self.author,
            profile=getattr(self.author, "author_profile", None),
            author_name=display_name(self.author),
            **kwargs,
        )


class SearchView(PublishedPostsMixin, ListView):
    template_name = "blog/search.html"
    max_query_length = 200

    def get_queryset(self):
        # NUL (which PostgreSQL refuses in a query) and other control characters are
        # typing noise at best; they are dropped, not searched for.
        raw = "".join(c if c.isprintable() else " " for c in self.request.GET.get("q", ""))
        self.query = raw.strip()[: self.max_query_length]
        if not self.query:
            return Post.objects.none()
        results = super().get_queryset().search(self.query)
        # Finding the matches costs more than showing a page of them, and they change
        # only with the site's version: paging through a search finds them once.
        results.matching_ids = pagecache.fragment(
            self.request,
            "search:" + hashlib.sha1(self.query.encode()).hexdigest(),
            [pagecache.SITE],
            lambda: results.matching_ids,
        )
        return results

    def get_paginator(self, queryset, *args, **kwargs):
        # The matches are counted with them (get_queryset), not by PublishedPostsMixin.
        return self.paginator_class(queryset, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            query=self.query, search_max_results=settings.SEARCH_MAX_RESULTS, **kwargs
        )


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /markdownx/",
        "Disallow: /search/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def _require_post_author(request):
    """The editor's endpoints serve only staff who may write posts."""
    user = request.user
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    if not (user.has_perm("blog.add_post") or user.has_perm("blog.change_post")):
        raise PermissionDenied


@login_required
@require_POST
@rate_limit("markdown-preview")
def markdown_preview(request):
    """markdownx's live preview: the same function that renders published posts."""
    _require_post_author(request)
    source = request.POST.get("content")
    if source is None:
        return HttpResponseBadRequest("Missing the 'content' field.", content_type="text/plain")
    try:
        html = markdown.preview_post(source)
    except markdown.MarkdownTooLarge as error:
        return HttpResponseBadRequest(f"Too long to preview: {error}.", content_type="text/plain")
    except markdown.MarkdownError as error:
        # The same reason the post's form gives when it is saved.
        return HttpResponseBadRequest(
            f"This text cannot be published: {error}.", content_type="text/plain"
        )
    return HttpResponse(html)


@login_required
@require_POST
@rate_limit("image-upload")
def image_upload(request):
    """markdownx's image upload: the stored image's address, or a JSON error.

    `image_url` is what the editor (static/js/editor.js) inserts once the author has
    described the image; `image_code`, Markdown with an empty description, is what
    markdownx's own script would insert were the editor's script not running.
    """
    _require_post_author(request)
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"image": ["Choose an image file to upload."]}, status=400)
    try:
        url = images.store_uploaded_image(upload)
    except images.ImageRejected as error:
        return JsonResponse({"image": [str(error)]}, status=400)
    return JsonResponse({"image_url": url, "image_code": f"![]({url})"})
