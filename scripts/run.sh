#!/usr/bin/env bash
# The run command: installs what is missing, builds fangcha (release) and opens the desktop app:
# on the last project, or on the bundled Shenzhen 宝安 sample (imported into the app's data
# folder on first start). Pass a project file to open it instead: scripts/run.sh my.gpkg
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked
exec target/release/fangcha "$@"
