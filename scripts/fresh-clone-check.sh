#!/usr/bin/env bash
# Prove the build is hermetic: clone the committed HEAD into an empty temporary folder
# (nothing beside it, so nothing outside the repository can be read) and run `make test` there.
# Usage: scripts/fresh-clone-check.sh [make-target...]   (default: test)
set -euo pipefail
top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(test)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone --quiet "$top" "$scratch/clone"
cd "$scratch/clone"
for target in "${targets[@]}"; do
  echo "fresh clone of $(git rev-parse --short HEAD) in $scratch/clone: make $target"
  make "$target" </dev/null
done
