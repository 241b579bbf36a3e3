#!/usr/bin/env bash
# Installs the Claude Code CLI (a real client for end-to-end tests) from the npm registry into a cache dir, idempotently.
set -euo pipefail

VERSION=2.1.328
DIR="${SWITCHYARD_CLAUDE_CODE_DIR:-$HOME/.cache/switchyard-claude-code}"
BIN="$DIR/node_modules/.bin/claude"

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^$VERSION"; then
  exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name":"switchyard-claude-code","private":true}' >"$DIR/package.json"
echo "[claude-code] installing @anthropic-ai/claude-code@$VERSION into $DIR"
(cd "$DIR" && npm install --ignore-scripts --no-audit --no-fund "@anthropic-ai/claude-code@$VERSION" >/dev/null 2>&1)
# Its postinstall copies the platform's native binary into place; run it ourselves since scripts are off.
(cd "$DIR" && node node_modules/@anthropic-ai/claude-code/install.cjs >/dev/null)
"$BIN" --version
