//! The bundled samples import as the README says: 宝安 (real footprints, generated community
//! partition) and 同心县 (real codes and boundary, generated GBK Shapefiles in 3° GK zone 35).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn baoan_sample_imports_into_real_communities() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("baoan.gpkg");
    let s = |f: &str| sample(&format!("baoan/{f}"));
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        s("buildings.geojson").as_os_str(),
        "--buildings".as_ref(),
        s("buildings.geojson").as_os_str(),
        "--villages".as_ref(),
        s("communities_generated.geojson").as_os_str(),
        "--village-names".as_ref(),
        s("admin_440306.csv").as_os_str(),
        "--overlay".as_ref(),
        s("boundary.geojson").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 13]);
    let report = ok(&o);
    assert!(report.contains("parcels 图斑: 13621"), "{report}");
    assert!(report.contains("unassigned 未分配 0"), "{report}");
    let csv = ok(&fangcha([
        "stats".as_ref(),
        out.as_os_str(),
        "--level".as_ref(),
        "township".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(csv.contains("township,440306017,新安街道,"), "{csv}");
    assert!(csv.contains("township,440306018,西乡街道,"), "{csv}");
    let table = ok(&fangcha(
        ["stats".as_ref(), out.as_os_str()] as [&std::ffi::OsStr; 2]
    ));
    assert!(table.contains("社区居委会"), "{table}");
}

#[test]
fn tongxin_sample_reads_gbk_and_gauss_kruger() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("tx.gpkg");
    let s = |f: &str| sample(&format!("tongxin/{f}"));
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        s("parcels.shp").as_os_str(),
        "--buildings".as_ref(),
        s("buildings.shp").as_os_str(),
        "--village-names".as_ref(),
        s("villages.csv").as_os_str(),
        "--overlay".as_ref(),
        s("county_boundary.geojson").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 11]);
    let report = ok(&o);
    assert!(
        report.contains("GBK (DBF language driver 0x4D)"),
        "{report}"
    );
    assert!(report.contains("EPSG:4523"), "{report}");
    assert!(report.contains("parcel_code ← 图斑编码"), "{report}");
    assert!(report.contains("unassigned 未分配 0"), "{report}");
    assert!(report.contains("in no parcel 0"), "{report}");
    // reprojected into Tongxin (≈105–107°E, 36–37.5°N), lon first
    let conn = rusqlite::Connection::open(&out).expect("open");
    let (x0, y0, x1, y1): (f64, f64, f64, f64) = conn
        .query_row(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'parcels'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("extent");
    assert!(
        x0 > 105.0 && x1 < 107.0 && y0 > 36.0 && y1 < 37.6,
        "{x0} {y0} {x1} {y1}"
    );
    // the generated survey is consistent with the state rules
    let check = fangcha(["check".as_ref(), out.as_os_str()] as [&std::ffi::OsStr; 2]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    // township names from the code list, rates present
    let csv = ok(&fangcha([
        "stats".as_ref(),
        out.as_os_str(),
        "--level".as_ref(),
        "township".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(csv.contains(",豫海镇,"), "{csv}");
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("township,")).count(),
        11,
        "{csv}"
    );
    let bulletin = ok(&fangcha([
        "stats".as_ref(),
        out.as_os_str(),
        "--level".as_ref(),
        "county".as_ref(),
        "--bulletin".as_ref(),
    ] as [&std::ffi::OsStr; 5]));
    assert!(bulletin.starts_with("640324 同心县：图斑"), "{bulletin}");
}
