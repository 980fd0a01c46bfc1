"""Images uploaded from the post editor: decoded, checked and re-encoded before storing.

Nothing the client says is trusted: not the file name, not the content type. Pillow must
decode the bytes as PNG, JPEG, GIF or WebP; the stored file is a fresh encoding of the
pixels (no appended payloads, no metadata such as GPS positions) under a random name.
"""

import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format name -> (stored extension, save options)
ACCEPTED_FORMATS = {
    "PNG": ("png", {"optimize": True}),
    "JPEG": ("jpg", {"quality": 88, "optimize": True}),
    "GIF": ("gif", {}),
    "WEBP": ("webp", {"quality": 88}),
}


class ImageRejected(ValueError):
    """The upload is not an image we store; the message tells the author why."""


def store_uploaded_image(upload):
    """Validate and re-encode an uploaded file; return the URL of the stored image."""
    max_bytes = settings.IMAGE_UPLOAD_MAX_BYTES
    if upload.size > max_bytes:
        raise ImageRejected(
            f"The image is {upload.size / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MB."
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(f"The image is larger than {max_bytes / 1_048_576:.0f} MB.")

    image = _decode(data)
    extension, save_options = ACCEPTED_FORMATS[image.format]
    encoded = _reencode(image, image.format, save_options)

    now = timezone.now()
    name = f"uploads/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"
    stored_name = default_storage.save(name, ContentFile(encoded))
    return default_storage.url(stored_name)


def _decode(data):
    max_pixels = settings.IMAGE_UPLOAD_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; we apply our own, lower limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRejected(
                    f"The image is {width}×{height} pixels; the limit is "
                    f"{max_pixels:,} pixels in all."
                )
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("The image has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("This file is not a PNG, JPEG, GIF or WebP image.") from None
    return image


def _reencode(image, image_format, save_options):
    output = io.BytesIO()
    try:
        if image_format == "JPEG":
            # Apply the camera's rotation before the EXIF block is dropped.
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(output, "JPEG", **save_options)
        elif image_format == "GIF" and getattr(image, "n_frames", 1) > 1:
            image.save(output, "GIF", save_all=True, loop=image.info.get("loop", 0))
        else:
            image.save(output, image_format, **save_options)
    except (OSError, ValueError):
        raise ImageRejected("The image could not be processed; try saving it again as PNG or JPEG.") from None
    return output.getvalue()
