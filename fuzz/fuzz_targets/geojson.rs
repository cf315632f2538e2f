//! GeoJSON read path (including the legacy crs member and property decoding).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir_in("/dev/shm") else { return };
    let path = dir.path().join("f.geojson");
    let _ = std::fs::write(&path, data);
    let _ = fangcha::io::geojson_in::read_geojson(&path);
});
