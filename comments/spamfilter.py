"""The spam filter that learns from this site's moderators, and nothing else.

A naive Bayes model over the tokens of a comment (`tokens()`), whose only memory is how
many approved ("wanted") and spam ("unwanted") comments held each token (`SpamToken`
rows). It ships knowing nothing; `learn()` counts a comment when a moderator decides on
it (a rejected comment is neither, and a moderator who changes their mind makes it
unlearn the old label). Nothing leaves the site.

Every new comment gets a score (the probability that it is spam) and the tokens that
weighed most, stored on the comment when it arrives (`assess()`). The filter acts on a
score only once it has earned trust (`may_act()`): enough decisions learned, and a
precision over the latest decisions at or above the settings' threshold. Then it may send
a comment to the spam folder (still reviewable there); it never approves anything.
docs/SPAM.md has the figures and the reasoning.
"""

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from comments.models import Comment, SpamToken

WANTED = "wanted"
UNWANTED = "unwanted"
# What a moderator's decision teaches: rejected comments (off-topic, rude) are neither.
LABELS = {Comment.Status.APPROVED: WANTED, Comment.Status.SPAM: UNWANTED}

# The row counting the comments themselves (no token is empty).
COMMENTS = ""
# Reasons kept with a comment's score.
REASONS_SHOWN = 3
# What fits in a comment's `held_reason` and the log's `reason`.
REASON_MAX_LENGTH = 200
# A token's length in the table; longer words are cut (they are rare, and stay distinct).
TOKEN_MAX_LENGTH = 60
# Past this much evidence either way the score is 0 or 1 to any precision that matters;
# the bound keeps exp() finite.
MAX_LOG_ODDS = 30.0

# Words: runs of letters and digits (any script), with an inner apostrophe ("don't").
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# A link: a scheme or "www.", then the host.
_LINK = re.compile(r"(?:https?://|www\.)([^\s/?#<>\"'()\[\]]+)", re.IGNORECASE)


def tokens(comment):
    """{token: how a moderator would read it} for one comment.

    - each distinct word of the body, lowercased: "subscribe" (read “subscribe”);
    - each domain the body links to, without "www.": "link:example.com";
    - the number of links in the body and the website field, 3 or more as one:
      "links:0" ... "links:3+";
    - each word of the name: "name:julius";
    - the email's domain: "email:example.org";
    - the website's domain: "site:example.com".
    Each counts once per comment, however often it appears.
    """
    found = {}
    for word in _WORD.findall(comment.body.lower()):
        found[word[:TOKEN_MAX_LENGTH]] = f"“{word[:TOKEN_MAX_LENGTH]}”"
    domains = [_domain(host) for host in _LINK.findall(comment.body)]
    for domain in filter(None, domains):
        found[f"link:{domain}"] = f"link to {domain}"
    links = len(domains) + (1 if comment.author_url else 0)
    found[f"links:{min(links, 3)}{'+' if links >= 3 else ''}"] = (
        f"{links} link{'s' if links != 1 else ''}" if links < 3 else "3 or more links"
    )
    for word in _WORD.findall(comment.author_name.lower()):
        found[f"name:{word[:TOKEN_MAX_LENGTH]}"] = f"name “{word[:TOKEN_MAX_LENGTH]}”"
    if "@" in comment.author_email:
        domain = comment.author_email.rpartition("@")[2].lower()[:TOKEN_MAX_LENGTH]
        found[f"email:{domain}"] = f"email at {domain}"
    if comment.author_url:
        domain = _domain(urlsplit(comment.author_url).hostname or "")
        if domain:
            found[f"site:{domain}"] = f"website {domain}"
    return found


def _domain(host):
    host = host.lower().rpartition("@")[2].partition(":")[0].strip(".")
    return host.removeprefix("www.")[:TOKEN_MAX_LENGTH]


@dataclass(frozen=True)
class Verdict:
    score: float
    reasons: tuple
    # How many decisions the filter had learned from when it gave this score.
    learned: int

    @property
    def summary(self):
        return "; ".join(self.reasons)


def score(comment):
    """The filter's verdict on a comment, from the counts learned so far (one query).

    Naive Bayes over the tokens present: the log odds of spam start from the share of
    spam among the decisions learned, and each token seen before adds the log of how
    much likelier it is in spam than in wanted comments (counts smoothed by one, so a
    token seen once is not taken for proof). Tokens never seen in either say nothing.
    """
    found = tokens(comment)
    rows = {row.token: row for row in SpamToken.objects.filter(token__in=[*found, COMMENTS])}
    totals = rows.pop(COMMENTS, None)
    wanted = totals.wanted if totals else 0
    unwanted = totals.unwanted if totals else 0
    log_odds = math.log((unwanted + 1) / (wanted + 1))
    weights = []
    for token, row in rows.items():
        if not (row.wanted or row.unwanted):
            continue
        weight = math.log((row.unwanted + 1) / (unwanted + 2)) - math.log(
            (row.wanted + 1) / (wanted + 2)
        )
        log_odds += weight
        weights.append((weight, token))
    log_odds = max(-MAX_LOG_ODDS, min(MAX_LOG_ODDS, log_odds))
    probability = 1 / (1 + math.exp(-log_odds))
    # The reasons are what pushed hardest towards the verdict, spam or not.
    towards_spam = probability >= 0.5
    weights.sort(key=lambda pair: (-pair[0], pair[1]) if towards_spam else (pair[0], pair[1]))
    reasons = tuple(
        found[token] for weight, token in weights[:REASONS_SHOWN] if (weight > 0) == towards_spam
    )
    return Verdict(probability, reasons, wanted + unwanted)


def assess(comment):
    """Score a comment not yet stored and keep the verdict on it; returns the verdict."""
    verdict = score(comment)
    comment.spam_score = verdict.score
    comment.spam_reasons = verdict.summary[: Comment._meta.get_field("spam_reasons").max_length]
    return verdict


def may_act(verdict):
    """Whether the filter may send this comment to spam on its own.

    Only a high score (`SPAM_FILTER_CUTOFF`), from a filter that has learned from
    `SPAM_FILTER_MIN_DECISIONS` decisions and whose precision over the latest
    `SPAM_FILTER_WINDOW` ones is at least `SPAM_FILTER_PRECISION`.
    """
    if verdict.score < settings.SPAM_FILTER_CUTOFF:
        return False
    if verdict.learned < settings.SPAM_FILTER_MIN_DECISIONS:
        return False
    precision = record().precision
    return precision is not None and precision >= settings.SPAM_FILTER_PRECISION


def reason(verdict):
    """What the moderation log says when the filter sends a comment to spam."""
    because = f" ({verdict.summary})" if verdict.reasons else ""
    return f"spam filter: score {verdict.score:.2f}{because}"[:REASON_MAX_LENGTH]


def learn(comment):
    """Count a moderator's decision on `comment` (call it in the decision's transaction).

    Approved teaches "wanted", spam "unwanted", rejected nothing; the label learned
    before, if any, is unlearned first, so a reversed decision counts once, as its last
    label. The tokens are read from the comment as it is now: if its text changed since
    it was learned, unlearning removes what it holds now (never below zero).
    """
    label = LABELS.get(comment.status, "")
    if label == comment.spam_learned:
        return
    found = [*tokens(comment), COMMENTS]
    with transaction.atomic():
        if comment.spam_learned:
            _uncount(found, comment.spam_learned)
        if label:
            # Rows first (a concurrent decision may create the same ones), then counts.
            SpamToken.objects.bulk_create(
                [SpamToken(token=token) for token in found], ignore_conflicts=True
            )
            SpamToken.objects.filter(token__in=found).update(**{label: F(label) + 1})
        comment.spam_learned = label
        comment.save(update_fields=["spam_learned"])


def forget(comment):
    """Unlearn `comment` and drop the reasons kept with it (its words, perhaps its name).

    For erasing a commenter (privacy.py): nothing learned from them stays in the counts.
    """
    with transaction.atomic():
        if comment.spam_learned:
            _uncount([*tokens(comment), COMMENTS], comment.spam_learned)
        comment.spam_learned = ""
        comment.spam_reasons = ""
        comment.save(update_fields=["spam_learned", "spam_reasons"])


def _uncount(found, label):
    SpamToken.objects.filter(token__in=found).update(**{label: Greatest(F(label) - 1, 0)})


@dataclass(frozen=True)
class Record:
    """How the filter's scores on arrival compare with what became of the comments."""

    decisions: int
    caught: int  # spam it scored at or above the cutoff
    missed: int  # spam it scored below
    wrongly_accused: int  # wanted comments it scored at or above

    @property
    def precision(self):
        accused = self.caught + self.wrongly_accused
        return self.caught / accused if accused else None

    @property
    def recall(self):
        spam = self.caught + self.missed
        return self.caught / spam if spam else None


def record(window=None):
    """The filter's record over the latest `window` (`SPAM_FILTER_WINDOW`) decisions.

    A decision is a moderator's (approved: wanted; spam: unwanted), or the filter's own
    move to spam that no moderator has reversed (counted as spam: a moderator who finds it
    wanted approves it, and it counts against the filter). One query.
    """
    window = window or settings.SPAM_FILTER_WINDOW
    rows = (
        Comment.objects.filter(~Q(spam_learned="") | Q(spam_filtered=True))
        .exclude(spam_score=None)
        .order_by("-moderated_at", "-id")
        .values_list("spam_score", "spam_learned", "status")[:window]
    )
    decisions = caught = missed = wrongly_accused = 0
    for spam_score, learned, status in rows:
        if not learned and status != Comment.Status.SPAM:
            continue  # sent to spam by the filter, then rejected: neither
        decisions += 1
        accused = spam_score >= settings.SPAM_FILTER_CUTOFF
        if learned == WANTED:
            wrongly_accused += accused
        elif accused:
            caught += 1
        else:
            missed += 1
    return Record(decisions, caught, missed, wrongly_accused)


@dataclass(frozen=True)
class Standing:
    """What the admin shows of the filter: its record, and whether it acts on its own."""

    record: Record
    learned: int
    min_decisions: int
    precision_needed: float
    cutoff: float

    @property
    def acting(self):
        precision = self.record.precision
        return (
            self.learned >= self.min_decisions
            and precision is not None
            and precision >= self.precision_needed
        )


def standing():
    totals = SpamToken.objects.filter(token=COMMENTS).first()
    return Standing(
        record=record(),
        learned=(totals.wanted + totals.unwanted) if totals else 0,
        min_decisions=settings.SPAM_FILTER_MIN_DECISIONS,
        precision_needed=settings.SPAM_FILTER_PRECISION,
        cutoff=settings.SPAM_FILTER_CUTOFF,
    )
