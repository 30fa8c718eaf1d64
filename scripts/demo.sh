#!/usr/bin/env bash
# The main job against the embedded sandbox: validate, plan, apply, plan again, summary.
set -euo pipefail
cd "$(dirname "$0")/.."
R=.venv/bin/reconciler
step() { printf '\n\033[1m$ reconciler %s\033[0m\n' "$*"; }
step validate
$R validate
