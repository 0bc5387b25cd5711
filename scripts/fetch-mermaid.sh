#!/usr/bin/env bash
# Put mermaid.min.js where the docs site loads it, so diagrams render offline.
#
# mkdocs-material draws ```mermaid blocks with the global `mermaid` when a page already
# defines one, and otherwise loads mermaid from a CDN at view time. mkdocs.yml lists
# docs/assets/javascripts/mermaid.min.js in extra_javascript; this script fetches that file
# from the npm package `mermaid` (its dist/ build). It is third-party code, so it is not
# committed (.gitignore lists it); `make install` and `make docs` run this script.
#
# Usage: scripts/fetch-mermaid.sh [DEST]   (does nothing when DEST already exists)
# Environment: MERMAID_VERSION (npm version spec, default 11, the major material expects).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$repo_root/docs/assets/javascripts/mermaid.min.js}"
version="${MERMAID_VERSION:-11}"

if [[ -s "$dest" ]]; then
    echo "*** mermaid: $dest already present"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "fetch-mermaid: npm is not installed (try: apt-get install npm)" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "*** mermaid: fetching npm package mermaid@$version"
# npm pack downloads the package tarball only, without its dependencies: dist/ is self-contained.
tarball="$(cd "$tmp" && npm pack --silent "mermaid@$version" | tail -n 1)"
tar -xzf "$tmp/$tarball" -C "$tmp" package/package.json package/dist/mermaid.min.js

if ! grep -q 'mermaid' "$tmp/package/dist/mermaid.min.js"; then
    echo "fetch-mermaid: $tarball has no usable dist/mermaid.min.js" >&2
    exit 1
fi

mkdir -p "$(dirname "$dest")"
cp "$tmp/package/dist/mermaid.min.js" "$dest.tmp"
mv "$dest.tmp" "$dest"
installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -n 1)"
echo "*** mermaid: installed mermaid $installed at $dest"
