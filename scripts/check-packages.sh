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
# One canonical home (README "Use it in your project"): every manifest, the platform packages' too, names the same
# repository, homepage and issue tracker, and the README states it.
home=https://github.com/fast-langgraph/fast-langgraph-js
manifests=(packages/native/npm/*/package.json)
for tgz in "$out"/*.tgz; do
  tar -xzOf "$tgz" package/package.json >"$out/$(basename "$tgz" .tgz).package.json"
  manifests+=("$out/$(basename "$tgz" .tgz).package.json")
done
for manifest in "${manifests[@]}"; do
  node -e '
    const [file, home] = process.argv.slice(1);
    const m = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const want = { repository: `git+${home}.git`, homepage: `${home}#readme`, bugs: `${home}/issues` };
    const got = { repository: m.repository?.url, homepage: m.homepage, bugs: m.bugs?.url };
    for (const k of Object.keys(want)) if (got[k] !== want[k]) { console.error(`${m.name}: ${k} is ${got[k]}, expected ${want[k]}`); process.exit(1); }
  ' "$manifest" "$home"
done
grep -q "intended home.*$home\|$home.*intended home" README.md || { echo "README.md does not state $home as the intended home" >&2; exit 1; }
for dir in packages/native $acc; do (cd "$dir" && "$bin/publint" --strict); done
"$bin/attw" "$out"/fast-langgraph-accelerator-*.tgz
"$bin/attw" "$out"/fast-langgraph-native-*.tgz
