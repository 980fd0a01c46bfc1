from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminFileWidget
from django.db import models
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse

from blog import images
from blog.admin_lists import PostActionsMixin, PostStateFilter, TagActionsMixin, WriterFilter
from blog.admin_studio import AutosaveAdminMixin, PreviewLinksAdminMixin, RevisionsAdminMixin
from blog.forms import ReencodedImageField
from blog.models import AuthorProfile, Post, Tag
from blog.text import RefuseControlCharactersAdminMixin
from blog.widgets import MarkdownEditorWidget


class DateBoundedChangeList(ChangeList):
    """The admin's date drill-down treats a year it cannot compute (9999) as a bad filter.

    Django works out the end of the chosen period (the next year, month or day), which
    overflows at the end of Python's date range: the list answers as for any invalid
    filter instead of a 500.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class DateBoundedAdminMixin:
    def get_changelist(self, request, **kwargs):
        return DateBoundedChangeList


class TagChoiceField(forms.ModelMultipleChoiceField):
    """The post form's tags: an id past the range of a database integer is an unknown tag.

    Django looks the chosen ids up with `pk__in`, which SQLite cannot even compare with
    an integer of more than 64 bits (OverflowError, a 500); such an id names no tag.
    """

    def clean(self, value):
        for pk in value or ():
            try:
                number = int(str(pk).strip())
            except ValueError:
                continue  # Django's own check refuses it
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)


@admin.register(Post)
class PostAdmin(
    PostActionsMixin,
    RevisionsAdminMixin,
    PreviewLinksAdminMixin,
    AutosaveAdminMixin,
    RefuseControlCharactersAdminMixin,
    DateBoundedAdminMixin,
    admin.ModelAdmin,
):
    list_display = ["title", "author", "state", "published_at", "updated_at"]
    list_filter = [PostStateFilter, "tags", ("author", WriterFilter)]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tags"]
    list_select_related = ["author"]
    formfield_overrides = {
        models.TextField: {"widget": MarkdownEditorWidget},
        # The cover goes through the same checks and re-encoding as the editor's images.
        models.ImageField: {
            "form_class": ReencodedImageField,
            "widget": AdminFileWidget(attrs={"accept": images.ACCEPTED_TYPES}),
        },
    }
    fieldsets = [
        (None, {"fields": ["title", "slug", "body", "summary", "tags"]}),
        ("Cover", {"fields": ["cover_image", "cover_alt"]}),
        ("Publishing", {"fields": ["status", "published_at", "author", "comments_enabled"]}),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            kwargs["form_class"] = TagChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        # Authors see (and so can open) only their own posts; superusers see all.
        return Post.objects.editable_by(request.user).select_related("author")

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["author"]

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        # Authors always write as themselves; only superusers may pick another author.
        if not change and (not request.user.is_superuser or not obj.author_id):
            obj.author = request.user
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.can_be_edited_by(request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.can_be_edited_by(request.user))


@admin.register(Tag)
class TagAdmin(TagActionsMixin, RefuseControlCharactersAdminMixin, admin.ModelAdmin):
    """Anyone who writes creates tags; the tag rule (`TagQuerySet.editable_by`) says who may
    rename, re-slug, merge or delete one. A tag someone may not change opens read-only, with
    the reason; a change or deletion sent anyway is refused with it."""

    list_display = ["name", "slug", "post_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "old_addresses"]
    readonly_fields = ["old_addresses"]

    REFUSAL = (
        "“{tag}” is used by other authors' posts: only editors may rename, re-slug, merge or "
        "delete it. You may still add it to your posts."
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(description="posts", ordering="post_count")
    def post_count(self, tag):
        return tag.post_count

    @admin.display(description="old addresses that redirect here")
    def old_addresses(self, tag):
        slugs = tag.redirects.order_by("old_slug").values_list("old_slug", flat=True) if tag.pk else []
        return ", ".join(reverse("blog:tag-detail", kwargs={"slug": slug}) for slug in slugs) or "(none)"

    def rule_refuses(self, request, tag):
        """Whether the tag rule alone stands between the person and changing `tag`."""
        return super().has_change_permission(request, tag) and not tag.can_be_edited_by(request.user)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.can_be_edited_by(request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.can_be_edited_by(request.user))

    def refused(self, request, tag):
        self.message_user(request, self.REFUSAL.format(tag=tag), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:blog_tag_change", args=[tag.pk]))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        tag = self.get_object(request, unquote(object_id)) if object_id else None
        if tag is not None and self.rule_refuses(request, tag):
            if request.method == "POST":
                return self.refused(request, tag)
            extra_context = {**(extra_context or {}), "tag_rule_refusal": self.REFUSAL.format(tag=tag)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        tag = self.get_object(request, unquote(object_id))
        if tag is not None and super().has_delete_permission(request, tag) and not tag.can_be_edited_by(request.user):
            return self.refused(request, tag)
        return super().delete_view(request, object_id, extra_context)


class AuthorProfileForm(forms.ModelForm):
    avatar_upload = forms.FileField(
        required=False,
        label="Avatar",
        help_text="A PNG, JPEG, GIF or WebP image; it is checked and re-encoded like the editor's images.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )

    class Meta:
        model = AuthorProfile
        fields = ["display_name", "bio"]

    def clean_avatar_upload(self):
        upload = self.cleaned_data.get("avatar_upload")
        if not upload:
            return None
        try:
            return images.store_uploaded_image(upload)
        except images.ImageRejected as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(AuthorProfile)
class AuthorProfileAdmin(admin.ModelAdmin):
    """Each author edits their own profile; superusers may edit anyone's."""

    form = AuthorProfileForm
    list_display = ["user", "display_name"]
    readonly_fields = ["user", "avatar_preview"]
    fields = ["user", "display_name", "bio", "avatar_preview", "avatar_upload"]

    @admin.display(description="Current avatar")
    def avatar_preview(self, profile):
        return profile.avatar or "(none)"

    def get_queryset(self, request):
        profiles = super().get_queryset(request).select_related("user")
        return profiles if request.user.is_superuser else profiles.filter(user=request.user)

    def has_add_permission(self, request):
        has_one = AuthorProfile.objects.filter(user=request.user).exists()
        return super().has_add_permission(request) and not has_one

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or request.user.is_superuser or obj.user_id == request.user.pk)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or request.user.is_superuser or obj.user_id == request.user.pk)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.user = request.user
        if form.cleaned_data.get("avatar_upload"):
            obj.avatar = form.cleaned_data["avatar_upload"]
        super().save_model(request, obj, form, change)


# The site settings' page (blog/admin_settings.py registers it).
from blog import admin_settings  # noqa: E402, F401
