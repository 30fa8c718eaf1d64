#!/usr/bin/env bash
# The main job against the embedded sandbox (.reconciler/sandbox.db):
# validate, plan, apply, plan again (no changes), then the performance summary and a drift check.
set -euo pipefail
cd "$(dirname "$0")/.."
R=.venv/bin/reconciler
step() { printf '\n\033[1m$ reconciler %s\033[0m\n' "$*"; }
unset CXONE_API_BASE
step validate
$R validate
step plan
$R plan
step apply --auto-approve
$R apply --auto-approve
step plan --detailed-exitcode
$R plan --detailed-exitcode
sleep 2  # the sandbox dialer places a minute's calls each second
step pace
$R pace
step summary
$R summary
step drift
$R drift
