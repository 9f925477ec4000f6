#!/usr/bin/env bash
# `npm run tool:llama-server`: builds llama.cpp's own `llama-server`, the peer `npm run bench:runtime`
# compares the runtime with. Optional and never run in CI (~15 min on 2 cores): the bench says when it
# is absent. GitHub is out of reach from our machines, so the llama.cpp sources come from PyPI: the
# `llama-cpp-python` sdist vendors them (vendor/llama.cpp). We download the sdist (no install), check
# its sha256, and build only the llama-server target, CPU only, with the native instruction set.
#
# Cache folder: $XDG_CACHE_HOME/kubellama/llama-server-<version> (~/.cache by default);
# test/tools/llama-server.ts resolves the same path. Prints the binary's path as its last line.
set -euo pipefail

readonly PACKAGE=llama-cpp-python
readonly VERSION=0.3.36
readonly SDIST_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e

log() { echo "tool:llama-server: $*" >&2; }

dir="${XDG_CACHE_HOME:-$HOME/.cache}/kubellama/llama-server-$VERSION"
binary="$dir/llama-server"
if [[ -x "$binary" ]]; then
  log "already built"
  echo "$binary"
  exit 0
fi
command -v python3 >/dev/null || { log "python3 is needed (its pip downloads the sdist from PyPI)"; exit 1; }
command -v cmake >/dev/null || { log "cmake and a C++ compiler are needed"; exit 1; }

mkdir -p "$(dirname "$dir")"
tmp="$(mktemp -d "$(dirname "$dir")/.llama-server.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

log "downloading the $PACKAGE $VERSION sdist from PyPI"
# `--no-binary $PACKAGE`, not `:all:`: pip reads the sdist's metadata with its build backend, and
# `:all:` would build that backend's whole dependency tree from source first.
python3 -m pip download --no-binary "$PACKAGE" --no-deps --disable-pip-version-check \
  --dest "$tmp/sdist" "$PACKAGE==$VERSION" >&2
sdist=("$tmp/sdist/"*.tar.gz)
actual="$(sha256sum "${sdist[0]}" | cut -d' ' -f1)"
if [[ "$actual" != "$SDIST_SHA256" ]]; then
  log "sha256 mismatch: expected $SDIST_SHA256, got $actual"
  exit 1
fi
tar -xzf "${sdist[0]}" -C "$tmp"
src=("$tmp/"*"/vendor/llama.cpp")

jobs="$(nproc)"
started=$SECONDS
log "building llama-server with $jobs jobs (nice 10)"
# LLAMA_USE_PREBUILT_UI=OFF: the web UI would be downloaded from Hugging Face (no network but PyPI here).
nice -n 10 cmake -S "${src[0]}" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_USE_PREBUILT_UI=OFF >&2
nice -n 10 cmake --build "$tmp/build" --target llama-server -j "$jobs" >&2
mkdir -p "$dir"
cp "$tmp/build/bin/llama-server" "$binary.partial"
mv "$binary.partial" "$binary"
log "built $binary in $((SECONDS - started)) s"
echo "$binary"
