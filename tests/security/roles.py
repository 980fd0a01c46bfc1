"""The roles of the authorization matrix, and how a refusal is read from a response."""

ROLES = ["anonymous", "commenter", "author", "moderator", "superuser"]


def outcome(response):
    """The status code, or "login" for the admin's redirect to its login page."""
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return "login"
    return response.status_code
