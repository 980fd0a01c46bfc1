"""Time the Markdown module on pathological input, beside ordinary text of the same size.

Run: .venv/bin/python bench/markdown_pathological.py   (or `make bench`)
Prints the median of 5 runs per input for posts and comments; the baseline row is an
ordinary document of similar length rendered in the same run.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from blog import markdown  # noqa: E402

CASES = {
    "baseline: ordinary prose, 60 KB": "A paragraph of ordinary words that goes on.\n\n" * 1_400,
    "20,000 '['": "[" * 20_000,
    "lists nested 250 deep": "".join("  " * depth + "- item\n" for depth in range(250)),
    "20,000 '>'": ">" * 20_000,
    "20,000 '*a'": "*a" * 20_000,
    "20,000 unclosed links": "[a](" * 20_000,
    "10,000 '[' in 500 KB of text": ("[" + "x" * 49) * 10_000,
    "500,000 '[' (plain-text fallback)": "[" * 500_000,
    "baseline: 1 MB of prose": "A paragraph of ordinary words that goes on for a while.\n\n" * 18_000,
}


def median_ms(function, source, runs=5):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function(source)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main():
    print(f"{'input':34} {'chars':>9} {'post ms':>9} {'comment ms':>11}")
    for name, source in CASES.items():
        post = median_ms(markdown.render_post, source)
        comment = median_ms(markdown.render_comment, source)
        print(f"{name:34} {len(source):>9,} {post:>9.1f} {comment:>11.1f}")


if __name__ == "__main__":
    main()
