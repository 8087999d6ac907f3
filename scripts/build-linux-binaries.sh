#!/usr/bin/env bash
# Release builds of the Linux binaries with cargo-zigbuild (zig from PyPI: `pip install ziglang cargo-zigbuild`):
# glibc targets link against glibc 2.17 (the floor the ecosystem ships: manylinux2014, napi-rs's cross toolchain),
# musl targets are static. Each binary lands in <out>/fast-langgraph-native.<platform>.node, the name napi-rs's
# loader and `napi artifacts` expect, and its highest GLIBC_ symbol version is printed.
# A target whose Rust standard library is not installed (`rustup target add <triple>`) is reported and skipped.
# Usage: [TARGETS="<triple> ..."] scripts/build-linux-binaries.sh [out-dir]   (default: packages/native/artifacts;
# TARGETS defaults to the four Linux targets; exit status 2 when one was skipped)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-packages/native/artifacts}"
mkdir -p "$out"
: "${CARGO_TARGET_DIR:=$PWD/target}"
installed=$(rustup target list --installed)
declare -A platform=(
  [x86_64-unknown-linux-gnu]=linux-x64-gnu [aarch64-unknown-linux-gnu]=linux-arm64-gnu
  [x86_64-unknown-linux-musl]=linux-x64-musl [aarch64-unknown-linux-musl]=linux-arm64-musl
)
status=0
for triple in ${TARGETS:-x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl}; do
  if ! grep -qx "$triple" <<<"$installed"; then
    echo "skip $triple: its Rust standard library is not installed (rustup target add $triple)" >&2
    status=2
    continue
  fi
  zig_target=$triple
  flags=${RUSTFLAGS:-}
  [[ $triple == *-gnu ]] && zig_target="$triple.2.17"
  # musl targets link the C runtime statically by default, which rules out a cdylib: link it dynamically
  # (the musl libc of the Alpine host), as napi-rs's own musl builds do.
  [[ $triple == *-musl ]] && flags="$flags -C target-feature=-crt-static"
  RUSTFLAGS="$flags" cargo zigbuild --release -p fast-langgraph-native --lib --target "$zig_target"
  dest="$out/fast-langgraph-native.${platform[$triple]}.node"
  cp "$CARGO_TARGET_DIR/$triple/release/libfast_langgraph_native.so" "$dest"
  floor=$(objdump -T "$dest" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)
  echo "built $dest (${floor:-no glibc symbols: musl})"
done
exit $status
