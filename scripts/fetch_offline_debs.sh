#!/usr/bin/env bash
# Fetches, on a machine that reaches Debian's mirror, the Debian 12 (bookworm) .deb files that an
# offline GPU machine lacks for building rwkv-stream (pkg-config, libsndfile, FFTW, soxr, OpenBLAS
# OpenMP, CLI11, doctest, nlohmann-json, and every runtime library they pull in beyond glibc,
# libstdc++ and libgomp). tests/gpu/device_check.sh unpacks them into a private prefix; nothing is
# installed here or there.
#   scripts/fetch_offline_debs.sh [DEST]      (default DEST: third_party_debs/, ignored by git)
# Needs apt-get (run 'apt-get update' first on a fresh machine). Prints the set's total size.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/third_party_debs}

pkgs=(
  pkgconf pkgconf-bin libpkgconf3
  libsndfile1-dev libsndfile1 libflac-dev libflac12 libogg-dev libogg0 libvorbis-dev libvorbis0a libvorbisenc2
  libvorbisfile3 libopus-dev libopus0 libmpg123-dev libmpg123-0 libout123-0 libsyn123-0 libmp3lame0
  libfftw3-dev libfftw3-bin libfftw3-single3 libfftw3-double3 libfftw3-long3 libfftw3-quad3
  libsoxr-dev libsoxr0 libsoxr-lsr0
  libopenblas-openmp-dev libopenblas0-openmp libgfortran5 libquadmath0
  libcli11-dev doctest-dev nlohmann-json3-dev
)
# What any machine with a C++ compiler has (the set's dependencies on these are not fetched).
base=(libc6 libgcc-s1 libstdc++6 libgomp1 gcc-12-base)

mkdir -p "$dest"
cd "$dest"
for p in "${pkgs[@]}"; do
  if compgen -G "${p}_*.deb" >/dev/null; then continue; fi
  apt-get download -qq -o APT::Sandbox::User=root "$p" || { echo "fetch_offline_debs: cannot download $p (run apt-get update?)" >&2; exit 1; }
done

# Every dependency of every fetched package must be fetched too or be part of the base.
status=0
for deb in *.deb; do
  deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/\(.*\)//; s/^ +| +$//g')
  while IFS= read -r alt; do
    [[ -z $alt ]] && continue
    ok=0
    for name in $(echo "$alt" | tr '|' ' '); do  # any one alternative will do
      name=${name%%:*}
      [[ " ${pkgs[*]} ${base[*]} " == *" $name "* ]] && ok=1
    done
    ((ok)) || { echo "fetch_offline_debs: $deb needs '$alt', which is not in the set" >&2; status=1; }
  done <<<"$deps"
done
total=$(du -cb ./*.deb | tail -n1 | cut -f1)
echo "fetch_offline_debs: $(ls ./*.deb | wc -l) packages, $((total / 1000000)) MB in $dest"
exit $status
