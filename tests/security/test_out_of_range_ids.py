"""Ids past what the database stores name nothing: no 500 on either database (blog/lookups.py)."""

import pytest

from blog.models import Post, Tag
from comments.models import Comment

PAST_64_BITS = 99999999999999999999  # SQLite could not even bind it: OverflowError, a 500


@pytest.fixture
def post(make_post):
    return make_post(title="The only post")


@pytest.fixture
def pending_comment(post):
    return Comment.objects.create(
        post=post, author_name="Reader", author_email="reader@example.org", body="Hello.",
        status=Comment.Status.PENDING,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [f"id__in={PAST_64_BITS}", f"id__in=-{PAST_64_BITS}", f"author={PAST_64_BITS}",
     f"author__in={PAST_64_BITS}", f"author__gt={PAST_64_BITS}", f"tags={PAST_64_BITS}",
     f"tags__id__in={PAST_64_BITS}", f"id={PAST_64_BITS}"],
)
def test_an_admin_list_filtered_by_an_id_past_64_bits_lists_nothing(admin_client, post, query):
    response = admin_client.get(f"/admin/blog/post/?{query}")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["id__in={pk},{big}", "author__lt={big}", "author__gt=-{big}"])
def test_an_admin_list_filter_keeps_what_the_ids_in_range_select(admin_client, post, query):
    response = admin_client.get("/admin/blog/post/?" + query.format(pk=post.pk, big=PAST_64_BITS))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [post]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [f"/admin/comments/comment/?id={PAST_64_BITS}", f"/admin/comments/comment/?id__in={PAST_64_BITS}",
     f"/admin/comments/comment/?post={PAST_64_BITS}", f"/admin/comments/comment/?post__in={PAST_64_BITS}",
     f"/admin/comments/comment/?parent={PAST_64_BITS}", f"/admin/comments/comment/?depth__in={PAST_64_BITS}",
     f"/admin/blog/tag/?id__in={PAST_64_BITS}", f"/admin/auth/user/?id__in={PAST_64_BITS}",
     f"/admin/auth/user/?groups={PAST_64_BITS}"],
)
def test_other_admin_lists_filtered_by_an_id_past_64_bits_list_nothing(admin_client, pending_comment, url):
    response = admin_client.get(url)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
def test_an_admin_bulk_action_ignores_selected_ids_past_64_bits(admin_client, pending_comment):
    response = admin_client.post(
        "/admin/comments/comment/",
        {"action": "approve_comments", "_selected_action": [str(PAST_64_BITS), str(pending_comment.pk)]},
    )

    assert response.status_code == 302
    pending_comment.refresh_from_db()
    assert pending_comment.status == Comment.Status.APPROVED


@pytest.mark.django_db
def test_an_admin_bulk_action_on_only_ids_past_64_bits_selects_nothing(admin_client, django_user_model):
    # Django's own user admin: no check of the selection but the lookups'.
    response = admin_client.post(
        "/admin/auth/user/", {"action": "delete_selected", "_selected_action": [str(PAST_64_BITS)]}
    )

    assert response.status_code == 200
    assert list(response.context["queryset"]) == []
    assert django_user_model.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_a_moderation_action_on_only_ids_past_64_bits_changes_nothing(admin_client, pending_comment):
    response = admin_client.post(
        "/admin/comments/comment/", {"action": "approve_comments", "_selected_action": [str(PAST_64_BITS)]}
    )

    assert response.status_code == 302
    pending_comment.refresh_from_db()
    assert pending_comment.status == Comment.Status.PENDING


@pytest.mark.django_db
def test_the_moderation_queue_ignores_ticked_ids_past_64_bits(admin_client, pending_comment):
    response = admin_client.post(
        "/comments/moderation/decide/",
        {"action": "approve", "comment": [str(PAST_64_BITS), str(pending_comment.pk)]},
    )

    assert response.status_code == 302
    pending_comment.refresh_from_db()
    assert pending_comment.status == Comment.Status.APPROVED


@pytest.mark.django_db
def test_lookups_with_integers_past_the_column_range_answer_without_the_database(post, pending_comment):
    big = 2**64

    assert list(Post.objects.filter(pk__in=[big])) == []
    assert list(Post.objects.filter(pk__in=[post.pk, big, -big])) == [post]
    assert list(Post.objects.filter(author=big)) == []
    assert list(Post.objects.filter(author__in=[big, post.author_id])) == [post]
    assert list(Post.objects.filter(author__lt=big)) == [post]
    assert list(Post.objects.filter(author__lte=-big)) == []
    assert list(Post.objects.filter(author__gt=-big)) == [post]
    assert list(Post.objects.filter(author__gte=big)) == []
    assert list(Post.objects.filter(tags=big)) == []
    assert list(Tag.objects.filter(posts__in=[big])) == []
    assert list(Comment.objects.filter(post__in=[big])) == []
    assert list(Comment.objects.filter(depth__in=[big, 0])) == [pending_comment]
    assert Comment.objects.filter(pk__in=[big]).update(body="changed") == 0
