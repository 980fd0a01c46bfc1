"""Measure the spam filter (comments/spamfilter.py) on a public labelled comment corpus.

Run: .venv/bin/python bench/spam.py   (or `make bench`; under a minute)

The corpus is the YouTube Spam Collection's files in bench/data/youtube-spam/ (README
there: source, authors, licence). In a throwaway SQLite database, with a filter that
knows nothing:

1. the comments are shuffled with a fixed seed (`--seed`) and split in two halves;
2. the first half arrives through `moderation.receive()` (the comment form's path) and a
   moderator decides each one through `moderation.moderate()`: spam for the corpus's
   spam, approve for the rest. That is all the filter learns from;
3. the second half arrives through `receive()` the same way, and the score each got on
   arrival is compared with the corpus's label.

It prints precision and recall (and F1) at the cutoff the filter acts on and at two
lower ones, whether the filter would have acted (`may_act()`, with the default
settings), and the time per comment: the whole of `receive()`, the filter's share of it
(`assess()`), and a moderator's decision with its learning. Times are wall-clock medians
and 95th percentiles on this machine; docs/SPAM.md has the figures.

While the first half is decided the filter is kept in shadow mode (it must not send to
spam a comment the moderator is about to decide on: a comment already in spam cannot be
"marked as spam" again, so it would teach nothing); the second half arrives under the
default settings.
"""

import argparse
import csv
import html
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "bench" / "data" / "youtube-spam"


def load(folder):
    """[(author, text, is_spam)] from every CSV file of the collection in `folder`.

    The files keep the comments HTML-escaped as YouTube served them ("&amp;"); a reader
    would have typed the unescaped text into our form.
    """
    comments = []
    for path in sorted(folder.glob("Youtube*.csv")):
        with path.open(encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                comments.append(
                    (html.unescape(row["AUTHOR"]), html.unescape(row["CONTENT"]), row["CLASS"] == "1")
                )
    return comments


def set_up_django(workdir):
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_HTTPS": "0",
        "SQLITE_PATH": f"{workdir}/db.sqlite3",
        "LOG_LEVEL": "WARNING",
    })
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def milliseconds(times):
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(ordered) * 1000:.2f} ms median, {p95 * 1000:.2f} ms p95"


def scores_table(outcomes, cutoffs):
    lines = [f"{'cutoff':>8} {'precision':>10} {'recall':>8} {'F1':>6} {'caught':>7} "
             f"{'missed':>7} {'wrongly':>8}"]
    for cutoff in cutoffs:
        caught = sum(1 for score, spam in outcomes if spam and score >= cutoff)
        missed = sum(1 for score, spam in outcomes if spam and score < cutoff)
        wrongly = sum(1 for score, spam in outcomes if not spam and score >= cutoff)
        precision = caught / (caught + wrongly) if caught + wrongly else float("nan")
        recall = caught / (caught + missed) if caught + missed else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        lines.append(f"{cutoff:>8.2f} {precision:>10.3f} {recall:>8.3f} {f1:>6.3f} "
                     f"{caught:>7} {missed:>7} {wrongly:>8}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=17, help="the shuffle's seed (17)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of the CSV files")
    parser.add_argument("--errors", action="store_true",
                        help="also list the wanted comments scored at or above the cutoff")
    args = parser.parse_args()

    corpus = load(args.corpus)
    if not corpus:
        raise SystemExit(f"No Youtube*.csv files in {args.corpus}.")
    random.Random(args.seed).shuffle(corpus)
    half = len(corpus) // 2
    training, testing = corpus[:half], corpus[half:]

    set_up_django(tempfile.mkdtemp(prefix="bench-spam-"))
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser, Group
    from django.test import override_settings
    from django.utils import timezone

    from blog.models import Post
    from comments import moderation, spamfilter
    from comments.models import Comment

    moderator = get_user_model().objects.create_user("mod", email="mod@example.org", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    post = Post.objects.create(title="Songs", slug="songs", body="Words.", author=moderator,
                               status=Post.Status.PUBLISHED, published_at=timezone.now())
    anonymous = AnonymousUser()
    numbers = iter(range(1, 1_000_000))

    def arrive(author, text):
        # Each reader their own address, so the flood and duplicate rules leave them be.
        number = next(numbers)
        comment = Comment(post=post, author_name=author[:100] or "Anonymous",
                          author_email=f"reader{number}@example.org", body=text[:5000])
        started = time.perf_counter()
        comment, created = moderation.receive(comment, user=anonymous)
        return comment, time.perf_counter() - started

    decide_times = []
    with override_settings(SPAM_FILTER_MIN_DECISIONS=10**9):
        for author, text, is_spam in training:
            comment, _ = arrive(author, text)
            started = time.perf_counter()
            moderation.moderate(comment, "spam" if is_spam else "approve", by=moderator)
            decide_times.append(time.perf_counter() - started)

    before = spamfilter.standing()
    outcomes, receive_times, assess_times = [], [], []
    sent_to_spam = wrongly_sent = 0
    wrongly_accused = []
    for author, text, is_spam in testing:
        comment, elapsed = arrive(author, text)
        receive_times.append(elapsed)
        outcomes.append((comment.spam_score, is_spam))
        if args.errors and not is_spam and comment.spam_score >= settings.SPAM_FILTER_CUTOFF:
            wrongly_accused.append(f"{comment.spam_score:.3f} {comment.spam_reasons}: {text[:70]!r}")
        if comment.spam_filtered:
            sent_to_spam += 1
            wrongly_sent += not is_spam
        # The filter's share of receive(): scoring the same words again.
        probe = Comment(post=post, author_name=comment.author_name,
                        author_email=comment.author_email, body=comment.body)
        started = time.perf_counter()
        spamfilter.assess(probe)
        assess_times.append(time.perf_counter() - started)

    spam_count = sum(1 for *_, spam in corpus if spam)
    print(f"Corpus: {len(corpus)} comments ({spam_count} spam) from {args.corpus.relative_to(ROOT)}"
          if args.corpus.is_relative_to(ROOT) else f"Corpus: {len(corpus)} comments")
    print(f"Split: seed {args.seed}; learned from {len(training)} moderator decisions "
          f"({sum(s for *_, s in training)} spam), scored {len(testing)} new comments "
          f"({sum(s for *_, s in testing)} spam)")
    print()
    print(scores_table(outcomes, sorted({0.5, 0.9, settings.SPAM_FILTER_CUTOFF})))
    print()
    shown = lambda value: "unknown" if value is None else f"{value:.3f}"  # noqa: E731
    print(f"Before the new comments, its record over the latest {before.record.decisions} "
          f"decisions (scores on arrival, most while it knew little): precision "
          f"{shown(before.record.precision)}, recall {shown(before.record.recall)}; it "
          f"{'acts' if before.acting else 'stays in shadow mode'} (needs "
          f"{before.min_decisions} decisions and precision {before.precision_needed}).")
    print(f"It sent {sent_to_spam} of the new comments to spam on its own, {wrongly_sent} "
          "of them wanted.")
    print()
    for line in wrongly_accused:
        print(f"wanted, scored as spam: {line}")
    if wrongly_accused:
        print()
    print(f"receive(), whole path:   {milliseconds(receive_times)}")
    print(f"the filter's share:      {milliseconds(assess_times)}")
    print(f"moderate() with learning: {milliseconds(decide_times)}")


if __name__ == "__main__":
    main()
