#!/usr/bin/env bash
# Run a command (the test suite) with TMPDIR an empty folder of its own, then fail if the
# command left anything in it: a run cleans up after itself, whatever its outcome.
set -uo pipefail
tmp=$(mktemp -d "${TMPDIR:-/tmp}/campaigns-run.XXXXXX")
TMPDIR=$tmp "$@"
status=$?
left=$(cd "$tmp" && find . -mindepth 1 -maxdepth 2 | sort | head -n 20)
rm -rf "$tmp"
if [ -n "$left" ]; then
  echo "The run left this in its temporary folder (it must clean up after itself):" >&2
  echo "$left" >&2
  [ "$status" = 0 ] && status=1
fi
exit "$status"
