"""mkdocs hook: keep the site usable offline.

Two checks, both errors in `mkdocs build --strict`:
- mermaid.min.js (listed in extra_javascript) must exist in docs/; without it the theme
  would fetch mermaid from a CDN at view time. `scripts/fetch-mermaid.sh` installs it.
- no page may load a script, stylesheet, font or image from another host at view time
  (links to other sites are fine; a plain emoji like :smile: would be an image from a CDN).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.offline")

# <script src="http...">, <link href="http..."> (stylesheets, preconnects, fonts), <img src=...>.
_REMOTE_TAG = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//[^\"' >]+", re.I)
# <link rel="canonical"> and friends name a URL but load nothing.
_HARMLESS_REL = re.compile(r"\brel=[\"']?(?:canonical|alternate|prev|next|author|license)\b", re.I)


def on_config(config):
    docs_dir = Path(config["docs_dir"])
    for script in config["extra_javascript"]:
        path = str(getattr(script, "path", script))
        if "://" in path or path.startswith("//"):
            log.error("extra_javascript %s is remote: the site must work offline", path)
        elif not (docs_dir / path).is_file():
            log.error("%s is missing: run scripts/fetch-mermaid.sh (make docs does)", docs_dir / path)
    return config


def on_post_page(output, page, config):
    for match in _REMOTE_TAG.finditer(output):
        if not _HARMLESS_REL.search(match.group(0)):
            log.error("%s loads %s at view time: the site must work offline",
                      page.file.src_uri, match.group(0))
    return output
