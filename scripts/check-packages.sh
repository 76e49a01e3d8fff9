#!/usr/bin/env bash
# Checks each published package as npm would ship it: publint, are-the-types-wrong (ESM-only
# profile: CommonJS users require() the ESM build on Node 20.19+), and a publish dry run.
set -euo pipefail
cd "$(dirname "$0")/.."
for pkg in packages/core packages/hono; do
  echo "=== $pkg"
  npx publint "$pkg"
  npx attw --pack "$pkg" --profile esm-only --format table-flipped
  npm publish --dry-run --workspace "$pkg" 2>&1 | grep -E '^\+ |error' || { echo "npm publish --dry-run failed for $pkg"; exit 1; }
done
