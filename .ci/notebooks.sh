#!/usr/bin/env bash
# CI: execute every notebooks/*.ipynb headless with the smoke preset (with the venv and Deno
# kernelspec of deno task setup:jupyter, installed into .cache/ when missing) and fail on a cell
# error or a plot cell that lost its Plotly output. Executed notebooks go to results/notebooks/.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
if ! command -v deno >/dev/null 2>&1; then
  npm install -g deno@2.9.6 >/dev/null 2>&1 || { echo "notebooks: could not install deno"; exit 1; }
fi
# plotly.js-dist-min (packed into the figure outputs) is read from node_modules.
install_log=$(mktemp)
deno install >"$install_log" 2>&1 || { tail -20 "$install_log"; echo "notebooks: deno install failed"; exit 1; }
timeout 1200 deno task notebooks --preset smoke --out results/notebooks
