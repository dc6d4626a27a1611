#!/usr/bin/env bash
# Makes this machine able to load TorchSharp 0.107's native shim, which needs GLIBCXX_3.4.32
# (libstdc++ from GCC 13 or newer). Debian 12 ships GCC 12's libstdc++ (GLIBCXX_3.4.30), so there
# we take libstdc++6 from Debian 13 "trixie" through the same Debian mirror this machine already
# uses, pinned low so that nothing else is upgraded later by accident. Debian 13's libstdc++ needs
# glibc 2.38+, so apt upgrades libc6 with it. Ubuntu 24.04+, Debian 13+ and any machine that already
# has the symbol are left untouched. Safe to run any number of times.
set -euo pipefail

need=GLIBCXX_3.4.32
say() { printf 'prereqs: %s\n' "$*" >&2; }

has_symbol() {
  local lib
  for lib in $(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF}') \
             /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6; do
    [ -r "$lib" ] && grep -qa "$need" "$lib" && return 0
  done
  return 1
}

[ "$(uname -s)" = Linux ] || exit 0          # Windows/macOS: libtorch brings what it needs.
if has_symbol; then exit 0; fi

. /etc/os-release
if [ "${ID:-}" != debian ] || [ "${VERSION_CODENAME:-}" != bookworm ]; then
  say "this machine's libstdc++ lacks $need, which TorchSharp 0.107 needs."
  say "Install libstdc++6 from GCC 13 or newer (Ubuntu 24.04 and Debian 13 have it), then run again."
  exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { say "need root (or sudo) to install libstdc++6 from Debian 13"; exit 1; }
  SUDO=sudo
fi

# Reuse the mirror and keyring of the machine's own bookworm source (deb822 or one-line format).
uri="" key=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  read -r uri key < <(awk '
    /^$/ { if (suite ~ /(^| )bookworm( |$)/ && u != "") { print u, k; exit } u=""; k=""; suite="" }
    /^URIs:/ { u=$2 } /^Signed-By:/ { k=$2 } /^Suites:/ { $1=""; suite=$0 }
    END { if (suite ~ /(^| )bookworm( |$)/ && u != "") print u, k }' /etc/apt/sources.list.d/debian.sources) || true
fi
if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
  uri=$(awk '$1=="deb" && $0 ~ / bookworm / { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$uri" ] || { say "found no bookworm entry in the apt sources to derive a Debian 13 source from"; exit 1; }
key=${key:-/usr/share/keyrings/debian-archive-keyring.gpg}

say "libstdc++ lacks $need: installing libstdc++6 from Debian 13 (trixie) via $uri (upgrades libc6 too)"
$SUDO tee /etc/apt/sources.list.d/course-trixie.sources >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: $key
SRC
$SUDO tee /etc/apt/preferences.d/course-trixie >/dev/null <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null
has_symbol || { say "libstdc++6 was installed but $need is still missing"; exit 1; }
say "done: $need available"
