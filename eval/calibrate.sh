#!/usr/bin/env bash
# Fits the answer decision (assistant/answer/decision.py) on the tune halves of the labelled sets, for
# the bundled e5 model and for the keyword embedder the fast tests use, and writes them to
# assistant/data/decisions/. The test halves are never read.
#   eval/calibrate.sh SHARED_DIR [WORK_DIR]
#   SHARED_DIR holds corpus/, realdocs/ and eval/ (dev.jsonl, dev_multidoc.jsonl)
set -euo pipefail
shared=${1:?usage: eval/calibrate.sh SHARED_DIR [WORK_DIR]}
work=${2:-$(mktemp -d)}
cd "$(dirname "$0")/.."
for embedder in e5 keyword; do
  w="$work/$embedder"
  policyqa index --quiet --embedder "$embedder" --corpus corpus --index "$w/plan"
  policyqa index --quiet --embedder "$embedder" --corpus corpus --corpus "$shared/corpus" --index "$w/all"
  policyqa index --quiet --embedder "$embedder" --corpus "$shared/realdocs" --index "$w/real"
  policyqa calibrate collect --index "$w/plan" --set "$shared/eval/dev.jsonl" --out "$w/dev.npz"
  policyqa calibrate collect --index "$w/all" --set "$shared/eval/dev_multidoc.jsonl" --set eval/team.jsonl \
    --set eval/fresh.jsonl --set eval/boundary.jsonl --half tune --out "$w/all.npz"
  policyqa calibrate collect --index "$w/real" --set eval/realdocs.jsonl --set eval/boundary_real.jsonl --half tune \
    --out "$w/real.npz"
  policyqa calibrate fit "$w/dev.npz" "$w/all.npz" "$w/real.npz"
done
