#!/usr/bin/env bash
# Install every build and test dependency from Debian's packages. Idempotent: safe to re-run.
# usage: scripts/deps.sh [--build]   (--build: only what building the static binary needs, as the
#                                     Containerfile's builder stage does; --list-build prints them)
set -euo pipefail
BUILD_PKGS=(
    build-essential cmake pkg-config file            # build
    libhiredis-dev libc-ares-dev libyaml-dev          # the three libraries (static .a included)
    libssl-dev                                        # TLS to peers (static .a)
)
TEST_PKGS=(
    openssl                                           # test certificates
    redis-server redis-tools                          # real Redis 7 + redis-cli for tests
    dnsmasq-base iproute2 util-linux procps           # the pod simulator: DNS, netns, unshare
    libc-bin gawk                                     # getent, awk in tests
    valgrind                                          # memory checks
    clang libclang-rt-14-dev                          # libFuzzer targets (test/fuzz)
    podman runc netavark aardvark-dns iptables catatonit  # the image in a real container runtime
    uidmap slirp4netns fuse-overlayfs mmdebstrap      #   (test/podman, scripts/runtime-test)
)
case ${1:-} in
--build) PKGS=("${BUILD_PKGS[@]}") ;;
--list-build) echo "${BUILD_PKGS[@]}"; exit 0 ;;
"") PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
    # Manifest validation and the pod converter run on Node.js (npm registry): Debian's nodejs/npm
    # unless a node exists.
    command -v node >/dev/null && command -v npm >/dev/null || PKGS+=(nodejs npm) ;;
*) echo "usage: scripts/deps.sh [--build|--list-build]" >&2; exit 2 ;;
esac
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's package starts a redis-server service where systemd runs; the tests start their own.
echo "deps: all installed"
