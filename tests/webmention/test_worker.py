"""The real worker process checks received Webmentions and sends ours."""

import subprocess
import sys

import pytest

from blog.models import Post
from comments.models import Comment
from tests.delivery.conftest import ROOT, free_port, wait_for, worker_environment
from tests.webmention.conftest import page, permalink, reply_page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(tmp_path):
    env = worker_environment(free_port())
    env["DJANGO_SETTINGS_MODULE"] = "tests.webmention.worker_settings"
    log = open(tmp_path / "worker.log", "w")
    process = subprocess.Popen([sys.executable, "manage.py", "worker", "--interval", "0.1"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield process
    process.terminate()
    process.wait(timeout=30)
    log.close()
    assert "Traceback" not in (tmp_path / "worker.log").read_text()


def test_the_worker_checks_a_received_webmention_and_sends_ours(elsewhere, make_post, author, client, worker):
    post = make_post(title="On engines", author=author)
    elsewhere.routes["/reply"] = page(reply_page(permalink(post), text="Checked by the worker."))

    assert client.post("/webmention/", {"source": elsewhere.url("/reply"), "target": permalink(post)}).status_code == 202
    wait_for(lambda: Comment.objects.filter(body="Checked by the worker.").exists(), what="the mention's comment")

    elsewhere.routes["/a"] = page('<link rel="webmention" href="/endpoint">')
    draft = make_post(title="Links", status=Post.Status.DRAFT, author=author, body=f"[a]({elsewhere.url('/a')})")
    draft.publish_now(by=author)
    wait_for(lambda: elsewhere.posted, what="our Webmention")
    assert elsewhere.posted[0][0] == "/endpoint"
