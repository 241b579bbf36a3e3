#!/usr/bin/env bash
# Installs code-server 4.100.3 (a real VS Code) and its system dependencies into a cache dir, idempotently.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
HOST_DIR="${SWITCHYARD_VSCODE_HOST_DIR:-$HOME/.cache/switchyard-vscode-host}"
MARKER="$HOST_DIR/.complete-$CODE_SERVER_VERSION"
LOG="$HOST_DIR/setup.log"
APT_PACKAGES=(chromium ripgrep libkrb5-dev)
NATIVE_MODULES=(@vscode/spdlog native-watchdog @parcel/watcher kerberos node-pty)

# node-gyp cannot download Node's headers here; build native modules against the installed ones.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/common.gypi ]; then export npm_config_nodedir=/usr; fi

mkdir -p "$HOST_DIR"
: >"$LOG"
started=$SECONDS

step() { echo "[vscode-host] $*"; echo "=== $* ===" >>"$LOG"; }

on_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] && return 0
  echo "[vscode-host] setup FAILED (exit $rc); last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2
  exit "$rc"
}
trap on_exit EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing_apt_packages() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
  done
}

install_apt_packages() {
  local missing
  missing=$(missing_apt_packages)
  [ -z "$missing" ] && return 0
  step "apt-get install $(echo $missing)"
  as_root apt-get update >>"$LOG" 2>&1
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y --no-install-recommends $missing >>"$LOG" 2>&1
}

install_code_server() {
  step "npm install code-server@$CODE_SERVER_VERSION"
  [ -f "$HOST_DIR/package.json" ] || echo '{"name":"switchyard-vscode-host","private":true}' >"$HOST_DIR/package.json"
  (cd "$HOST_DIR" && npm install --ignore-scripts --no-audit --no-fund "code-server@$CODE_SERVER_VERSION") >>"$LOG" 2>&1
}

prepare_vscode() {
  local vscode="$HOST_DIR/node_modules/code-server/lib/vscode"
  step "lib/vscode dependencies"
  (cd "$vscode" && npm install --omit=dev --ignore-scripts --no-audit --no-fund) >>"$LOG" 2>&1
  step "rebuild native modules"
  # node-pty's own post-install step exits non-zero after pty.node is built; checked below instead.
  (cd "$vscode" && npm rebuild "${NATIVE_MODULES[@]}") >>"$LOG" 2>&1 || true
  [ -f "$vscode/node_modules/node-pty/build/Release/pty.node" ] || { echo "pty.node missing" >>"$LOG"; false; }
  [ -n "$(ls "$vscode"/node_modules/@vscode/spdlog/build/Release/*.node 2>/dev/null)" ] || { echo "spdlog missing" >>"$LOG"; false; }
  mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
  cp -f "$(command -v rg)" "$vscode/node_modules/@vscode/ripgrep/bin/rg"
  [ -e "$vscode/node_modules.asar" ] || ln -s node_modules "$vscode/node_modules.asar"
  step "built-in extensions dependencies"
  (cd "$vscode/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund) >>"$LOG" 2>&1
  step "rebuild argon2"
  (cd "$HOST_DIR" && npm rebuild argon2) >>"$LOG" 2>&1
}

check_code_server() {
  step "check code-server --version"
  node "$HOST_DIR/node_modules/code-server/out/node/entry.js" --version >>"$LOG" 2>&1
}

main() {
  install_apt_packages
  if [ -f "$MARKER" ]; then
    echo "[vscode-host] code-server $CODE_SERVER_VERSION ready in $HOST_DIR (cached)"
    return 0
  fi
  install_code_server
  prepare_vscode
  check_code_server
  date -u +%FT%TZ >"$MARKER"
  echo "[vscode-host] code-server $CODE_SERVER_VERSION ready in $HOST_DIR ($((SECONDS - started))s, log: $LOG)"
}

main "$@"
