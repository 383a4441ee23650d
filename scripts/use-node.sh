#!/usr/bin/env bash
# Puts Node >= 22 first on PATH. The system Node on our machines is 20 (end of life); when the
# `node` on PATH is older than 22, Node 26 (the active LTS line) is installed from the npm
# registry (the `node` package ships the binary) into a per-user cache outside the repo, once. No
# global installs. On 26 `parley serve` hands the C heap's free pages back once idle (its node:ffi
# reaches glibc's malloc_trim) and costs less on large Claude Code turns; see bench/README.md.
#
#   source scripts/use-node.sh        # this shell gets a current node (and npm runs on it)
#   scripts/use-node.sh npm test      # run one command with it
PARLEY_NODE_VERSION="${PARLEY_NODE_VERSION:-26.10.0}"

parley_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

parley_use_node() {
  if [ "$(parley_node_major)" -ge 22 ]; then return 0; fi
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/parley/node-$PARLEY_NODE_VERSION"
  local bin="$cache/node_modules/node/bin"
  if [ ! -x "$bin/node" ]; then
    echo "parley: node $(node --version 2>/dev/null || echo missing) is older than 22; installing Node $PARLEY_NODE_VERSION into $cache" >&2
    mkdir -p "$cache" || return 1
    # A package.json of its own makes the cache folder npm's project root. (--prefix would also
    # move npm's global config, and with it the machine's CA settings.)
    [ -f "$cache/package.json" ] || echo '{"private": true}' > "$cache/package.json"
    # --ignore-scripts=false: the `node` package links its platform binary in a preinstall step.
    (cd "$cache" && npm install --no-save --no-package-lock --no-audit --no-fund \
      --loglevel=error --ignore-scripts=false "node@$PARLEY_NODE_VERSION") >&2 || return 1
  fi
  export PATH="$bin:$PATH"
  hash -r
  if [ "$(parley_node_major)" -lt 22 ]; then
    echo "parley: could not put Node >= 22 on PATH" >&2
    return 1
  fi
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  parley_use_node
else
  set -euo pipefail
  parley_use_node
  if [ "$#" -gt 0 ]; then exec "$@"; fi
  node --version
fi
