#!/usr/bin/env bash
# The run command: installs what is missing, builds fangcha (release), imports the bundled
# Shenzhen 宝安 sample into out/baoan.gpkg and prints its per-village statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked
BIN=target/release/fangcha
mkdir -p out
S=sample-data/baoan
"$BIN" import --overwrite \
  --parcels "$S/buildings.geojson" --buildings "$S/buildings.geojson" \
  --villages "$S/communities_generated.geojson" --village-names "$S/admin_440306.csv" \
  --overlay "$S/boundary.geojson" \
  -o out/baoan.gpkg
"$BIN" stats out/baoan.gpkg --level village
"$BIN" stats out/baoan.gpkg --level township --bulletin
