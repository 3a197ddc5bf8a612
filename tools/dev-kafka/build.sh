#!/usr/bin/env bash
# Builds tools/dev-kafka/bin/dev-kafka: the Kafka-protocol dev broker
# (librdkafka 2.15 mock cluster + launcher.c), see README.md.
#
# Idempotent and cached:
#   - librdkafka.a is built once from the librdkafka sources shipped inside the
#     npm package @confluentinc/kafka-javascript (fetched with `npm pack`, so no
#     install scripts run; the tarball's sha512 is pinned), with the fixes in
#     patches/*.patch applied, and cached under
#     ${URBIS_CACHE_DIR:-$HOME/.cache/urbis}/librdkafka-2.15-kjs-<version>-p<patches hash>/;
#   - the launcher is relinked only when launcher.c, this script or the cached
#     library is newer than the binary.
#
# Usage: tools/dev-kafka/build.sh [--force] [--rebuild-lib] [--quiet]
#   --force        relink the launcher even if it looks up to date
#   --rebuild-lib  discard the cached librdkafka build and rebuild it (1-2 min)
#   --quiet        print nothing on success except errors
#
# Environment: URBIS_CACHE_DIR (cache root), CC (C compiler, default gcc/cc),
#              JOBS (make parallelism, default: number of CPUs).

set -euo pipefail

readonly KJS_PACKAGE="@confluentinc/kafka-javascript"
readonly KJS_VERSION="1.10.1"
readonly KJS_TARBALL_SHA512="29578f5019f6d44a8254ff667f1cc4b8cdd26091c7105ed7fa2882d9ee374108034b211a92c2279821a8a13df0e6af9c340764482acaef58f42027eaa12a992f"
readonly LIBRDKAFKA_MAJOR_MINOR="2.15"
# Only what the mock cluster needs: no TLS/SASL/Kerberos/zstd/HTTP/regex
# dependencies, so the only external library is zlib.
readonly CONFIGURE_FLAGS=(
  --disable-ssl --disable-sasl --disable-gssapi --disable-zstd
  --disable-lz4-ext --disable-curl --disable-regex-ext
)
# Debian packages providing the toolchain and headers.
readonly APT_PACKAGES=(gcc make libc6-dev zlib1g-dev pkg-config patch)

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly script_dir
readonly launcher_src="${script_dir}/launcher.c"
readonly bin_dir="${script_dir}/bin"
readonly bin="${bin_dir}/dev-kafka"
readonly patch_dir="${script_dir}/patches"
readonly cache_root="${URBIS_CACHE_DIR:-${HOME:?HOME is not set}/.cache/urbis}"

shopt -s nullglob
patches=("${patch_dir}"/*.patch)
shopt -u nullglob
readonly patches
# The cache key covers the patches, so editing one triggers a rebuild.
command -v sha256sum >/dev/null 2>&1 || { echo "dev-kafka build: error: sha256sum (coreutils) is required" >&2; exit 1; }
patches_hash="$(cat /dev/null "${patches[@]}" | sha256sum | cut -c1-12)"
readonly patches_hash
readonly lib_cache="${cache_root}/librdkafka-${LIBRDKAFKA_MAJOR_MINOR}-kjs-${KJS_VERSION}-p${patches_hash}"
readonly lib_archive="${lib_cache}/lib/librdkafka.a"
readonly lib_stamp="${lib_cache}/.complete"

force=0
rebuild_lib=0
quiet=0
for arg in "$@"; do
  case "${arg}" in
    --force) force=1 ;;
    --rebuild-lib) rebuild_lib=1; force=1 ;;
    --quiet) quiet=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build.sh: unknown argument: ${arg} (see --help)" >&2; exit 2 ;;
  esac
done

log() { if [[ ${quiet} -eq 0 ]]; then echo "dev-kafka build: $*" >&2; fi; }
die() { echo "dev-kafka build: error: $*" >&2; exit 1; }

lib_ready() { [[ -f "${lib_stamp}" && -f "${lib_archive}" ]]; }

# Fast path: nothing to do.
if [[ ${force} -eq 0 && -x "${bin}" ]] && lib_ready \
  && [[ "${bin}" -nt "${launcher_src}" && "${bin}" -nt "${BASH_SOURCE[0]}" \
        && ! "${lib_archive}" -nt "${bin}" ]]; then
  log "up to date: ${bin}"
  exit 0
fi

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------

cc="${CC:-}"
if [[ -z "${cc}" ]]; then
  if command -v gcc >/dev/null 2>&1; then cc=gcc; elif command -v cc >/dev/null 2>&1; then cc=cc; fi
fi

missing_prereqs() {
  local missing=()
  if [[ -z "${cc}" ]] || ! command -v "${cc%% *}" >/dev/null 2>&1; then missing+=("C compiler (gcc)"); fi
  if ! lib_ready; then
    # Only needed to build the (cached) library.
    command -v make >/dev/null 2>&1 || missing+=("make")
    command -v pkg-config >/dev/null 2>&1 || missing+=("pkg-config")
    command -v patch >/dev/null 2>&1 || missing+=("patch")
  fi
  # zlib headers and libc headers: try to compile and link a tiny program.
  if [[ -n "${cc}" ]] && command -v "${cc%% *}" >/dev/null 2>&1; then
    local probe_dir
    probe_dir="$(mktemp -d)"
    printf '#include <zlib.h>\n#include <pthread.h>\nint main(void){return zlibVersion()[0]==0;}\n' \
      > "${probe_dir}/probe.c"
    if ! ${cc} "${probe_dir}/probe.c" -o "${probe_dir}/probe" -lz -lpthread >/dev/null 2>&1; then
      missing+=("zlib and libc development headers (zlib1g-dev, libc6-dev)")
    fi
    rm -rf "${probe_dir}"
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then printf '%s\n' "${missing[@]}"; fi
}

ensure_prereqs() {
  local missing
  missing="$(missing_prereqs)"
  [[ -z "${missing}" ]] && return 0

  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing build prerequisites: ${APT_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}" >&2; then
      # Stale package lists are the usual cause; failures are reported below.
      apt-get update >&2 || true
      apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}" >&2 || true
    fi
    [[ -n "${cc}" ]] || cc=gcc
    missing="$(missing_prereqs)"
    [[ -z "${missing}" ]] && return 0
  fi

  {
    echo "dev-kafka build: error: missing build prerequisites:"
    while IFS= read -r m; do echo "  - ${m}"; done <<< "${missing}"
    echo "On Debian/Ubuntu install them with:"
    echo "  sudo apt-get install -y ${APT_PACKAGES[*]}"
  } >&2
  exit 1
}

ensure_prereqs
lib_ready || { command -v npm >/dev/null 2>&1 || die "npm is required to fetch ${KJS_PACKAGE}@${KJS_VERSION} (install Node.js >= 20)"; }
command -v tar >/dev/null 2>&1 || die "tar is required"
command -v sha512sum >/dev/null 2>&1 || die "sha512sum (coreutils) is required"

# ---------------------------------------------------------------------------
# librdkafka.a (cached)
# ---------------------------------------------------------------------------

build_lib() {
  local work src tarball sum version_hex version libs jobs
  work="$(mktemp -d "${cache_root}/.build-librdkafka.XXXXXX")"
  # shellcheck disable=SC2064  # expand now: ${work} is local
  trap "rm -rf '${work}'" EXIT

  log "fetching ${KJS_PACKAGE}@${KJS_VERSION} (npm pack, no install scripts)"
  (cd "${work}" && npm pack "${KJS_PACKAGE}@${KJS_VERSION}" --ignore-scripts --silent >/dev/null) \
    || die "npm pack ${KJS_PACKAGE}@${KJS_VERSION} failed"
  tarball="$(find "${work}" -maxdepth 1 -name '*.tgz' -print -quit)"
  [[ -n "${tarball}" ]] || die "npm pack produced no tarball"
  sum="$(sha512sum "${tarball}" | cut -d' ' -f1)"
  [[ "${sum}" == "${KJS_TARBALL_SHA512}" ]] \
    || die "sha512 mismatch for ${tarball##*/}: got ${sum}, expected ${KJS_TARBALL_SHA512}"

  tar -xzf "${tarball}" -C "${work}" package/deps/librdkafka \
    || die "the tarball does not contain package/deps/librdkafka"
  src="${work}/package/deps/librdkafka"

  version_hex="$(sed -n 's/^#define RD_KAFKA_VERSION[[:space:]]*\(0x[0-9a-fA-F]*\).*/\1/p' "${src}/src/rdkafka.h")"
  [[ -n "${version_hex}" ]] || die "cannot read RD_KAFKA_VERSION from rdkafka.h"
  version="$((version_hex >> 24 & 0xff)).$((version_hex >> 16 & 0xff)).$((version_hex >> 8 & 0xff))"
  [[ "${version}" == "${LIBRDKAFKA_MAJOR_MINOR}."* ]] \
    || die "expected librdkafka ${LIBRDKAFKA_MAJOR_MINOR}.x in ${KJS_PACKAGE}@${KJS_VERSION}, found ${version}"

  local p
  for p in "${patches[@]}"; do
    log "applying ${p##*/}"
    patch -d "${src}" -p1 --forward --batch --quiet < "${p}" > "${work}/patch.log" 2>&1 \
      || { cat "${work}/patch.log" >&2; die "cannot apply ${p##*/} to librdkafka ${version}"; }
  done

  jobs="${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"
  log "configuring librdkafka ${version}"
  (cd "${src}" && CC="${cc}" ./configure "${CONFIGURE_FLAGS[@]}") > "${work}/configure.log" 2>&1 \
    || { tail -n 40 "${work}/configure.log" >&2; die "librdkafka configure failed"; }
  log "building librdkafka.a with ${jobs} job(s) (1-2 minutes on 2 cores)"
  make -C "${src}/src" -j"${jobs}" librdkafka.a > "${work}/make.log" 2>&1 \
    || { tail -n 40 "${work}/make.log" >&2; die "librdkafka build failed"; }

  # Link flags librdkafka's configure determined for a static link.
  libs="$(sed -n 's/^LIBS+=[[:space:]]*//p' "${src}/Makefile.config" | tr -s ' \t' '  ')"
  [[ -n "${libs}" ]] || die "cannot read LIBS from librdkafka's Makefile.config"

  local stage="${work}/stage"
  mkdir -p "${stage}/lib" "${stage}/include"
  cp "${src}/src/librdkafka.a" "${stage}/lib/"
  cp "${src}/src/rdkafka.h" "${src}/src/rdkafka_mock.h" "${stage}/include/"
  cp "${src}/LICENSES.txt" "${stage}/"
  if [[ ${#patches[@]} -gt 0 ]]; then mkdir -p "${stage}/patches" && cp "${patches[@]}" "${stage}/patches/"; fi
  printf '%s\n' "${libs}" > "${stage}/link-libs"
  printf '%s\n' "${version}" > "${stage}/VERSION"
  touch "${stage}/.complete"

  rm -rf "${lib_cache}"
  mv "${stage}" "${lib_cache}"
  rm -rf "${work}"
  trap - EXIT
  log "cached librdkafka ${version} in ${lib_cache}"
}

mkdir -p "${cache_root}"
# Serialise concurrent builds (e.g. parallel test workers) on the cache.
exec 9> "${lib_cache}.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if [[ ${rebuild_lib} -eq 1 ]]; then
  rm -rf "${lib_cache}"
fi
lib_ready || build_lib

# ---------------------------------------------------------------------------
# Launcher
# ---------------------------------------------------------------------------

if [[ ${force} -eq 0 && -x "${bin}" && "${bin}" -nt "${launcher_src}" \
      && "${bin}" -nt "${BASH_SOURCE[0]}" && ! "${lib_archive}" -nt "${bin}" ]]; then
  log "up to date: ${bin}"
  exit 0
fi

log "linking ${bin}"
mkdir -p "${bin_dir}"
read -r -a link_libs < "${lib_cache}/link-libs"
tmp_bin="${bin}.tmp.$$"
trap 'rm -f "${tmp_bin}"' EXIT
# -isystem: warnings in librdkafka's own headers are not ours to fix.
# --wrap=bind: lets the launcher pin the mock brokers' listen ports (--port).
${cc} -std=c11 -O2 -g -Wall -Wextra -Wshadow -Wformat=2 \
  -isystem "${lib_cache}/include" \
  -o "${tmp_bin}" "${launcher_src}" \
  -Wl,--wrap=bind \
  "${lib_archive}" "${link_libs[@]}" -lpthread -lm -ldl \
  || die "compiling launcher.c failed"

version_line="$("${tmp_bin}" --version)" || die "the built launcher does not run"
[[ "${version_line}" == *"librdkafka ${LIBRDKAFKA_MAJOR_MINOR}."* ]] \
  || die "the launcher reports '${version_line}', expected librdkafka ${LIBRDKAFKA_MAJOR_MINOR}.x"
mv -f "${tmp_bin}" "${bin}"
trap - EXIT
log "built ${bin} (${version_line})"
