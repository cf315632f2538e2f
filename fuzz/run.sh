#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo fuzz (libFuzzer).
# Needs `cargo install cargo-fuzz`; on a stable toolchain RUSTC_BOOTSTRAP=1 enables the
# sanitizer flags. Seed corpora live in fuzz/corpus/<target> (read only); the grown corpus goes
# to fuzz/corpus-work/<target> (not committed), findings to fuzz/artifacts/.
# Not part of CI.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-60}
export RUSTC_BOOTSTRAP=1
for t in shapefile geojson gpkg_geometry; do
  echo "== $t (${SECONDS_EACH}s)"
  mkdir -p "corpus-work/$t"
  cargo fuzz run --fuzz-dir . "$t" "corpus-work/$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=262144
done
