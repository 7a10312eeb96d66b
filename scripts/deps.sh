#!/usr/bin/env bash
# Installs the Debian packages rwkv-stream builds and runs with (as root, or through sudo).
# Usage: scripts/deps.sh [--test]   (--test adds what the test suite uses: torch for the .pth converter test)
set -euo pipefail

pkgs=(build-essential cmake pkg-config git
      libopenblas-openmp-dev libcli11-dev doctest-dev nlohmann-json3-dev
      libfftw3-dev libsndfile1-dev libsoxr-dev libcairo2-dev libexpat1-dev fonts-dejavu-core
      bible-kjv espeak-ng sox openmpi-bin libopenmpi-dev
      flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts fortunes-min fortunes
      jargon-text)  # jargon-text: one of the sentence sources of scripts/make_sentences.sh
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(python3-torch clang libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
