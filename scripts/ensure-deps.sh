#!/usr/bin/env bash
# Installs everything osmedia needs on a fresh Debian/Ubuntu machine, and nothing that is already
# there: system tools (wimtools, genisoimage, gcab, rsync, time) with apt-get, then the npm
# dependencies (which include Node 24 itself, as the `node` package) and the compiled CLI.
# Safe to run again: each part is skipped when it is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wimlib-imagex >/dev/null 2>&1 || need+=(wimtools)
command -v genisoimage >/dev/null 2>&1 || need+=(genisoimage)
command -v gcab >/dev/null 2>&1 || need+=(gcab)
command -v rsync >/dev/null 2>&1 || need+=(rsync)
command -v git >/dev/null 2>&1 || need+=(git)
[ -x /usr/bin/time ] || need+=(time)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)   # tests: JUnit reports against the schema
command -v groovy >/dev/null 2>&1 || need+=(groovy)           # tests: the Jenkins shared library
# tests: a real SMB share (test/smb/share.ts): Samba's smbd serves it on a private loopback address,
# smbnetfs (FUSE, no kernel module) mounts it; unshare and ip (util-linux, iproute2) give each run its
# own network namespace. Only where tests can use them: Linux with /dev/fuse.
if [ "$(uname -s)" = Linux ] && [ -e /dev/fuse ]; then
  command -v smbd >/dev/null 2>&1 || [ -x /usr/sbin/smbd ] || need+=(samba)
  command -v smbnetfs >/dev/null 2>&1 || need+=(smbnetfs)
  command -v unshare >/dev/null 2>&1 || need+=(util-linux)
  command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || need+=(iproute2)
fi
# Any Node.js with npm will do to start: npm then installs Node 24 itself (the `node` package).
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "osmedia: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "osmedia: installing system packages: ${need[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# npm dependencies: install when node_modules is missing or older than the lock file.
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "osmedia: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

# The CLI bundle (lib/osmedia.js) for bin/osmedia.js; rebuilt when any source is newer.
if [ ! -f lib/osmedia.js ] || [ ! -f lib/osmedia-cli.js ] || [ -n "$(find src -newer lib/osmedia.js -print -quit)" ]; then
  node_modules/.bin/node scripts/bundle.ts --cli >&2
fi
