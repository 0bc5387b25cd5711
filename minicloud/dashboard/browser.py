"""The browser that drives the dashboard in its tests and for `make screenshots`: Debian's
chromium (`apt-get install chromium`; scripts/install-system-packages.sh installs it),
driven by Playwright for Python. Playwright's own browser downloads are never used: the
site and its tests must work offline."""

from __future__ import annotations

import importlib.util
import os
import shutil

CHROMIUM = os.environ.get("MINICLOUD_CHROMIUM", "/usr/bin/chromium")


def problem() -> str | None:
    """Why a browser cannot be started here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed (make install)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def launch(playwright):
    """A headless chromium (as root it runs without its sandbox, as Playwright asks)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
