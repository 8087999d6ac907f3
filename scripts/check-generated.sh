#!/usr/bin/env bash
# Fails when the committed napi bindings (packages/native/index.js, index.d.ts) differ from what
# `napi build` just generated: a change to the Rust API must be committed with its bindings.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git diff --exit-code --stat -- packages/native/index.js packages/native/index.d.ts; then
  echo "The generated napi bindings are stale: run \`npx -y pnpm@12.4.2 build\` and commit packages/native/index.js and index.d.ts." >&2
  exit 1
fi
