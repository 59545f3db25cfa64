#!/usr/bin/env bash
# Packs what the scaling benchmark needs on a machine without Node.js or a registry (the
# `device` tool): this machine's node binary (xz), the production node_modules, under .carry/.
# The built dist/ travels too. Run after `npm run build`, then on the device:
#   run(carry: [".carry", "dist"], command: "bash scripts/device-scaling.sh")
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/run.js ] || { echo "dist/ is missing: run npm run build first" >&2; exit 1; }
mkdir -p .carry/prod
[ -f .carry/node.xz ] || xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .carry/node.xz
cp package.json package-lock.json .carry/prod/
(cd .carry/prod && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
du -sh .carry dist
