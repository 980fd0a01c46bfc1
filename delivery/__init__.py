"""Everything the site sends out (email today; later HTTP deliveries), through a durable queue.

A change that must tell someone calls a channel's enqueue function (`delivery.email.enqueue`)
inside its own transaction: the delivery row and its task commit or roll back with the
change. A worker (`manage.py worker`) sends it, retries with backoff, and records it as sent
once, under a stable identity (an email's Message-ID), so no retry sends it twice.
docs/ARCHITECTURE.md says how to add a channel.
"""
