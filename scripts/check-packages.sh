#!/usr/bin/env bash
# Packs every published package with pnpm (which rewrites workspace:* to versions) and checks the tarballs:
# no workspace: protocol left, LICENSE/README/package.json inside, publint and @arethetypeswrong/cli clean.
# Usage: scripts/check-packages.sh [out-dir]   (the tarballs stay in out-dir for scripts/install-test.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
pnpm() { npx -y pnpm@12.4.2 "$@"; }
acc=packages/accelerator
bin="$PWD/$acc/node_modules/.bin"

for dir in packages/native $acc; do
  (cd "$dir" && pnpm pack --pack-destination "$out" >/dev/null)
done
for tgz in "$out"/*.tgz; do
  echo "== $(basename "$tgz")"
  files=$(tar -tzf "$tgz")
  sed 's/^/   /' <<<"$files"
  manifest=$(tar -xzOf "$tgz" package/package.json)
  if grep -q '"workspace:' <<<"$manifest"; then echo "workspace: protocol left in $(basename "$tgz")" >&2; exit 1; fi
  for f in package/LICENSE package/README.md; do
    grep -qx "$f" <<<"$files" || { echo "$f missing from $(basename "$tgz")" >&2; exit 1; }
  done
done
for dir in packages/native $acc; do (cd "$dir" && "$bin/publint" --strict); done
"$bin/attw" "$out"/fast-langgraph-accelerator-*.tgz
"$bin/attw" "$out"/fast-langgraph-native-*.tgz
