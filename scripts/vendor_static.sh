#!/bin/sh
# Copy the front-end libraries installed by `npm ci` (versions pinned in package-lock.json)
# into manyi/static/vendor/, which is gitignored: nothing third-party is committed.
set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
SRC="$ROOT/node_modules"
DEST="$ROOT/manyi/static/vendor"

if [ ! -f "$SRC/htmx.org/dist/htmx.min.js" ]; then
    echo "vendor_static: $SRC/htmx.org is missing; run 'npm ci' first." >&2
    exit 1
fi
mkdir -p "$DEST"
cp "$SRC/htmx.org/dist/htmx.min.js" "$DEST/htmx.min.js"
cp "$SRC/echarts/dist/echarts.min.js" "$DEST/echarts.min.js"
echo "vendor_static: copied htmx $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$SRC/htmx.org/package.json" | head -1) to $DEST"
