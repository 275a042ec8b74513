"""Headless Debian Chromium through Playwright, with every non-loopback request aborted.

Example::

    with sync_playwright() as p, offline_chromium(p, chromium_path, tmp_path) as context:
        page = context.new_page()
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _only_loopback(route) -> None:
    parts = urlsplit(route.request.url)
    if parts.scheme in ("file", "data", "blob") or parts.hostname in LOOPBACK:
        route.continue_()
    else:
        route.abort()


@contextmanager
def offline_chromium(playwright, executable: str, profile_dir: Path, **options) -> Iterator:
    """A persistent Chromium context that can reach only 127.0.0.1 and local files."""
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=executable, headless=True, args=ARGS,
        viewport={"width": 1280, "height": 900}, **options)
    try:
        context.route("**/*", _only_loopback)
        yield context
    finally:
        context.close()
