//! GeoPackage geometry decoding: the import reader's bounds-checked decoder and the project
//! store's decoder and envelope reader (used by the rtree SQL functions).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fangcha::io::gpkg_in::decode_polygons(data);
    let _ = fangcha::store::geom::envelope(data);
    let _ = fangcha::store::geom::decode(data);
});
