#!/usr/bin/env bash
# Regenerates the README screenshots: imports samples, opens the real app under Xvfb on each,
# waits for the first frames and captures the screen with ImageMagick.
# Usage: scripts/screenshot.sh [OUT_DIR]   (default docs/)
set -euo pipefail
cd "$(dirname "$0")/.."
FANGCHA_SCREENSHOT_DEPS=1 source scripts/deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked
OUT=${1:-docs}
mkdir -p "$OUT" out
BIN=target/release/fangcha
S=sample-data
"$BIN" import --overwrite --parcels $S/baoan/buildings.geojson --buildings $S/baoan/buildings.geojson \
  --villages $S/baoan/communities_generated.geojson --village-names $S/baoan/admin_440306.csv \
  --overlay $S/baoan/boundary.geojson -o out/shot-baoan.gpkg >/dev/null
"$BIN" import --overwrite --parcels "$S/bubenec/bubenec.gpkg|layername=plots" \
  --buildings "$S/bubenec/bubenec.gpkg|layername=buildings" -o out/shot-bubenec.gpkg >/dev/null
"$BIN" import --overwrite --parcels $S/osm/shanghai_buildings.geojson --buildings $S/osm/shanghai_buildings.geojson \
  -o out/shot-shanghai.gpkg >/dev/null
if [ -f $S/tongxin/parcels.shp ]; then
  "$BIN" import --overwrite --parcels $S/tongxin/parcels.shp --buildings $S/tongxin/buildings.shp \
    --village-names $S/tongxin/villages.csv --overlay $S/tongxin/county_boundary.geojson -o out/shot-tongxin.gpkg >/dev/null
fi
export XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_DATA_HOME=$(mktemp -d)   # fresh settings: Chinese UI, default panels
for name in baoan bubenec shanghai tongxin; do
  [ -f out/shot-$name.gpkg ] || continue
  xvfb-run -a -s "-screen 0 1500x950x24" bash -c "
    $BIN out/shot-$name.gpkg >/dev/null 2>&1 & PID=\$!
    sleep ${FANGCHA_SHOT_WAIT:-8}
    import -window root '$OUT/screenshot-$name.png'
    kill \$PID"
  echo "wrote $OUT/screenshot-$name.png"
done
