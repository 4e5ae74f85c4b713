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
# Boot media (docs/boot-media.md): xorriso writes bootable ISOs on Linux (build-iso); osslsigncode
# signs test boot managers so the tests read real Authenticode signatures (openssl makes the CAs).
command -v xorriso >/dev/null 2>&1 || need+=(xorriso)
command -v osslsigncode >/dev/null 2>&1 || need+=(osslsigncode) # tests
command -v openssl >/dev/null 2>&1 || need+=(openssl)           # tests
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

# --- PowerShell 7.6.10 and Pester 5.7.1 (issue 19): the tests run every generated ConfigMgr script
# for real under pwsh against the stand-in module in scripts/site-stub. Both come from NuGet through
# the .NET SDK into .tools/ (gitignored). The version is always given: without it dotnet picks 7.7.0,
# which does not install here. Skipped when present, or when OSMEDIA_PWSH_TEST names another pwsh.
if [ -z "${OSMEDIA_PWSH_TEST:-}" ] && [ ! -x .tools/pwsh/pwsh ]; then
  if command -v dotnet >/dev/null 2>&1; then
    echo "osmedia: installing PowerShell 7.6.10 into .tools/pwsh (dotnet tool)" >&2
    # Not fatal here: without it the PowerShell tests fail and say how to get it.
    dotnet tool install --tool-path .tools/pwsh PowerShell --version 7.6.10 >&2 ||
      echo "osmedia: PowerShell 7.6.10 did not install (dotnet tool install failed; see above)" >&2
  else
    echo "osmedia: no .NET SDK (dotnet): the PowerShell tests need pwsh 7.6 (set OSMEDIA_PWSH_TEST or install the .NET SDK)" >&2
  fi
fi
if [ ! -f .tools/modules/Pester/5.7.1/Pester.psd1 ] && command -v dotnet >/dev/null 2>&1; then
  echo "osmedia: fetching Pester 5.7.1 from NuGet into .tools/modules" >&2
  restore="$(mktemp -d)"
  # A throwaway project that only downloads the package (PackageDownload), for the SDK's own framework.
  tfm="net$(dotnet --version | cut -d. -f1).0"
  printf '%s\n' '<Project Sdk="Microsoft.NET.Sdk">' \
    "  <PropertyGroup><TargetFramework>$tfm</TargetFramework></PropertyGroup>" \
    '  <ItemGroup><PackageDownload Include="Pester" Version="[5.7.1]" /></ItemGroup>' \
    '</Project>' >"$restore/pester.csproj"
  if dotnet restore "$restore/pester.csproj" --packages "$restore/packages" >&2; then
    mkdir -p .tools/modules/Pester
    rm -rf .tools/modules/Pester/5.7.1.tmp
    cp -r "$restore/packages/pester/5.7.1/tools" .tools/modules/Pester/5.7.1.tmp
    mv .tools/modules/Pester/5.7.1.tmp .tools/modules/Pester/5.7.1
  else
    echo "osmedia: Pester 5.7.1 did not download from NuGet (see above); its tests will fail" >&2
  fi
  rm -rf "$restore"
fi
