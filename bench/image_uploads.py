"""Time blog.images.reencode_upload() on the costliest images it accepts and on bombs it refuses.

Run: .venv/bin/python bench/image_uploads.py
Prints the median of 3 runs per input of checking, decoding and re-encoding (no storage):
CPU time, which other processes on a shared machine disturb little, and wall time; then the
peak memory the process reached. The baseline row is an ordinary photo-sized JPEG checked
in the same run. docs/SECURITY.md quotes these figures.
"""

import io
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402

from blog.images import ImageRejected, reencode_upload  # noqa: E402


def noise(size, mode="RGB"):
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))


def encoded(image, image_format, **options):
    output = io.BytesIO()
    image.save(output, image_format, **options)
    return output.getvalue()


def animation(frame_count, size, canvas=None):
    """`frame_count` flat frames of `size`, each its own colour so that none is merged;
    `canvas` rewrites the logical screen size."""
    frames = [Image.new("P", size, number % 256) for number in range(frame_count)]
    for frame in frames:
        frame.putpalette([channel for number in range(256) for channel in (number, 255 - number, 7)])
    data = bytearray(encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40))
    if canvas:
        data[6:10] = canvas[0].to_bytes(2, "little") + canvas[1].to_bytes(2, "little")
    return bytes(data)


def tiny_frames_filling_the_byte_limit():
    frames = [Image.new("P", (1, 1), number % 2) for number in range(2)]
    one = encoded(
        frames[0], "GIF", save_all=True, append_images=frames[1:], optimize=False, duration=10
    )
    # Header and trailer around the repeated 2-frame body: as many frames as the bytes allow.
    body_start = one.index(b"\x21\xf9")
    body = one[body_start:-1]
    repeats = (settings.IMAGE_UPLOAD_MAX_BYTES - len(one)) // len(body)
    return one[:body_start] + body * repeats + b";"


def cases():
    max_pixels = settings.IMAGE_UPLOAD_MAX_PIXELS
    side = int(max_pixels**0.5)
    frames = settings.IMAGE_UPLOAD_MAX_FRAMES
    animation_pixels = settings.IMAGE_UPLOAD_MAX_ANIMATION_PIXELS
    frame_side = int((animation_pixels // frames) ** 0.5)
    two_side = int((animation_pixels // 2) ** 0.5)
    yield "baseline: 3000x2000 JPEG photo", encoded(noise((3000, 2000)), "JPEG", quality=80)
    yield f"PNG {side}x{side}, flat (largest canvas)", encoded(Image.new("RGB", (side, side), "teal"), "PNG")
    yield f"JPEG {side}x{side}, flat", encoded(Image.new("RGB", (side, side), "teal"), "JPEG")
    yield f"GIF {frames} frames of {frame_side}x{frame_side}", animation(frames, (frame_side, frame_side))
    yield f"GIF 2 frames of {two_side}x{two_side}", animation(2, (two_side, two_side))
    one_frame = animation(1, (8, 8))
    junk = b"\0" * (settings.IMAGE_UPLOAD_MAX_BYTES - len(one_frame))
    yield "GIF of one frame, then 5 MB of stray bytes", one_frame[:-1] + junk + b";"
    yield "GIF 50 1x1 frames, 6000x6000 canvas (refused)", animation(50, (1, 1), canvas=(6000, 6000))
    yield "GIF of 1x1 frames filling 5 MB (refused)", tiny_frames_filling_the_byte_limit()
    yield "PNG 30000x30000, 1 bit (refused)", encoded(Image.new("1", (30_000, 30_000)), "PNG")


def main():
    print(f"{'input':48} {'bytes':>10} {'CPU ms':>8} {'wall ms':>8}  outcome")
    for name, data in cases():
        cpu, wall = [], []
        for _ in range(3):
            started, started_cpu = time.perf_counter(), time.process_time()
            try:
                image = reencode_upload(SimpleUploadedFile("upload", data))
                outcome = f"kept, {image.frames} frame(s), {len(image.content):,} bytes"
            except ImageRejected as error:
                outcome = f"refused: {error}"
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        print(
            f"{name:48} {len(data):>10,} {statistics.median(cpu):>8.1f} "
            f"{statistics.median(wall):>8.1f}  {outcome[:60]}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
