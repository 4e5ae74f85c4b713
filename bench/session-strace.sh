#!/usr/bin/env bash
# Counts, with strace, how often a full `osmedia run` of the sample media takes the workspace lock
# (openat of .osmedia/lock with O_CREAT|O_EXCL) and opens the workspace manifest for reading.
# Two runs: the first builds everything (import, strip, apply-updates with a Setup DU, stamp,
# distribute to a local folder, task sequence); the second is the unchanged re-run.
# Usage: bash bench/session-strace.sh [WORKDIR]   (docs/architecture.md has the numbers)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d /tmp/osmedia-strace-XXXX)}"
node=node_modules/.bin/node
mkdir -p "$work"
if [ ! -f "$work/ready" ]; then
  $node -e "
    const { buildSampleMedia } = await import('./src/sample/sample-media.ts');
    const { buildSampleUpdates } = await import('./src/sample/sample-updates.ts');
    await buildSampleMedia({ dir: '$work/sample' });
    await buildSampleUpdates({ dir: '$work/updates', only: ['setupDu'] });
  " --input-type=module
  touch "$work/ready"
fi
iso=$(ls "$work"/sample/*.iso)
cat > "$work/osmedia.yml" <<YAML
workspace: ws
media:
  source: $iso
  keep: [Enterprise]
updates:
  from: updates
stamp:
  revision: r1
distribute:
  targets: [share]
taskSequence:
  name: Upgrade
YAML
rm -rf "$work/ws" "$work/share"
count() { # $1 = trace file
  local locks manifests
  locks=$(grep -c "\"$work/ws/.osmedia/lock\", O_WRONLY|O_CREAT|O_EXCL" "$1" || true)
  manifests=$(grep -c "\"$work/ws/osmedia-manifest.json\", O_RDONLY" "$1" || true)
  echo "lock acquisitions: $locks, manifest opens for reading: $manifests"
}
for run in first rerun; do
  strace -f -qq -e trace=openat -o "$work/$run.trace" $node src/main.ts run --recipe "$work/osmedia.yml" --quiet
  echo "$run run: $(count "$work/$run.trace")"
done
