"""Pages that reopen without the network: the service worker that keeps them and their files on the phone."""

import hashlib
import json

from django.shortcuts import render
from django.templatetags.static import static


def service_worker(request, *, shell: list[str], name: str):
    """The worker keeping `shell` (the page's URL and its files) in a cache named after them: hashed file
    names change with their content in production, so does the cache, and a new worker replaces the old one
    and its files."""
    response = render(
        request,
        "web/offline_sw.js",
        {
            "shell": json.dumps(shell),
            "static_prefix": json.dumps(static("")),
            "cache_name": json.dumps(
                f"parvis-{name}-" + hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
            ),
        },
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"
    return response
