"""Admin login: repeated failures lock out the account and the address for a while."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.utils import timezone

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery"


def attempt(client, username, password="wrong password", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def staff(make_user):
    return make_user("editor", groups=["Authors"], is_staff=True)


@pytest.mark.django_db
def test_an_account_is_locked_after_five_failures_even_with_the_right_password(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "editor").status_code == 200

    locked = attempt(client, "editor")
    after = attempt(client, "editor", PASSWORD)

    assert locked.status_code == 429
    assert b"Too many failed login attempts" in locked.content
    assert b"paused for 15 minutes" in locked.content
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_account_stays_locked_when_the_attacker_changes_address(client, staff, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "editor", REMOTE_ADDR=f"203.0.113.{number + 1}")

    response = attempt(client, "editor", PASSWORD, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_address_is_locked_after_failures_across_many_usernames(client, staff, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{number}", REMOTE_ADDR="203.0.113.9")

    response = attempt(client, "editor", PASSWORD, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_address_lockout(client, staff, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{number}", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")

    response = attempt(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 429
    assert AccessAttempt.objects.filter(ip_address="127.0.0.1").exists()
    assert not AccessAttempt.objects.filter(ip_address__startswith="10.").exists()


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "editor")
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    response = attempt(client, "editor", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_failed_attempts_are_logged_with_username_and_address(client, staff):
    attempt(client, "editor", REMOTE_ADDR="203.0.113.5")

    failure = AccessFailureLog.objects.get()
    assert failure.username == "editor"
    assert failure.ip_address == "203.0.113.5"
    assert AccessAttempt.objects.get().failures_since_start == 1


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "editor")
    assert attempt(client, "editor", PASSWORD).status_code == 302
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "editor")
    response = attempt(client, "editor", PASSWORD)

    assert response.status_code == 302


@pytest.mark.django_db
def test_test_client_login_and_force_login_still_work(client, staff):
    assert client.login(username="editor", password=PASSWORD) is True
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_failed_login_never_stores_the_password_tried(client, staff):
    attempt(client, "editor", "almost-my-real-password")

    stored = AccessAttempt.objects.get()
    assert "almost-my-real-password" not in stored.post_data
    assert "almost-my-real-password" not in stored.get_data
