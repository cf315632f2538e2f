//! Shapefile + DBF read path: the input is split into .shp, .shx and .dbf by two length bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let a = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let b = usize::from(u16::from_le_bytes([data[2], data[3]]));
    let rest = &data[4..];
    let a = a.min(rest.len());
    let b = b.min(rest.len() - a);
    let (shp, tail) = rest.split_at(a);
    let (shx, dbf) = tail.split_at(b);
    let Ok(dir) = tempfile::tempdir_in("/dev/shm") else { return };
    let base = dir.path().join("f");
    let _ = std::fs::write(base.with_extension("shp"), shp);
    if !shx.is_empty() {
        let _ = std::fs::write(base.with_extension("shx"), shx);
    }
    if !dbf.is_empty() {
        let _ = std::fs::write(base.with_extension("dbf"), dbf);
    }
    let _ = fangcha::io::shp::read_shapefile(&base.with_extension("shp"), None);
});
