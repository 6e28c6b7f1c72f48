"""Run by the broker-outage test in a process of its own whose broker is unreachable:
`python -m tests.stack_create_request USER_ID NAME...` posts one create-database request
per NAME as that user (the real middleware, view, service and on-commit enqueue) and
prints a JSON list of the status codes."""

from __future__ import annotations

import json
import sys

import django


def main(user_id: str, names: list[str]) -> None:
    django.setup()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=int(user_id)))
    statuses = [
        client.post(reverse("provisioning:database_create"), {"name": name}).status_code
        for name in names
    ]
    print(json.dumps(statuses))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
