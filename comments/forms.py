import glob
import ipaddress
import re
import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import URLValidator
from django.utils import timezone

from blog import markdown
from blog.jinja2 import form_renderer
from blog.text import refuse_control_characters
from comments import moderation
from comments.models import (
    BODY_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    URL_MAX_LENGTH,
    BlocklistEntry,
    Comment,
)

# The form carries the time it was made, signed; older than this it asks for a reload
# (and a replayed or hand-made submission cannot pass for a fresh one).
FORM_MAX_AGE = timedelta(hours=2)
TIMESTAMP_SALT = "comments.form"

REPLY_ERROR_OTHER_POST = "You can only reply to a comment on this post."
REPLY_ERROR_NOT_VISIBLE = "That comment is not published, so it cannot be replied to."
REPLY_ERROR_TOO_DEEP = (
    "This conversation is nested as deep as it can go: please reply to an earlier comment."
)


def clean_display_name(value):
    """A name without invisible characters.

    Unicode format characters (bidi overrides and isolates, zero-width spaces and
    joiners) would let one name look like another, or reverse the text around it; they
    are removed and runs of spaces become one. (Control characters are refused before
    this, by the field's validator.)
    """
    visible = "".join(c for c in value if unicodedata.category(c) not in {"Cf", "Cc"})
    return re.sub(r"\s+", " ", visible).strip()


def check_body(body):
    """`body` if Markdown can show it within its limits; the reason otherwise."""
    try:
        markdown.check_comment_source(body)
    except markdown.MarkdownError as error:
        raise forms.ValidationError(
            f"This comment cannot be shown as written: {error}.", code="markdown"
        ) from None
    return body


def body_field(label="Comment"):
    return forms.CharField(
        label=label,
        max_length=BODY_MAX_LENGTH,
        validators=[refuse_control_characters],
        help_text="Markdown works: *emphasis*, `code`, lists, > quotes and [links](https://…).",
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def website_field():
    return forms.URLField(
        label="Website (optional)",
        required=False,
        max_length=URL_MAX_LENGTH,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"]), refuse_control_characters],
        error_messages={"invalid": "Enter a web address starting with http:// or https://."},
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )


class CommentForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX_LENGTH,
        validators=[refuse_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=EMAIL_MAX_LENGTH,
        validators=[refuse_control_characters],
        help_text="Never shown to anyone. Used only to confirm that it is yours and, if you "
        "ask, to tell you of replies.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    url = website_field()
    body = body_field()
    notify = forms.BooleanField(label="Email me when someone replies", required=False)
    parent = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    timestamp = forms.CharField(widget=forms.HiddenInput)
    # Hidden from people by the style sheet; programs that fill in every field fill it.
    honeypot = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    # Shown on every post page: its widgets are rendered by Jinja2, to the same bytes.
    default_renderer = form_renderer

    def __init__(self, post, *args, user=None, parent=None, **kwargs):
        kwargs.setdefault("auto_id", "comment-form-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.post = post
        self.fields["timestamp"].initial = signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(
            str(post.pk)
        )
        if parent is not None:
            self.fields["parent"].initial = parent.pk
        if user is not None and user.is_authenticated:
            self.fields["name"].initial = user.get_full_name() or user.get_username()
            self.fields["email"].initial = user.email

    def clean_name(self):
        name = clean_display_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Enter a name made of visible letters.")
        return name

    def clean_email(self):
        # Stored in lower case so that "an earlier approved comment from this address"
        # and the flood rule find it with a plain indexed lookup.
        return self.cleaned_data["email"].lower()

    def clean_body(self):
        return check_body(self.cleaned_data["body"])

    def clean_timestamp(self):
        value = self.cleaned_data["timestamp"]
        signer = signing.TimestampSigner(salt=TIMESTAMP_SALT)
        try:
            post_id = signer.unsign(value, max_age=FORM_MAX_AGE)
        except signing.SignatureExpired:
            raise forms.ValidationError(
                "This page was opened more than two hours ago. Please copy your comment, "
                "reload the page and send it again.",
                code="expired",
            ) from None
        except signing.BadSignature:
            post_id = None
        if post_id != str(self.post.pk):
            raise forms.ValidationError(
                "This form was not made by this page. Please reload the page and try again.",
                code="forged",
            )
        return value

    def clean_honeypot(self):
        if self.cleaned_data["honeypot"]:
            raise forms.ValidationError(
                "The field “Leave this field empty” must be left empty.", code="honeypot"
            )
        return ""

    def clean_parent(self):
        parent_id = self.cleaned_data["parent"]
        if parent_id is None:
            return None
        parent = Comment.objects.filter(pk=parent_id).first()
        if parent is None or parent.post_id != self.post.pk:
            raise forms.ValidationError(REPLY_ERROR_OTHER_POST, code="other_post")
        if not parent.is_visible:
            raise forms.ValidationError(REPLY_ERROR_NOT_VISIBLE, code="not_visible")
        if not moderation.can_reply_to(parent):
            raise forms.ValidationError(REPLY_ERROR_TOO_DEEP, code="too_deep")
        return parent

    @property
    def hidden_field_errors(self):
        """Errors of the hidden fields, shown with the form's own errors at the top."""
        return [
            error
            for name in ("timestamp", "parent")
            for error in self.errors.get(name, [])
        ]

    def build_comment(self, *, user, ip_address, user_agent):
        """The comment this form describes, not yet stored."""
        data = self.cleaned_data
        return Comment(
            post=self.post,
            parent=data["parent"],
            author_name=data["name"],
            author_email=data["email"],
            author_url=data["url"],
            body=data["body"],
            notify_on_reply=data["notify"],
            user=user if user.is_authenticated else None,
            ip_address=ip_address,
            # Headers may carry control characters (even NUL, which PostgreSQL refuses).
            user_agent="".join(c for c in user_agent if c.isprintable())[:500],
        )


# Moderators' forms: the queue's filters and what its "Reply", "Edit" and "Block" pages send.


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string. A value that makes no sense is
    left out (the view refuses an unknown status with 404)."""

    status = forms.ChoiceField(choices=Comment.Status.choices, required=False)
    post = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    reason = forms.CharField(max_length=200, required=False)

    def chosen(self):
        """(status, post id or None, reason or "") of the valid filters."""
        self.is_valid()
        data = self.cleaned_data
        return (
            data.get("status") or Comment.Status.PENDING,
            data.get("post"),
            data.get("reason") or "",
        )


class ModeratorReplyForm(forms.Form):
    body = body_field("Your reply")

    def clean_body(self):
        return check_body(self.cleaned_data["body"])


class ModeratorEditForm(forms.Form):
    """What a moderator may change of a comment (Comment.EDITABLE)."""

    author_name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH,
                                  validators=[refuse_control_characters])
    author_url = website_field()
    body = body_field()

    def __init__(self, *args, comment, **kwargs):
        initial = {name: getattr(comment, name) for name in Comment.EDITABLE}
        super().__init__(*args, initial=initial, **kwargs)

    def clean_author_name(self):
        name = clean_display_name(self.cleaned_data["author_name"])
        if not name:
            raise forms.ValidationError("Enter a name made of visible letters.")
        return name

    def clean_body(self):
        return check_body(self.cleaned_data["body"])


# How long a block from the queue lasts, in days ("" for good).
BLOCK_DURATIONS = [("", "Until I delete it"), ("1", "1 day"), ("7", "1 week"),
                   ("30", "30 days"), ("365", "1 year")]


class BlockForm(forms.Form):
    """What to block of one comment's sender, offered from what the comment holds."""

    what = forms.ChoiceField(label="Block", widget=forms.RadioSelect)
    duration = forms.ChoiceField(label="For", choices=BLOCK_DURATIONS, required=False)
    note = forms.CharField(label="Note (optional)", max_length=200, required=False,
                           validators=[refuse_control_characters])

    def __init__(self, *args, comment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["what"].choices = self.choices_for(comment)

    @staticmethod
    def choices_for(comment):
        Kind = BlocklistEntry.Kind
        choices = []
        if comment.author_email:
            email = comment.author_email.lower()
            choices.append((f"{Kind.EMAIL}:{email}", f"The email address {email}"))
        if comment.ip_address:
            address = ipaddress.ip_address(comment.ip_address)
            network = ipaddress.ip_network(
                f"{address}/{24 if address.version == 4 else 64}", strict=False
            )
            choices.append((f"{Kind.IP}:{address}", f"The IP address {address}"))
            choices.append((f"{Kind.IP}:{network}", f"The network {network}"))
        host = (urlsplit(comment.author_url).hostname or "") if comment.author_url else ""
        if host:
            choices.append((f"{Kind.DOMAIN}:{host}", f"Websites at {host}"))
        # The name exactly: wildcard characters in it match only themselves.
        pattern = glob.escape(comment.author_name.lower())
        if len(pattern) <= EMAIL_MAX_LENGTH:
            choices.append((f"{Kind.NAME}:{pattern}", f"The name “{comment.author_name}”"))
        return choices

    def entry(self, *, now=None):
        """(kind, value, expires_at) of the valid form."""
        kind, _, value = self.cleaned_data["what"].partition(":")
        days = self.cleaned_data["duration"]
        expires_at = (now or timezone.now()) + timedelta(days=int(days)) if days else None
        return kind, value, expires_at


class CommentEditForm(forms.Form):
    """A commenter's new text for their own comment (comments/editing.py)."""

    body = body_field()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "comment-edit-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_body(self):
        return check_body(self.cleaned_data["body"])
