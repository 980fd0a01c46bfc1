"""The shape of a benchmark thread, shared by our side and the peer's so both get the same data.

Pure Python with no imports from either project: the peer runs it in its own virtualenv.
A thread of n comments has one third top-level comments; every other comment replies to an
earlier comment at most MAX_DEPTH - 1 deep, so replies nest to depth MAX_DEPTH (top level
is depth 0). Bodies are BODY_LENGTH characters of plain prose with the odd *emphasis*.
"""

import random

MAX_DEPTH = 3
BODY_LENGTH = 300

WORDS = (
    "archive battle border bridge campaign captain century colonel command convoy "
    "country courage diary empire family fortress frontier general harbour history "
    "journal letter liberty march memory museum nation officer parade patrol peace "
    "prisoner province railway record regiment report republic river siege soldier "
    "treaty valley village winter witness"
).split()
FIRST_NAMES = "Anna Ben Clara Daniel Eva Felix Greta Hugo Ida Jonas Klara Leo Mila Nina Oskar".split()
LAST_NAMES = "Adler Berg Brandt Fischer Hart Keller Lang Meyer Novak Roth Schulz Vogel".split()


def prose(rng, length=BODY_LENGTH):
    """About `length` characters of sentences; a few words in *emphasis*."""
    sentences = []
    size = 0
    while size < length:
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
        if rng.random() < 0.2:
            spot = rng.randrange(len(words))
            words[spot] = f"*{words[spot]}*"
        sentence = " ".join(words).capitalize() + "."
        sentences.append(sentence)
        size += len(sentence) + 1
    text = " ".join(sentences)[: length - 1]
    if text.count("*") % 2:
        text = text[: text.rindex("*")] + text[text.rindex("*") + 1 :]
    text = text.rstrip(" *")
    return text + "." * (length - len(text))


def thread_shape(count, seed=0):
    """`count` comments as dicts in creation order.

    Each has index, parent (an earlier index, or None), depth, name, email, body and
    minute (minutes after the post, for created_at).
    """
    rng = random.Random(f"thread-{count}-{seed}")
    top_level = max(1, round(count / 3)) if count else 0
    # The first comment opens the thread; the rest come in a shuffled order.
    kinds = [True] * max(0, top_level - 1) + [False] * (count - top_level)
    rng.shuffle(kinds)
    kinds = [True] + kinds if count else []
    comments = []
    open_to_replies = []
    for index, is_top in enumerate(kinds):
        if is_top or not open_to_replies:
            parent, depth = None, 0
        else:
            parent = rng.choice(open_to_replies)
            depth = comments[parent]["depth"] + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        comments.append({
            "index": index,
            "parent": parent,
            "depth": depth,
            "name": f"{first} {last}",
            "email": f"{first}.{last}{index}@example.com".lower(),
            "body": prose(rng),
            "minute": index + 1,
        })
        if depth < MAX_DEPTH:
            open_to_replies.append(index)
    return comments


POST_TITLE = "A post with {count} comments"
POST_BODY = (
    "An ordinary post of a few paragraphs, the same on both sides of the benchmark.\n\n"
    + "\n\n".join(prose(random.Random(f"post-{n}"), 600) for n in range(6))
)
SIZES = (10, 100, 1000)
