//! `fangcha generate`: deterministic GBK Shapefiles of a generated prefecture on real village
//! codes, which import with every field detected and no rule violation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{fangcha, ok};

#[test]
fn generated_prefecture_is_deterministic_and_imports_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let generate = |to: &std::path::Path| {
        ok(&fangcha([
            "generate",
            "--parcels",
            "3000",
            "--seed",
            "5",
            "-o",
            to.to_str().unwrap(),
        ]))
    };
    let out = generate(&a);
    assert!(out.contains("parcels: 3000"), "{out}");
    assert!(out.contains("villages: 10"), "{out}");
    generate(&b);
    for name in [
        "parcels.shp",
        "parcels.shx",
        "parcels.dbf",
        "parcels.prj",
        "buildings.shp",
        "buildings.dbf",
    ] {
        let x = std::fs::read(a.join(name)).unwrap();
        let y = std::fs::read(b.join(name)).unwrap();
        // The .dbf header holds the date of writing (bytes 1..4); the rest is identical.
        assert_eq!(x.len(), y.len(), "{name}");
        let skip = if name.ends_with(".dbf") { 4 } else { 0 };
        assert!(x[skip..] == y[skip..], "{name} differs between runs");
    }
    // No .cpg: the encoding comes from the language driver byte; names are GBK.
    assert!(!a.join("parcels.cpg").exists());
    let dbf = std::fs::read(a.join("parcels.dbf")).unwrap();
    let (first_name, _, _) = encoding_rs::GBK.decode(&dbf[32..40]);
    assert_eq!(first_name, "图斑编码");

    let project = dir.path().join("p.gpkg");
    let report = ok(&fangcha([
        "import",
        "--parcels",
        a.join("parcels.shp").to_str().unwrap(),
        "--buildings",
        a.join("buildings.shp").to_str().unwrap(),
        "--village-names",
        a.join("villages_6523.csv").to_str().unwrap(),
        "-o",
        project.to_str().unwrap(),
    ]));
    assert!(report.contains("encoding: GBK"), "{report}");
    assert!(report.contains("EPSG:4538"), "{report}");
    assert!(report.contains("features: 3000"), "{report}");
    assert!(
        report.contains("village by code 3000, by polygon 0, unassigned 未分配 0"),
        "{report}"
    );
    assert!(report.contains("in no parcel 0"), "{report}");
    assert!(!report.contains("invalid"), "{report}");
    // The bulk-loaded spatial indexes hold every feature and pass SQLite's checks.
    let file = fangcha::store::ProjectFile::open_read_only(&project).unwrap();
    assert_eq!(file.integrity_check().unwrap(), "ok");
    drop(file);
    let conn = rusqlite::Connection::open(&project).unwrap();
    for table in ["parcels", "buildings"] {
        let rtree = format!("rtree_{table}_geom");
        let check: String = conn
            .query_row(&format!("SELECT rtreecheck('{rtree}')"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "{rtree}");
        let count: i64 = conn
            .query_row(&format!("SELECT count(*) FROM \"{rtree}\""), [], |r| {
                r.get(0)
            })
            .unwrap();
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, rows, "{rtree}");
    }
    drop(conn);
    common::assert_valid_gpkg(&project);
    let check = ok(&fangcha(["check", project.to_str().unwrap()]));
    assert!(check.contains("0 rule violations"), "{check}");
    let stats = ok(&fangcha([
        "stats",
        project.to_str().unwrap(),
        "--level",
        "total",
        "--format",
        "csv",
    ]));
    assert!(stats.contains(",3000,"), "{stats}");
}

#[test]
fn bench_prints_its_table_on_a_small_prefecture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("bench");
    let args = [
        "bench",
        "--parcels",
        "2000",
        "--dir",
        data.to_str().unwrap(),
        "--no-ogr2ogr",
    ];
    let out = ok(&fangcha(args));
    let mut rows = vec![
        "generate (GBK Shapefiles)",
        "import parcels + houses",
        "2000 + ",
        "pick under cursor",
        "full statistics",
        "edit in memory",
        "counters equal a recount",
        "edit saved",
        "peak memory",
    ];
    if cfg!(feature = "gui") {
        rows.extend([
            "open to first frame",
            "frame preparation, full extent",
            "frame preparation, street zoom",
        ]);
    } else {
        rows.push("not measured: built without the gui feature");
    }
    for row in rows {
        assert!(out.contains(row), "no “{row}” in:\n{out}");
    }
    assert!(!out.contains("DIFFER"), "{out}");
    // A second run reuses the generated files.
    let again = ok(&fangcha(args));
    assert!(again.contains("reused"), "{again}");
}

#[test]
fn generating_nothing_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = fangcha([
        "generate",
        "--parcels",
        "0",
        "-o",
        dir.path().join("g").to_str().unwrap(),
    ]);
    let err = common::fails(&o);
    assert!(err.contains("--parcels must be at least 1"), "{err}");
    assert!(!dir.path().join("g").exists());
}
