"""The admin's lists of posts and tags: the post list's filters and the bulk actions of both.

Mixed into PostAdmin and TagAdmin (blog/admin.py). The rules stay in the models: a post's
state (`Post.state`, `PostQuerySet.in_state`), who writes (`writers()`), who may change a
post (`PostQuerySet.editable_by`) or a tag (`TagQuerySet.editable_by`), and what
publishing, unpublishing, tagging and merging do (`Post.publish_now`, `unpublish`,
`add_tag`, `Tag.merge_into`, each keeping a revision). The actions here choose the rows,
ask what they need on a page of their own (server-rendered, as Django's delete
confirmation is), report in messages, and tell the page cache once.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from blog.models import Post, Tag, writers
from blog.text import refuse_control_characters

# The largest id a database integer column holds: SQLite cannot even compare a bigger one.
MAX_ROW_ID = 2**63 - 1


def counted(number, singular, plural=None):
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


def quoted(objects, limit=5):
    names = [f"“{obj}”" for obj in objects[:limit]]
    if len(objects) > limit:
        names.append(f"and {len(objects) - limit} more")
    return ", ".join(names)


class CheckedSelectionMixin:
    """A selection naming no possible row is a 400, for the actions below.

    The admin site already refuses values that are no id at all (blog/admin_site.py);
    these actions also read the ids themselves (chosen_ids), so they take ASCII digits
    within the database's range alone, where a list would match nothing or read "٣" as 3.
    """

    def response_action(self, request, queryset):
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            if not (value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ROW_ID):
                return HttpResponseBadRequest(
                    "The selection names no row of this list: reload the list and choose again.",
                    content_type="text/plain",
                )
        return super().response_action(request, queryset)

    def chosen_ids(self, request):
        """The ids the person ticked; None when they chose every row the list matches."""
        if request.POST.get("select_across") == "1":
            return None
        return [int(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)]

    def confirmation(self, request, template, title, objects, action, status=200, **context):
        """A page asking for what an action needs, posting back to the list with the rows."""
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "objects": objects,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
                **context,
            },
            status=status,
        )


# The post list.


class PostStateFilter(admin.SimpleListFilter):
    """Draft, scheduled (published, not yet due) or published, as readers see it."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Post.State.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in Post.State.values:
            raise IncorrectLookupParameters(f"No such state: {value}")
        return queryset.in_state(value)


class WriterFilter(admin.RelatedFieldListFilter):
    """The author filter lists people who write (`writers()`), not every account.

    Someone who may change only their own posts sees only their own in the list: the
    filter would offer them nobody else, and so it is not shown to them.
    """

    def field_choices(self, field, request, model_admin):
        people = writers()
        user = request.user
        if not (user.is_superuser or user.has_perm("blog.change_others_posts")):
            people = people.filter(pk=user.pk)
        return [(person.pk, str(person)) for person in people.order_by(people.model.USERNAME_FIELD)]


class AddTagForm(forms.Form):
    tag = forms.CharField(
        max_length=Tag._meta.get_field("name").max_length,
        label="Tag",
        help_text="The name of an existing tag, or of a new one.",
        validators=[refuse_control_characters],
    )

    def __init__(self, *args, may_create, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_create = may_create

    def clean_tag(self):
        name = " ".join(self.cleaned_data["tag"].split())
        existing = Tag.objects.filter(name=name).first() or Tag.objects.filter(name__iexact=name).first()
        if existing is not None:
            return existing
        if not self.may_create:
            raise ValidationError(f"There is no tag “{name}”, and you may not create tags.")
        tag = Tag(name=name)
        try:
            tag.full_clean()
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return tag


class PostActionsMixin(CheckedSelectionMixin):
    """Publish now, unpublish and add a tag to the chosen posts, each post keeping a revision.

    The list holds only posts the person may change (PostAdmin.get_queryset); chosen posts
    that are not theirs (a list opened before they lost the right, a forged request) are
    skipped and counted in a message.
    """

    actions = ["publish_now", "unpublish", "add_tag"]

    def chosen_posts(self, request, queryset):
        """The chosen posts the person may change, and how many chosen were not theirs."""
        ids = self.chosen_ids(request)
        posts = list(queryset)
        if ids is None:
            return posts, 0
        others = Post.objects.filter(pk__in=ids).exclude(pk__in=Post.objects.editable_by(request.user).values("pk"))
        return posts, others.count()

    def report_skipped(self, request, skipped):
        if skipped:
            self.message_user(
                request,
                f"{counted(skipped, 'chosen post was', 'chosen posts were')} skipped: "
                "you may change only your own posts.",
                messages.WARNING,
            )

    def apply(self, request, posts, change):
        """Run `change(post)` on each post; the ones it changed, and the refusals by post."""
        done, refused = [], []
        for post in posts:
            try:
                change(post)
            except ValidationError as error:
                refused.append((post, " ".join(error.messages)))
            else:
                done.append(post)
        return done, refused

    def report_refused(self, request, refused, verb):
        for post, reason in refused:
            self.message_user(request, f"“{post}” was not {verb}: {reason}", messages.WARNING)

    @admin.action(description="Publish now", permissions=["change"])
    def publish_now(self, request, queryset):
        posts, skipped = self.chosen_posts(request, queryset)
        done, refused = self.apply(request, posts, lambda post: post.publish_now(by=request.user))
        if done:
            self.message_user(request, f"Published {counted(len(done), 'post')}: {quoted(done)}.", messages.SUCCESS)
        self.report_refused(request, refused, "published")
        self.report_skipped(request, skipped)

    @admin.action(description="Unpublish (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        posts, skipped = self.chosen_posts(request, queryset)
        done, refused = self.apply(request, posts, lambda post: post.unpublish(by=request.user))
        if done:
            self.message_user(
                request,
                f"{counted(len(done), 'post is a draft', 'posts are drafts')} again: {quoted(done)}. "
                "Readers no longer see them.",
                messages.SUCCESS,
            )
        self.report_refused(request, refused, "unpublished")
        self.report_skipped(request, skipped)

    @admin.action(description="Add a tag…", permissions=["change"])
    def add_tag(self, request, queryset):
        posts, skipped = self.chosen_posts(request, queryset)
        if not posts:
            self.report_skipped(request, skipped)
            return None
        may_create = request.user.has_perm("blog.add_tag")
        if "apply" not in request.POST:
            self.report_skipped(request, skipped)
            form = AddTagForm(may_create=may_create)
            return self.tag_confirmation(request, form, posts)
        form = AddTagForm(request.POST, may_create=may_create)
        if not form.is_valid():
            return self.tag_confirmation(request, form, posts, status=400)
        tag = form.cleaned_data["tag"]
        with transaction.atomic():
            if tag.pk is None:
                tag.save()
            tagged = [post for post in posts if post.add_tag(tag, by=request.user)]
        if tagged:
            self.message_user(
                request, f"Tagged {counted(len(tagged), 'post')} “{tag}”: {quoted(tagged)}.", messages.SUCCESS
            )
        if len(tagged) < len(posts):
            already = counted(len(posts) - len(tagged), "post already had", "posts already had")
            self.message_user(request, f"{already} the tag “{tag}”.", messages.INFO)
        self.report_skipped(request, skipped)

    def tag_confirmation(self, request, form, posts, status=200):
        return self.confirmation(
            request,
            "admin/blog/post/add_tag.html",
            "Add a tag to the chosen posts",
            posts,
            "add_tag",
            status=status,
            form=form,
            tag_names=Tag.objects.order_by("name").values_list("name", flat=True),
            may_create=form.may_create,
        )

    @admin.display(description="state", ordering="status")
    def state(self, post):
        if post.state == Post.State.SCHEDULED:
            return f"Scheduled for {timezone.localtime(post.published_at):%Y-%m-%d %H:%M}"
        return post.state.label


# The tag list.


class MergeTagsForm(forms.Form):
    target = forms.ChoiceField(label="Merge into")

    def __init__(self, *args, chosen, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "Choose the tag to keep")] + [
            (str(tag.pk), tag.name) for tag in Tag.objects.order_by("name")
        ]
        self.fields["target"].help_text = (
            "The tag the posts keep. The other chosen tags are deleted; their addresses "
            "lead to this tag's page."
        )
        self.chosen = chosen

    def clean_target(self):
        # The choices were checked against the tags' ids: the tag can only have gone since.
        target = Tag.objects.filter(pk=int(self.cleaned_data["target"])).first()
        if target is None:
            raise ValidationError("That tag no longer exists: choose another.")
        if not [tag for tag in self.chosen if tag.pk != target.pk]:
            raise ValidationError("Choose at least one other tag to merge into it.")
        return target


class TagActionsMixin(CheckedSelectionMixin):
    """Deleting and merging tags, for those the tag rule (`TagQuerySet.editable_by`) allows."""

    actions = ["delete_selected", "merge_tags"]

    def chosen_tags(self, request, queryset):
        """The chosen tags the person may change, and those they may not (reported)."""
        tags = list(queryset)
        editable = set(Tag.objects.editable_by(request.user).filter(pk__in=[tag.pk for tag in tags]).values_list("pk", flat=True))
        refused = [tag for tag in tags if tag.pk not in editable]
        if refused:
            self.message_user(
                request,
                f"{counted(len(refused), 'tag was', 'tags were')} skipped: {quoted(refused)} "
                f"{'is' if len(refused) == 1 else 'are'} used by other authors' posts, and only "
                "editors may rename, re-slug, merge or delete such tags.",
                messages.WARNING,
            )
        return [tag for tag in tags if tag.pk in editable]

    @admin.action(description="Delete selected tags", permissions=["delete"])
    def delete_selected(self, request, queryset):
        tags = self.chosen_tags(request, queryset)
        if not tags:
            return None
        # Django's own confirmation and deletion, on the tags the rule allows.
        return django_delete_selected(self, request, queryset.filter(pk__in=[tag.pk for tag in tags]))

    @admin.action(description="Merge into another tag…", permissions=["delete"])
    def merge_tags(self, request, queryset):
        tags = self.chosen_tags(request, queryset)
        if not tags:
            return None
        if "apply" not in request.POST:
            return self.merge_confirmation(request, MergeTagsForm(chosen=tags), tags)
        form = MergeTagsForm(request.POST, chosen=tags)
        if not form.is_valid():
            return self.merge_confirmation(request, form, tags, status=400)
        target = form.cleaned_data["target"]
        sources = [tag for tag in tags if tag.pk != target.pk]
        with transaction.atomic():
            moved = {post.pk for source in sources for post in source.merge_into(target, by=request.user)}
            self.log_change(request, target, f"Merged {quoted(sources, limit=len(sources))} into it.")
        self.message_user(
            request,
            f"Merged {quoted(sources)} into “{target}”: {counted(len(moved), 'post')} changed, and the "
            "old addresses lead to its page.",
            messages.SUCCESS,
        )

    def merge_confirmation(self, request, form, tags, status=200):
        return self.confirmation(
            request, "admin/blog/tag/merge.html", "Merge tags", tags, "merge_tags", status=status, form=form
        )
