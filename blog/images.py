"""Uploaded images: decoded, checked and re-encoded before anything stores them.

Nothing the client says is trusted: not the file name, not the content type. Pillow must
decode the bytes as PNG, JPEG, GIF or WebP; what is kept is a fresh encoding of the pixels
(no appended payloads, no metadata of any kind: EXIF and GPS positions, XMP, comments,
PNG text chunks, ICC profiles) under a random name.

The work an image costs is bounded from its headers before any pixel is decoded: the
canvas, the number of frames, and the pixels of all frames together (an animated GIF is
decoded as one full canvas per frame, however small its frames). Decoding stops between
frames once it has used its share of CPU time. docs/SECURITY.md gives each limit with its measured cost.

`reencode_upload()` is the one way in for every kind of upload (the editor's images and
avatars through `store_uploaded_image()`, posts' covers through `reencoded_file()` and
`blog.forms.ReencodedImageField`): it checks and re-encodes, and leaves storing to the
caller.
"""

import io
import re
import struct
import time
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Pillow format name -> (stored extension, save options)
ACCEPTED_FORMATS = {
    "PNG": ("png", {"optimize": True}),
    "JPEG": ("jpg", {"quality": 88, "optimize": True}),
    "GIF": ("gif", {}),
    "WEBP": ("webp", {"quality": 88}),
}
# What file controls offer to choose (the `accept` attribute): a hint, never a check.
ACCEPTED_TYPES = "image/png,image/jpeg,image/gif,image/webp"
# What each frame keeps of what the file said about it: pixels need their transparency;
# everything else (comments, EXIF, XMP, ICC, text chunks) is dropped.
KEPT_FRAME_INFO = ("transparency",)
# Pillow opens a JPEG that carries further pictures (a camera's depth map or second eye)
# as MPO: it is stored as a JPEG of its first picture.
SAME_AS = {"MPO": "JPEG"}
NOT_AN_IMAGE = "This file is not a PNG, JPEG, GIF or WebP image."


class ImageRejected(ValueError):
    """The upload is not an image we keep; the message tells the author why."""


@dataclass(frozen=True)
class ReencodedImage:
    content: bytes
    extension: str
    width: int
    height: int
    frames: int


def reencode_upload(upload):
    """Check an uploaded file and return it re-encoded, or raise ImageRejected.

    `upload` is a Django UploadedFile (or any file object with `size` and `read`).
    """
    data = _read_within_limit(upload)
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; our own limits are lower.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as image:
                image_format = SAME_AS.get(image.format, image.format)
                if image_format not in ACCEPTED_FORMATS:
                    raise ImageRejected(NOT_AN_IMAGE)
                frame_count = _check_work(image, image_format, data)
                frames, durations = _decode_frames(image, image_format, frame_count)
                loop = image.info.get("loop", 0)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("The image has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
        # What Pillow raises on damaged files (IndexError: a GIF frame naming a colour
        # its palette lacks).
        raise ImageRejected(NOT_AN_IMAGE) from None

    extension, save_options = ACCEPTED_FORMATS[image_format]
    content = _encode(frames, durations, loop, image_format, save_options)
    width, height = frames[0].size
    return ReencodedImage(content, extension, width, height, len(frames))


def store_uploaded_image(upload):
    """The editor's upload: check, re-encode and store; return the stored image's URL."""
    image = reencoded_file(upload)
    now = timezone.now()
    stored_name = default_storage.save(f"uploads/{now:%Y/%m}/{image.name}", image)
    return default_storage.url(stored_name)


def reencoded_file(upload):
    """The upload checked and re-encoded (reencode_upload()), as a file to store.

    Its name is random, with the extension of what was kept; a model's FileField (a post's
    cover) stores it under its own folder.
    """
    image = reencode_upload(upload)
    return ContentFile(image.content, name=f"{uuid.uuid4().hex}.{image.extension}")


def _read_within_limit(upload):
    max_bytes = settings.IMAGE_UPLOAD_MAX_BYTES
    if upload.size > max_bytes:
        raise ImageRejected(
            f"The image is {upload.size / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MB."
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(f"The image is larger than {max_bytes / 1_048_576:.0f} MB.")
    return data


def _check_work(image, image_format, data):
    """Refuse from the headers alone an image whose decoding would cost too much."""
    width, height = image.size
    max_pixels = settings.IMAGE_UPLOAD_MAX_PIXELS
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image is {width}×{height} pixels; the limit is {max_pixels:,} pixels in all."
        )
    if image_format == "JPEG":
        return 1
    max_frames = settings.IMAGE_UPLOAD_MAX_FRAMES
    if image_format == "GIF":
        frame_count = gif_frame_count(data, stop_after=max_frames + 1)
    else:
        # WebP and APNG state their frame count up front.
        frame_count = getattr(image, "n_frames", 1)
    if frame_count > max_frames:
        raise ImageRejected(f"The animation has more frames than the limit of {max_frames:,}.")
    max_total = settings.IMAGE_UPLOAD_MAX_ANIMATION_PIXELS
    if frame_count > 1 and width * height * frame_count > max_total:
        raise ImageRejected(
            f"The animation has {frame_count:,} frames of {width}×{height} pixels; the limit "
            f"is {max_total:,} pixels over all frames. Make it smaller or shorter."
        )
    return frame_count


# Between a GIF's blocks, Pillow skips any byte that starts none; so does the count below.
_GIF_BLOCK_START = re.compile(rb"[,!;]")


def gif_frame_count(data, stop_after):
    """The number of frames in a GIF, counted from its block headers, at most `stop_after`.

    Pillow's `n_frames` walks every frame of the file in Python: a few megabytes of
    one-pixel frames take seconds before any limit could apply. This walk stops early,
    skips the bytes of image data in whole sub-blocks, and skips stray bytes as Pillow does.
    """
    if len(data) < 13:
        return 0
    position = 13 + _color_table_size(data[10])
    frames = 0
    while frames < stop_after:
        match = _GIF_BLOCK_START.search(data, position)
        if match is None or match.group() == b";":
            break
        position = match.start()
        if match.group() == b",":  # an image descriptor: one frame
            frames += 1
            if position + 10 > len(data):
                break
            # Descriptor, local colour table, then the LZW code size before the data.
            position += 10 + _color_table_size(data[position + 9]) + 1
        else:  # an extension: "!" and its label
            position += 2
        # The sub-blocks: a length byte each, up to an empty one.
        while position < len(data) and data[position]:
            position += data[position] + 1
        position += 1
    return frames


def _color_table_size(flags):
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _decode_frames(image, image_format, frame_count):
    """Every frame as a new image holding pixels only, with its duration."""
    # CPU time of this thread: a busy machine slows the wall clock, not the work.
    deadline = time.thread_time() + settings.IMAGE_UPLOAD_MAX_DECODE_SECONDS
    frames, durations = [], []
    for index in range(frame_count):
        if time.thread_time() > deadline:
            raise ImageRejected(
                "The image takes too long to decode; save it smaller or with fewer frames."
            )
        try:
            image.seek(index)
        except EOFError:
            # Fewer frames than the headers suggested: keep those there are.
            break
        image.load()
        frame = image
        if image_format == "JPEG":
            # Apply the camera's rotation before the EXIF block is dropped.
            frame = ImageOps.exif_transpose(image)
        frame = _to_srgb(frame, image.info.get("icc_profile"))
        clean = frame.copy()
        clean.info = {key: frame.info[key] for key in KEPT_FRAME_INFO if key in frame.info}
        frames.append(clean)
        durations.append(image.info.get("duration", 0))
    return frames, durations


def _to_srgb(frame, icc_profile):
    """Pixels in sRGB, so that dropping the colour profile keeps the colours."""
    if not icc_profile or frame.mode not in ("RGB", "RGBA"):
        return frame
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(frame, source, ImageCms.createProfile("sRGB"))
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A profile littlecms cannot read: the pixels as they are.
        return frame


def _encode(frames, durations, loop, image_format, save_options):
    output = io.BytesIO()
    first = frames[0]
    try:
        if image_format == "JPEG":
            if first.mode not in ("RGB", "L"):
                first = first.convert("RGB")
            first.save(output, "JPEG", **save_options)
        elif len(frames) > 1:
            first.save(
                output, image_format, save_all=True, append_images=frames[1:],
                duration=durations, loop=loop, **save_options,
            )
        else:
            first.save(output, image_format, **save_options)
    except (OSError, ValueError, RuntimeError):
        # RuntimeError: libwebp refusing a damaged animation's frames.
        raise ImageRejected(
            "The image could not be processed; try saving it again as PNG or JPEG."
        ) from None
    return output.getvalue()
