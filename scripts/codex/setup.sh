#!/usr/bin/env bash
# Installs the Codex CLI (a real client for end-to-end tests) from the npm registry into a cache dir, idempotently, and prints its version.
set -euo pipefail

VERSION=0.169.0
DIR="${SWITCHYARD_CODEX_DIR:-$HOME/.cache/switchyard-codex}"
BIN="$DIR/node_modules/.bin/codex"

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^codex-cli $VERSION$"; then
  "$BIN" --version
  exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name":"switchyard-codex","private":true}' >"$DIR/package.json"
echo "[codex] installing @openai/codex@$VERSION into $DIR"
# No install scripts to skip: the native binary ships ready in the platform package
# (an optional dependency aliased to @openai/codex@$VERSION-<platform>, under vendor/<target>/bin/codex).
(cd "$DIR" && npm install --ignore-scripts --no-audit --no-fund "@openai/codex@$VERSION" >/dev/null 2>&1)
"$BIN" --version
