from django import forms

from transfer.models import SourceRecord


class ImportForm(forms.Form):
    PLATFORM_CHOICES = [("", "Tell from the file"), *SourceRecord.Platform.choices]

    file = forms.FileField(
        help_text="A WordPress export (.xml, from Tools → Export), a Blogger backup (.xml), or "
        "Blogger's Google Takeout feed.atom or .zip.",
    )
    platform = forms.ChoiceField(choices=PLATFORM_CHOICES, required=False, label="Exported from")
    dry_run = forms.BooleanField(
        required=False, label="Dry run",
        help_text="Only report what would be created, updated and skipped; save nothing.",
    )
    recover = forms.BooleanField(
        required=False, label="Recover",
        help_text="Read a file that is not well-formed XML as far as it can be, and list what "
        "could not be read (WordPress's importer reads such files too).",
    )
    fetch_media = forms.BooleanField(
        required=False, label="Fetch images",
        help_text="Bring the images the posts and pages show from the old blog's servers (and "
        "WordPress's image attachments) here. The worker fetches them after the import; "
        "Imported images lists what could not be fetched.",
    )
