//! Imports of the real inputs of ../shared/data through the real binary.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn bubenec_buildings_all_join_their_plots() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, report) = import_bubenec(dir.path());
    assert!(report.contains("parcels 图斑: 407"), "{report}");
    assert!(
        report.contains("houses 自建房: 144 (in a parcel 144, in no parcel 0)"),
        "{report}"
    );
    assert!(report.contains("EPSG:3857"), "{report}");
}

#[test]
fn ogrinfo_opens_the_project_with_counts_and_srs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (project, _) = import_bubenec(dir.path());
    assert_valid_gpkg(&project);
    for (layer, count) in [("parcels", 407), ("buildings", 144)] {
        let o = std::process::Command::new("ogrinfo")
            .args(["-so", "-ro"])
            .arg(&project)
            .arg(layer)
            .output()
            .expect("ogrinfo must be installed (scripts/deps.sh installs gdal-bin)");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(text.contains(&format!("Feature Count: {count}")), "{text}");
        assert!(text.contains("Geometry: Multi Polygon"), "{text}");
        assert!(
            text.contains("EPSG\",4490") || text.contains("China Geodetic Coordinate System 2000"),
            "{text}"
        );
        assert!(
            text.contains("survey_status") || text.contains("use_class"),
            "{text}"
        );
    }
    // lon/lat of Prague, axis order lon first
    let o = std::process::Command::new("ogrinfo")
        .args([
            "-ro",
            "-al",
            "-so",
            "-sql",
            "SELECT ST_MinX(geom) AS x, ST_MinY(geom) AS y FROM parcels LIMIT 1",
        ])
        .arg(&project)
        .output()
        .expect("ogrinfo");
    assert!(o.status.success());
    let o = std::process::Command::new("ogrinfo")
        .args(["-ro", "-q", "-al", "-fid", "1"])
        .arg(&project)
        .arg("parcels")
        .output()
        .expect("ogrinfo");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("MULTIPOLYGON (((14.") && text.contains(" 50.1"),
        "{text}"
    );
}

#[test]
fn gbk_without_cpg_reads_hubei() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("hb.gpkg");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        shared("odd/gbk_no_cpg/面84.shp").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 5]);
    let report = ok(&o);
    assert!(report.contains("GBK"), "{report}");
    assert!(report.contains("0x4D"), "{report}");
    let conn = rusqlite::Connection::open(&out).expect("open");
    let attrs: String = conn
        .query_row("SELECT source_attrs FROM parcels", [], |r| r.get(0))
        .expect("row");
    assert!(attrs.contains("湖北省"), "{attrs}");
    let (x, y): (f64, f64) = conn
        .query_row(
            "SELECT min_x, min_y FROM gpkg_contents WHERE table_name='parcels'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("extent");
    assert!(
        (108.0..117.0).contains(&x) && (29.0..34.0).contains(&y),
        "{x} {y}"
    );
}

#[test]
fn shanghai_osm_footprints_import() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("sh.gpkg");
    let f = shared("real/shanghai_buildings.geojson");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        f.as_os_str(),
        "--buildings".as_ref(),
        f.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 7]);
    let report = ok(&o);
    assert!(report.contains("parcels 图斑: 1572"), "{report}");
    assert!(report.contains("houses 自建房: 1572"), "{report}");
}

#[test]
fn counties_4490_import_polygons_and_skip_the_lines() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("cn.gpkg");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        shared("admin/china_counties_4490.geojson").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 5]);
    let report = ok(&o);
    assert!(report.contains("features: 2891"), "{report}");
    assert!(report.contains("skipped: 7 MultiLineString"), "{report}");
    assert!(report.contains("EPSG:4490"), "{report}");
    assert!(report.contains("invalid geometries (kept): "), "{report}");
}

#[test]
fn odd_files_give_a_clear_result() {
    let dir = tempfile::tempdir().expect("tmp");
    // UTF-8 field names cut mid-character: imported, with a warning naming the field
    let out = dir.path().join("albers.gpkg");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        shared("odd/utf8_truncated_fieldnames/面albers.shp").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 5]);
    let report = ok(&o);
    assert!(report.contains("features: 21"), "{report}");
    assert!(report.contains("cut"), "{report}");
    assert!(report.contains("parcel_code ← 图斑编"), "{report}");
    // UTF-8 without .cpg or .prj: lon/lat read as EPSG:4326 with a warning
    let out = dir.path().join("nx.gpkg");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        shared("odd/utf8_no_cpg/ningxia_district.shp").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 5]);
    let report = ok(&o);
    assert!(report.contains("features: 22"), "{report}");
    assert!(report.contains("EPSG:4326"), "{report}");
    // .shp alone: either imported with a warning or a one-line error naming the file
    let out = dir.path().join("cn.gpkg");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        shared("odd/shp_without_shx_dbf/china.shp").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 5]);
    if o.status.success() {
        assert!(stdout(&o).contains("warning"), "{}", stdout(&o));
    } else {
        let err = fails(&o);
        assert!(err.contains("china"), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn failed_import_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("p.gpkg");
    // projected data without a CRS: the error says how to pass --crs
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        shared("real/bubenec.gpkg").as_os_str(),
        "--crs".as_ref(),
        "EPSG:999999".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 7]);
    let err = fails(&o);
    assert!(err.contains("bubenec.gpkg"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written"
    );
    // an existing project is not overwritten without --overwrite
    std::fs::write(&out, b"precious").expect("write");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        shared("odd/gbk_no_cpg/面84.shp").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 5]);
    let err = fails(&o);
    assert!(err.contains("--overwrite"), "{err}");
    assert_eq!(std::fs::read(&out).expect("read"), b"precious");
    // a file that does not exist
    let o = fangcha([
        "import",
        "--parcels",
        "/nonexistent/x.shp",
        "-o",
        "/tmp/never.gpkg",
    ]);
    let err = fails(&o);
    assert!(err.contains("/nonexistent/x.shp"), "{err}");
}
