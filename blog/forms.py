from django import forms

from blog import images


class ReencodedImageField(forms.FileField):
    """An image upload in a form: checked and re-encoded by blog/images.py before it is kept.

    Its value is the re-encoded file (a random name, only the pixels), which a model's
    FileField or ImageField then stores; the ClearableFileInput's "Clear" still removes it.
    Django's own forms.ImageField is not used: it would open the upload with Pillow without
    the limits that reencode_upload() puts on the work an image may cost.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.ClearableFileInput(attrs={"accept": images.ACCEPTED_TYPES})
        )
        super().__init__(**kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        try:
            return images.reencoded_file(upload)
        except images.ImageRejected as error:
            raise forms.ValidationError(str(error), code="invalid_image") from None
