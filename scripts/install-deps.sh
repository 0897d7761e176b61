#!/usr/bin/env bash
# Install what the project needs from Debian 12's packages.
# Quick no-op when everything is already present.
#
#   scripts/install-deps.sh          build + test + demo dependencies
#   scripts/install-deps.sh --build  only what building the plugin needs
set -euo pipefail

BUILD_PKGS=(
  build-essential pkg-config meson ninja-build
  libglib2.0-dev
  libgstreamer1.0-dev
  libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev
  libsoup-3.0-dev
  libxml2-dev
  # GObject-introspection of libgstlivestream-1.0 (GstChunkMeta from
  # Python and other languages): g-ir-scanner, GObject/GLib GIRs
  gobject-introspection libgirepository1.0-dev
  # srtingestsrc (gst/srt): libsrt; the OpenSSL flavour (the GnuTLS one
  # that GStreamer's srtsrc and srt-tools use can stay installed beside it)
  libsrt-openssl-dev
  # scripts/gst-indent.sh: GStreamer's C formatting
  indent
)
RUNTIME_PKGS=(
  # dashlivesink's HTTP server and uploader open it at run time
  libsoup-3.0-0
  gstreamer1.0-tools
  gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly
  gstreamer1.0-libav
  ffmpeg
  srt-tools
  python3 python3-gi gir1.2-gstreamer-1.0
)
TEST_PKGS=(
  chromium
  nodejs npm
  nginx-light
  # livestream-server's RTMP output against a real RTMP server
  # (pipelines/server_rtmp)
  libnginx-mod-rtmp
  curl
  # dashlivesink behind a CDN: Varnish edges (deploy/varnish/) in the
  # integration test dashlivesink-cdn
  varnish
  # elements/soup2-coexist: the core plug-in beside libsoup-2.4
  libsoup2.4-1
  # reliability: ASan/UBSan runtimes come with gcc; libFuzzer with clang
  # (scripts/fuzz.sh), memcheck (scripts/test-valgrind.sh)
  clang libclang-rt-14-dev
  valgrind
)

pkgs=("${BUILD_PKGS[@]}")
if [ "${1:-}" != "--build" ]; then
  pkgs+=("${RUNTIME_PKGS[@]}" "${TEST_PKGS[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# node/npm may come from elsewhere on a developer machine: accept them if present
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do
    case "$p" in nodejs|npm) ;; *) filtered+=("$p") ;; esac
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
