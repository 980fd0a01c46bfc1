"""Uploaded images: the work they cost is bounded before decoding, and nothing but pixels is kept."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import GifImagePlugin, Image, ImageCms, PngImagePlugin

from blog.images import ImageRejected, gif_frame_count, reencode_upload

UPLOAD = "/markdownx/upload/"
SECRET = "SECRET-METADATA-42"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def decoded_frames(monkeypatch):
    """Records every GIF frame Pillow decodes."""
    decoded = []
    original_load = GifImagePlugin.GifImageFile.load

    def load(image):
        decoded.append(image.tell())
        return original_load(image)

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "load", load)
    return decoded


def upload(client, name, data, content_type="image/gif"):
    return client.post(UPLOAD, {"image": SimpleUploadedFile(name, data, content_type=content_type)})


def stored_bytes(root):
    [path] = [path for path in root.rglob("*") if path.is_file()]
    return path.read_bytes()


def animated_gif(frame_count, size=(1, 1), canvas=None, **save_options):
    """An animation of `frame_count` frames; `canvas` rewrites the logical screen size.

    Each frame has its own colour, so that Pillow does not merge equal frames.
    """
    frames = [Image.new("P", size, number % 256) for number in range(frame_count)]
    for frame in frames:
        frame.putpalette([channel for number in range(256) for channel in (number, 255 - number, 7)])
    output = io.BytesIO()
    frames[0].save(output, "GIF", save_all=True, append_images=frames[1:], duration=40, loop=0, **save_options)
    data = bytearray(output.getvalue())
    if canvas:
        data[6:10] = canvas[0].to_bytes(2, "little") + canvas[1].to_bytes(2, "little")
    return bytes(data)


def srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_with_gps():
    exif = Image.Exif()
    exif[0x010E] = SECRET  # ImageDescription
    exif[0x0110] = "Phone-Model-XYZ"  # Model
    exif.get_ifd(0x8825)[2] = (52.0, 31.0, 12.0)  # GPSLatitude
    exif.get_ifd(0x8825)[1] = "N"
    return exif


XMP = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{SECRET}</rdf:Description></x:xmpmeta>'.encode()


def assert_no_metadata(data):
    assert SECRET.encode() not in data
    assert b"Phone-Model" not in data
    assert b"xmpmeta" not in data
    assert b"Exif" not in data
    # Every ICC profile carries this signature in its header.
    assert b"acsp" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
        assert not {"comment", "icc_profile", "exif", "xmp", "XML:com.adobe.xmp"} & image.info.keys()


# --- Work bounded before decoding ---


@pytest.mark.django_db
def test_a_tiny_animation_on_a_huge_canvas_is_refused_before_any_frame_is_decoded(
    author_client, media, decoded_frames
):
    # 1 KB: fifty 1×1 frames on a 6000×6000 canvas, each decoded as a full canvas before.
    bomb = animated_gif(50, canvas=(6000, 6000))
    assert len(bomb) < 2_000

    response = upload(author_client, "bomb.gif", bomb)

    assert response.status_code == 400
    assert response.json() == {"image": [
        "The animation has 50 frames of 6000×6000 pixels; the limit is 20,000,000 pixels "
        "over all frames. Make it smaller or shorter."
    ]}
    assert decoded_frames == []
    assert list(media.rglob("*.*")) == []


@pytest.mark.django_db
def test_an_animation_with_too_many_frames_is_refused_before_decoding(
    author_client, media, settings, decoded_frames
):
    settings.IMAGE_UPLOAD_MAX_FRAMES = 20

    response = upload(author_client, "long.gif", animated_gif(21))

    assert response.status_code == 400
    assert response.json() == {"image": ["The animation has more frames than the limit of 20."]}
    assert decoded_frames == []


@pytest.mark.django_db
def test_decoding_stops_at_the_deadline(author_client, media, settings):
    settings.IMAGE_UPLOAD_MAX_DECODE_SECONDS = 0

    response = upload(author_client, "slow.gif", animated_gif(5, size=(64, 64)))

    assert response.status_code == 400
    assert "too long to decode" in response.json()["image"][0]
    assert list(media.rglob("*.*")) == []


@pytest.mark.django_db
def test_an_ordinary_animation_keeps_its_frames_size_and_timing(author_client, media):
    response = upload(author_client, "dance.gif", animated_gif(12, size=(40, 30)))

    assert response.status_code == 200
    with Image.open(io.BytesIO(stored_bytes(media))) as stored:
        assert stored.format == "GIF"
        assert stored.size == (40, 30)
        assert stored.n_frames == 12
        assert stored.info["duration"] == 40
        assert stored.info["loop"] == 0


def test_a_jpeg_with_a_second_picture_is_kept_as_a_jpeg_of_the_first(settings):
    # Cameras write depth maps and second eyes this way (MPO); Pillow used to reach us with
    # a format we had no entry for.
    first, second = Image.new("RGB", (16, 8), "red"), Image.new("RGB", (16, 8), "blue")
    output = io.BytesIO()
    first.save(output, "MPO", save_all=True, append_images=[second])

    image = reencode_upload(SimpleUploadedFile("3d.jpg", output.getvalue()))

    assert (image.extension, image.width, image.height, image.frames) == ("jpg", 16, 8, 1)
    with Image.open(io.BytesIO(image.content)) as stored:
        assert stored.format == "JPEG"
        assert stored.getpixel((8, 4))[0] > 200


def test_reencode_upload_refuses_what_is_not_an_image():
    with pytest.raises(ImageRejected, match="not a PNG, JPEG, GIF or WebP"):
        reencode_upload(SimpleUploadedFile("notes.png", b"\x89PNG\r\n\x1a\nnot really"))


# --- Nothing but pixels is stored ---


@pytest.mark.django_db
def test_a_jpeg_loses_its_comment_exif_gps_xmp_and_colour_profile(author_client, media):
    output = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(
        output, "JPEG", comment=SECRET, exif=exif_with_gps(), xmp=XMP, icc_profile=srgb_profile()
    )
    original = output.getvalue()
    assert SECRET.encode() in original and b"acsp" in original and b"xmpmeta" in original

    response = upload(author_client, "photo.jpg", original, "image/jpeg")

    assert response.status_code == 200
    data = stored_bytes(media)
    assert_no_metadata(data)
    assert b"\xff\xfe" not in data.split(b"\xff\xda")[0]  # no COM segment before the scan
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (32, 24)


@pytest.mark.django_db
def test_a_jpeg_is_turned_upright_before_its_exif_is_dropped(author_client, media):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    output = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(output, "JPEG", exif=exif)

    upload(author_client, "portrait.jpg", output.getvalue(), "image/jpeg")

    with Image.open(io.BytesIO(stored_bytes(media))) as stored:
        assert stored.size == (20, 40)
        assert not stored.getexif()


@pytest.mark.django_db
def test_a_png_loses_its_text_chunks_exif_and_colour_profile(author_client, media):
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", SECRET)
    text.add_text("Author", SECRET, zip=True)
    text.add_itxt("Description", SECRET, lang="en", tkey="Description")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    output = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(
        output, "PNG", pnginfo=text, exif=exif_with_gps(), icc_profile=srgb_profile()
    )

    response = upload(author_client, "diagram.png", output.getvalue(), "image/png")

    assert response.status_code == 200
    data = stored_bytes(media)
    assert_no_metadata(data)
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert chunk not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.getpixel((5, 5)) == (0, 0, 255, 128)


@pytest.mark.django_db
@pytest.mark.parametrize("frame_count", [1, 3], ids=["still", "animated"])
def test_a_gif_loses_its_comment_extensions(author_client, media, frame_count):
    original = animated_gif(frame_count, size=(8, 8), comment=SECRET)
    assert SECRET.encode() in original

    response = upload(author_client, "wave.gif", original)

    assert response.status_code == 200
    data = stored_bytes(media)
    assert_no_metadata(data)
    assert b"\x21\xfe" not in data  # no comment extension introducer


@pytest.mark.django_db
@pytest.mark.parametrize("frame_count", [1, 3], ids=["still", "animated"])
def test_a_webp_loses_its_exif_xmp_and_colour_profile(author_client, media, frame_count):
    frames = [Image.new("RGB", (16, 16), (number * 60, 0, 0)) for number in range(frame_count)]
    output = io.BytesIO()
    frames[0].save(
        output, "WEBP", save_all=frame_count > 1, append_images=frames[1:],
        exif=exif_with_gps(), xmp=XMP, icc_profile=srgb_profile(),
    )
    assert SECRET.encode() in output.getvalue()

    response = upload(author_client, "clip.webp", output.getvalue(), "image/webp")

    assert response.status_code == 200
    data = stored_bytes(media)
    assert_no_metadata(data)
    for chunk in (b"EXIF", b"XMP ", b"ICCP"):
        assert chunk not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert getattr(stored, "n_frames", 1) == frame_count


def gif_with_stray_bytes(frame_count):
    """Frames with a comment, a local palette each, and stray bytes between blocks."""
    data = animated_gif(frame_count, size=(3, 2), comment="a comment")
    first_frame = data.index(b"\x21\xf9")
    return data[:first_frame] + b"\x00\x07" + data[first_frame:-1].replace(b"\x21\xf9", b"\x00\x21\xf9") + b"\x00;"


@pytest.mark.parametrize("data", [
    animated_gif(1), animated_gif(7, size=(5, 5)), animated_gif(4, comment="x" * 600), gif_with_stray_bytes(6),
], ids=["one frame", "seven frames", "long comment", "stray bytes"])
def test_gif_frames_are_counted_as_pillow_counts_them(data):
    with Image.open(io.BytesIO(data)) as image:
        assert gif_frame_count(data, stop_after=1_000) == image.n_frames


def test_counting_gif_frames_stops_past_the_limit():
    assert gif_frame_count(animated_gif(40), stop_after=11) == 11


# Two damaged files found by mutating valid ones: a truncated GIF whose frame names a colour
# its palette lacks (Pillow: IndexError), and an animated WebP whose canvas no longer fits its
# frames (libwebp: RuntimeError on re-encoding).
DAMAGED = {
    "gif-palette": "474946383761140014008100000000000000000000000000002c00000000140014000008220001"
    "081c48b0a0c18308132a5cc8b0a1c38710234a9c48b1a2c58b18336adc6831200021f904",
    "webp-canvas": "524946461a01000057454250565038580a00000002000000135e00130000414e494d060000000000"
    "0000b800414e4d4640000000000000000000130000130000000000025650382028000000b002009d012a14001400"
    "2e4d369b4da124242404004c4b4800121796712000fe79372dffb5610000414e4d464c0000000000000000001300"
    "00130000000000005650382034000000b402009d012a140014003e6d3496480280800000d8967000242a2ae37500"
    "00fefa9a0fe868d3f0ffeb5f3676fc07ff6db0000000414e4d465200000000000000000013000013000000000000"
    "565038203a000000d402009d012a140014003e6d3496478280800000d896500c8d4f802ae9380000fef9936fd554"
    "f5f8ddfff10e7f5b7fdca6c53ff5db6fec7a0000",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_image_is_refused_with_a_reason_or_kept_as_far_as_it_decodes(author_client, media, name):
    response = upload(author_client, "damaged", bytes.fromhex(DAMAGED[name]))

    if response.status_code == 200:
        with Image.open(io.BytesIO(stored_bytes(media))) as stored:
            stored.load()
    else:
        assert response.status_code == 400
        assert response.json()["image"][0].startswith(("This file is not", "The image could not be"))
        assert list(media.rglob("*.*")) == []
