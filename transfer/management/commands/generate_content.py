"""Fill the database with generated posts, tags and comment threads, for benchmarks and demos.

    manage.py generate_content --posts 100000 --comments 1000000

It lives in `transfer` because it writes both blog and comments (like the imports), and
`blog` may not import `comments`. Rows go in with bulk inserts, a chunk of posts at a time
with their comments; Markdown is rendered once per distinct text (posts and comments draw
their text from small pools), so every stored HTML field is exactly what saving the object
would have produced. Threads look like real ones: a few posts draw most comments, a third
of the comments start a thread, the rest reply to earlier ones, and some wait in moderation.
"""

import itertools
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from blog import markdown
from pagecache.refresh import refresh_everything
from blog.models import Post, Tag
from comments.models import Comment

VOCABULARY = (
    "archive army artillery autumn battalion battle border bridge brigade campaign canal "
    "captain castle cavalry century ceremony chapel citadel city coast colonel command "
    "commander company convoy country courage court crossing dawn diary diplomat division "
    "empire engineer envoy evacuation family farm ferry field fleet flood fortress front "
    "frontier garrison general governor harbour harvest hill history hospital infantry island "
    "journal king letter liberty lieutenant map march market memory militia mill mountain "
    "museum nation navy newspaper nurse officer parade parliament patrol peace pilot plain "
    "port prisoner province queen radio railway record refugee regiment report republic "
    "retreat revolution river road route sailor school siege signal soldier spring station "
    "storm summer supply surrender telegraph territory town treaty trench truce uniform "
    "valley veteran victory village volunteer war weather winter witness workshop"
).split()
FIRST_NAMES = (
    "Anna Ben Clara Daniel Eva Felix Greta Hugo Ida Jonas Klara Leo Mila Nina Oskar Paula "
    "Quentin Rosa Simon Tilda Ugo Vera Walter Xenia Yusuf Zoe"
).split()
LAST_NAMES = "Adler Berg Brandt Costa Fischer Hart Keller Lang Meyer Novak Roth Schulz Vogel".split()

# Rarer words after the common ones, so searches match a realistic few posts, not all.
SYLLABLES = "ka lo mi ne ra ti vo su be da fe gu ho ji".split()
RARE_WORDS = [a + b + c + "n" for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES[:8]]
WORDS = VOCABULARY + RARE_WORDS
# Zipf's law: the n-th most frequent word turns up about 1/n as often as the first.
WORD_WEIGHTS = list(itertools.accumulate(1 / rank for rank in range(1, len(WORDS) + 1)))

UNPUBLISHED_SHARE = 0.03
POST_POOL = 1000
COMMENT_POOL = 600
TOP_LEVEL_SHARE = 1 / 3
MAX_REPLY_DEPTH = 4
# The busiest post's thread; the rest of the long tail is spread over the others.
MAX_COMMENTS_PER_POST = 3000
# Moderation outcomes, roughly as a small blog sees them.
COMMENT_STATUSES = (
    [Comment.Status.APPROVED] * 92
    + [Comment.Status.PENDING] * 4
    + [Comment.Status.SPAM] * 3
    + [Comment.Status.REJECTED] * 1
)


class Command(BaseCommand):
    help = "Generate posts, tags and threaded comments with bulk inserts (for benchmarks and demos)."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, required=True, help="How many posts.")
        parser.add_argument("--comments", type=int, default=0, help="How many comments in all.")
        parser.add_argument("--tags", type=int, default=None,
                            help="How many tags (default: one per 500 posts, 10 to 400).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable data.")
        parser.add_argument("--chunk", type=int, default=2000,
                            help="Posts written per transaction, with their comments.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        posts, comments = options["posts"], options["comments"]
        if posts < 1 or comments < 0 or options["chunk"] < 1:
            raise CommandError("--posts must be at least 1, --comments and --chunk not negative.")
        self.rng = random.Random(options["seed"])
        tag_count = options["tags"] or min(400, max(10, posts // 500))

        authors = self.authors()
        tags = self.tags(tag_count)
        post_pool = self.post_pool()
        comment_pool = self.comment_pool()
        # Drafts and scheduled posts (3%) take no comments.
        rolls = [1.0] + [self.rng.random() for _ in range(posts - 1)]
        live = [roll >= UNPUBLISHED_SHARE for roll in rolls]
        if comments > sum(live) * MAX_COMMENTS_PER_POST:
            raise CommandError(
                f"At most {MAX_COMMENTS_PER_POST:,} comments per published post: ask for more posts."
            )
        per_post = self.comments_per_post(live, comments)

        now = timezone.now()
        with tqdm(total=posts + comments, unit="row", disable=options["no_progress"],
                  desc="posts and comments") as progress:
            first = Post.objects.count()
            for start in range(0, posts, options["chunk"]):
                numbers = range(start, min(posts, start + options["chunk"]))
                with transaction.atomic():
                    written = self.write_chunk(
                        numbers, first, now, authors, tags, post_pool, comment_pool, per_post, rolls
                    )
                progress.update(written)
        # Written in bulk, without model signals: every cached page may show it.
        with transaction.atomic():
            refresh_everything()
        self.stdout.write(f"Generated {posts:,} posts, {comments:,} comments and {len(tags)} tags.")

    def authors(self):
        users = []
        for number in range(1, 6):
            user, created = get_user_model().objects.get_or_create(
                username=f"generated-author-{number}",
                defaults={"first_name": self.rng.choice(FIRST_NAMES),
                          "last_name": self.rng.choice(LAST_NAMES), "is_active": False},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            users.append(user)
        return users

    def tags(self, count):
        names = self.rng.sample(VOCABULARY, min(count, len(VOCABULARY)))
        while len(names) < count:
            name = " ".join(self.rng.sample(VOCABULARY, 2))
            if name not in names:
                names.append(name)
        existing = set(Tag.objects.filter(name__in=names).values_list("name", flat=True))
        Tag.objects.bulk_create(
            [Tag(name=name, slug=slugify(name)[:100]) for name in names if name not in existing],
            ignore_conflicts=True,
        )
        return list(Tag.objects.filter(name__in=names).values_list("pk", flat=True))

    def sentence(self, low=6, high=16):
        words = self.rng.choices(WORDS, cum_weights=WORD_WEIGHTS, k=self.rng.randint(low, high))
        if self.rng.random() < 0.2:
            spot = self.rng.randrange(len(words))
            words[spot] = f"*{words[spot]}*"
        return " ".join(words).capitalize() + "."

    def paragraph(self, sentences):
        return " ".join(self.sentence() for _ in range(sentences))

    def post_pool(self):
        """(body, body_html, summary_html) for a few hundred distinct posts, each rendered once."""
        pool = []
        for _ in range(POST_POOL):
            parts = [self.paragraph(self.rng.randint(2, 4))]
            parts.append("## " + self.sentence(2, 5).rstrip("."))
            parts.extend(self.paragraph(self.rng.randint(2, 5)) for _ in range(self.rng.randint(1, 3)))
            parts.append("\n".join(f"- {self.sentence(3, 8)}" for _ in range(self.rng.randint(2, 5))))
            parts.append(f"More in [the archive](https://example.com/{self.rng.choice(VOCABULARY)}/).")
            body = "\n\n".join(parts)
            post = Post(body=body)
            post.render()
            pool.append((body, post.body_html, post.summary_html))
        return pool

    def comment_pool(self):
        """(body, body_html) pairs; Comment.save() would render them the same way."""
        pool = []
        for _ in range(COMMENT_POOL):
            paragraphs = [self.paragraph(self.rng.randint(1, 3)) for _ in range(self.rng.randint(1, 2))]
            body = "\n\n".join(paragraphs)[: 1200]
            pool.append((body, markdown.render_comment(body)))
        return pool

    def comments_per_post(self, live, comments):
        """A long tail: most posts have a few comments, a few have hundreds."""
        posts = len(live)
        weights = [self.rng.paretovariate(1.3) if is_live else 0 for is_live in live]
        total = sum(weights)
        counts = [min(MAX_COMMENTS_PER_POST, int(comments * weight / total)) for weight in weights]
        while sum(counts) < comments:
            for index in self.rng.choices(range(posts), weights=weights, k=comments - sum(counts)):
                if counts[index] < MAX_COMMENTS_PER_POST:
                    counts[index] += 1
        return counts

    def write_chunk(self, numbers, first, now, authors, tags, post_pool, comment_pool, per_post, rolls):
        rng = self.rng
        posts = []
        for number in numbers:
            body, body_html, summary_html = rng.choice(post_pool)
            title = self.sentence(3, 8).rstrip(".").replace("*", "")
            roll = rolls[number]
            if roll < 0.02:
                status, published_at = Post.Status.DRAFT, None
            elif roll < UNPUBLISHED_SHARE:
                status, published_at = Post.Status.PUBLISHED, now + timedelta(days=rng.randint(1, 60))
            else:
                status = Post.Status.PUBLISHED
                published_at = now - timedelta(seconds=rng.randint(3600, 12 * 365 * 86400))
            posts.append(Post(
                title=title[:200],
                slug=f"{slugify(title)[:180]}-{first + number + 1}",
                author=rng.choice(authors),
                body=body, body_html=body_html, summary_html=summary_html,
                status=status, published_at=published_at,
            ))
        Post.objects.bulk_create(posts)
        # bulk_create stamps the auto_now fields with the time of the insert.
        Post.objects.filter(pk__in=[post.pk for post in posts], published_at__lte=now).update(
            created_at=F("published_at"), updated_at=F("published_at")
        )

        links = [
            Post.tags.through(post_id=post.pk, tag_id=tag)
            for post in posts
            for tag in set(rng.choices(tags, k=rng.randint(0, 4)))
        ]
        Post.tags.through.objects.bulk_create(links)

        by_depth = [[] for _ in range(MAX_REPLY_DEPTH + 1)]
        parents = {}
        for post, number in zip(posts, numbers):
            count = per_post[number]
            open_parents = []
            when = post.published_at
            for index in range(count):
                when = when + timedelta(minutes=rng.randint(1, 600))
                body, body_html = rng.choice(comment_pool)
                first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                comment = Comment(
                    post_id=post.pk,
                    author_name=f"{first_name} {last_name}",
                    author_email=f"{first_name}.{last_name}{rng.randint(1, 500)}@example.com".lower(),
                    body=body, body_html=body_html,
                    status=rng.choice(COMMENT_STATUSES),
                    created_at=min(when, now),
                    ip_address=f"198.51.100.{rng.randint(1, 254)}",
                    user_agent="Mozilla/5.0 (generated)",
                )
                if index and open_parents and rng.random() > TOP_LEVEL_SHARE:
                    parent = rng.choice(open_parents[-50:])
                    comment.depth = parent.depth + 1
                    parents[id(comment)] = parent
                else:
                    comment.depth = 0
                if comment.depth < MAX_REPLY_DEPTH:
                    open_parents.append(comment)
                by_depth[comment.depth].append(comment)
        for level in by_depth:
            for comment in level:
                parent = parents.get(id(comment))
                if parent is not None:
                    comment.parent_id = parent.pk
            # The parents (one level up) were inserted just before and have their ids.
            Comment.objects.bulk_create(level, batch_size=5000)
        return len(posts) + sum(len(level) for level in by_depth)
