"""The editor's image upload, with every format it accepts made hostile.

PNG, JPEG, GIF and WebP of every mode, still and animated, with metadata of every kind
(EXIF with a GPS position, XMP, comments, PNG text), then cut short, followed by junk,
bit-flipped, or with a header that claims a huge canvas. Every upload is stored
re-encoded without any of that metadata, or refused with the editor's JSON 400.
"""

import io
import json
import random
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from tests.fuzz.harness import Broken, Outcome

pytestmark = pytest.mark.django_db

SECRET = b"fuzz-secret-metadata"
MODES = {
    "PNG": ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"],
    "JPEG": ["RGB", "L", "CMYK"],
    "GIF": ["P", "L", "RGB"],
    "WEBP": ["RGB", "RGBA"],
}
ANIMATED = {"PNG", "GIF", "WEBP"}
HUGE_CANVASES = [(6000, 6000), (65535, 65535), (0, 0), (1, 65535), (40000, 1000), (16383, 16383)]
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + SECRET + b"</rdf:RDF></x:xmpmeta>"


def exif_with_gps():
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode()  # Make
    exif[0x0112] = 6  # Orientation: rotated, so the rotation is applied before EXIF goes
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    return exif.tobytes()


def save_options(image_format, metadata):
    options = {}
    if "exif" in metadata and image_format != "GIF":
        options["exif"] = exif_with_gps()
    if "comment" in metadata and image_format in ("JPEG", "GIF"):
        options["comment"] = SECRET
    if "xmp" in metadata and image_format in ("JPEG", "WEBP", "PNG"):
        options["xmp"] = XMP
    if "text" in metadata and image_format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", SECRET.decode())
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        options["pnginfo"] = info
    return options


def with_canvas(data, image_format, size):
    """The file with its header claiming a canvas of `size`, checksums mended."""
    width, height = size
    if image_format == "GIF":
        return data[:6] + struct.pack("<HH", width % 65536, height % 65536) + data[10:]
    if image_format == "PNG":
        ihdr = data[12:16] + struct.pack(">II", width, height) + data[24:29]
        return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]
    if image_format == "JPEG":
        for marker in (b"\xff\xc0", b"\xff\xc2", b"\xff\xc1"):
            at = data.find(marker)
            if at != -1:
                return data[:at + 5] + struct.pack(">HH", height % 65536, width % 65536) + data[at + 9:]
        return data
    at = data.find(b"VP8X")
    if at == -1:
        return data
    dims = struct.pack("<I", max(width - 1, 0))[:3] + struct.pack("<I", max(height - 1, 0))[:3]
    return data[:at + 12] + dims + data[at + 18:]


class ImageFile:
    """An upload's bytes and how they were made; shown by what it is, not byte by byte."""

    def __init__(self, image_format, damage, metadata, name, data):
        self.image_format, self.damage, self.metadata, self.name, self.data = (
            image_format, damage, metadata, name, data
        )

    def __repr__(self):
        return (f"ImageFile({self.image_format}, damage={self.damage}, metadata={self.metadata}, "
                f"name={self.name!r}, {len(self.data)} bytes starting {self.data[:32]!r})")


@st.composite
def image_files(draw):
    image_format = draw(st.sampled_from(sorted(MODES)))
    mode = draw(st.sampled_from(MODES[image_format]))
    size = (draw(st.integers(1, 48)), draw(st.integers(1, 48)))
    frame_count = draw(st.integers(1, 6)) if image_format in ANIMATED else 1
    noise = random.Random(draw(st.integers(0, 2**32 - 1)))
    frames = [
        Image.frombytes("RGB", size, noise.randbytes(size[0] * size[1] * 3)).convert(mode)
        for _ in range(frame_count)
    ]
    metadata = draw(st.sets(st.sampled_from(["exif", "comment", "xmp", "text"])))
    options = save_options(image_format, metadata)
    if frame_count > 1:
        options.update(save_all=True, append_images=frames[1:], duration=draw(st.integers(0, 500)),
                       loop=draw(st.integers(0, 3)))
    output = io.BytesIO()
    try:
        frames[0].save(output, image_format, **options)
    except (OSError, ValueError, KeyError):
        # A mode this format cannot write: send the RGB picture instead.
        output = io.BytesIO()
        frames[0].convert("RGB").save(output, image_format, **save_options(image_format, metadata))
    data = output.getvalue()

    damage = draw(st.sampled_from(["none", "none", "canvas", "truncate", "append", "flip"]))
    if damage == "canvas":
        data = with_canvas(data, image_format, draw(st.sampled_from(HUGE_CANVASES)))
    elif damage == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif damage == "append":
        data += draw(st.binary(max_size=64) | st.just(b"<script>alert(1)</script>"))
    elif damage == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    name = draw(st.sampled_from(["photo.png", "a.jpg", "x.gif", "image.webp", "../../evil.html", "noext", "é.PNG"]))
    return ImageFile(image_format, damage, sorted(metadata), name, data)


def upload(site, media, request):
    image_format, damage, metadata, name, data = (
        request.image_format, request.damage, request.metadata, request.name, request.data
    )
    content_type = f"image/{image_format.lower()}"
    response = site.client("author").post(
        "/markdownx/upload/", {"image": SimpleUploadedFile(name, data, content_type=content_type)}
    )
    assert response.status_code in (200, 400), response.status_code
    answer = json.loads(response.content)
    if response.status_code == 400:
        assert list(answer) == ["image"] and answer["image"][0], answer
        return Outcome(f"400 {image_format} {damage}", refused=True)
    url = answer["image_code"].removeprefix("![](").removesuffix(")")
    stored = Path(media) / url.removeprefix("/media/")
    content = stored.read_bytes()
    if SECRET in content:
        raise Broken(f"{url} keeps the uploaded metadata ({', '.join(metadata)})")
    with Image.open(stored) as image:
        assert stored.suffix.lstrip(".").upper().replace("JPG", "JPEG") == image.format, (url, image.format)
        kept = {key for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "icc_profile") if image.info.get(key)}
        if kept:
            raise Broken(f"{url} keeps metadata: {sorted(kept)}")
        image.load()
    return Outcome(f"200 {image_format} {damage}", refused=False)


def test_image_upload_stores_a_clean_image_or_refuses_any_file(fuzz, site, media):
    fuzz("upload: editor images", image_files(), lambda request: upload(site, media, request), ci_examples=40)
