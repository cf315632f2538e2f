//! The CLI contract: stats formats, edits through the store, rule violations, export, log.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

fn q(project: &std::path::Path, sql: &str) -> String {
    let conn = rusqlite::Connection::open(project).expect("open");
    conn.query_row(sql, [], |r| r.get::<_, String>(0))
        .expect(sql)
}

#[test]
fn stats_csv_and_json_columns_are_the_contract() {
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = import_bubenec(dir.path());
    let csv = ok(&fangcha([
        "stats".as_ref(),
        p.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
    ] as [&std::ffi::OsStr; 4]));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "level,code,name,parcels_total,not_surveyed,in_progress,surveyed,completion_rate,buildings_total,commercial,\
             lookback_done,lookback_rate,hazardous_commercial,rectified,rectification_rate,grade_a,grade_b,grade_c,grade_d,\
             priority,floor_area_m2"
        )
    );
    let total = csv
        .lines()
        .find(|l| l.starts_with("total,"))
        .expect("total row");
    // 407 parcels, none surveyed → 0.00; no commercial house → empty rates
    assert_eq!(
        total,
        "total,,合计,407,407,0,0,0.00,144,0,0,,0,0,,0,0,0,0,0,0.00"
    );
    let json = ok(&fangcha([
        "stats".as_ref(),
        p.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--level".as_ref(),
        "total".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let row = &v.as_array().expect("array")[0];
    assert_eq!(row.as_object().expect("obj").len(), 21);
    assert_eq!(row["parcels_total"], 407);
    assert!(row["lookback_rate"].is_null());
    let bulletin = ok(&fangcha([
        "stats".as_ref(),
        p.as_os_str(),
        "--level".as_ref(),
        "total".as_ref(),
        "--bulletin".as_ref(),
    ] as [&std::ffi::OsStr; 5]));
    assert_eq!(
        bulletin.trim(),
        "图斑407个，未排查407个，排查中0个，已排查0个，排查完成率0.00%；经营性自建房0栋，回头看完成0栋，完成率—；\
         存在安全隐患的经营性自建房0栋，已整治0栋，整改完成率—。"
    );
}

#[test]
fn edits_are_saved_checked_and_logged() {
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = import_bubenec(dir.path());
    let empty_parcel = q(
        &p,
        "SELECT parcel_code FROM parcels WHERE parcel_code NOT IN (SELECT parcel_code FROM buildings WHERE parcel_code IS NOT NULL) ORDER BY fid LIMIT 1",
    );
    let house = q(
        &p,
        "SELECT building_code FROM buildings ORDER BY fid LIMIT 1",
    );
    let house_parcel = q(&p, "SELECT parcel_code FROM buildings ORDER BY fid LIMIT 1");

    // a parcel without houses can be marked surveyed; surveyor and date are filled in
    let out = ok(&fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--parcel".as_ref(),
        empty_parcel.as_ref(),
        "--set".as_ref(),
        "survey_status=已排查".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(
        out.contains("survey_status (排查状态): 未排查 → 已排查"),
        "{out}"
    );
    assert!(out.contains("surveyor (排查人): ∅ → tester"), "{out}");
    assert_eq!(
        q(
            &p,
            &format!("SELECT survey_status FROM parcels WHERE parcel_code = '{empty_parcel}'")
        ),
        "surveyed"
    );
    let csv = ok(&fangcha([
        "stats".as_ref(),
        p.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
        "--level".as_ref(),
        "total".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(csv.contains("total,,合计,407,406,0,1,0.25,"), "{csv}");

    // a parcel whose house lacks the mandatory fields cannot be surveyed: exit 2 naming the rule
    let o = fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--parcel".as_ref(),
        house_parcel.as_ref(),
        "--set".as_ref(),
        "survey_status=surveyed".as_ref(),
    ] as [&std::ffi::OsStr; 6]);
    let err = fails(&o);
    assert!(
        err.contains("surveyed_needs_house_data") || err.contains("用途"),
        "{err}"
    );

    // grade D with rectification "not needed" breaks a rule
    let o = fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--building".as_ref(),
        house.as_ref(),
        "--set".as_ref(),
        "appraisal_grade=D".as_ref(),
        "--set".as_ref(),
        "rect_status=无需整治".as_ref(),
    ] as [&std::ffi::OsStr; 8]);
    let err = fails(&o);
    assert!(err.contains("C/D级"), "{err}");
    assert_eq!(
        q(
            &p,
            &format!(
                "SELECT coalesce(appraisal_grade, '') FROM buildings WHERE building_code = '{house}'"
            )
        ),
        ""
    );

    // a valid house edit, then the log shows both edits
    ok(&fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--building".as_ref(),
        house.as_ref(),
        "--set".as_ref(),
        "use_class=commercial".as_ref(),
        "--set".as_ref(),
        "appraisal_grade=C".as_ref(),
        "--user".as_ref(),
        "王五".as_ref(),
    ] as [&std::ffi::OsStr; 10]));
    let log = ok(&fangcha(
        ["log".as_ref(), p.as_os_str()] as [&std::ffi::OsStr; 2]
    ));
    assert!(
        log.contains("王五") && log.contains("appraisal_grade") && log.contains("tester"),
        "{log}"
    );
    assert_eq!(q(&p, "SELECT count(*) || '' FROM edit_log"), "5");
    assert_valid_gpkg(&p);
    let check = fangcha(["check".as_ref(), p.as_os_str()] as [&std::ffi::OsStr; 2]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));

    // invalid values and unknown fields are errors
    fails(&fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--building".as_ref(),
        house.as_ref(),
        "--set".as_ref(),
        "floors_above=0".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    fails(&fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--building".as_ref(),
        house.as_ref(),
        "--set".as_ref(),
        "colour=red".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    fails(&fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--parcel".as_ref(),
        "NOPE".as_ref(),
        "--set".as_ref(),
        "survey_status=1".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
}

#[test]
fn export_filters_and_writes_rfc7946() {
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = import_bubenec(dir.path());
    let houses: Vec<String> = {
        let conn = rusqlite::Connection::open(&p).expect("open");
        let mut st = conn
            .prepare("SELECT building_code FROM buildings ORDER BY fid LIMIT 3")
            .expect("prep");
        st.query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    for (h, grade) in houses.iter().zip(["C", "D", "A"]) {
        ok(&fangcha([
            "edit".as_ref(),
            p.as_os_str(),
            "--building".as_ref(),
            h.as_ref(),
            "--set".as_ref(),
            format!("appraisal_grade={grade}").as_ref(),
        ] as [&std::ffi::OsStr; 6]));
    }
    let out = dir.path().join("cd.geojson");
    let text = ok(&fangcha([
        "export".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--where".as_ref(),
        "appraisal_grade in (C, D)".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(text.contains("exported 2 buildings"), "{text}");
    let raw = std::fs::read_to_string(&out).expect("read");
    let gj: geojson::GeoJson = raw.parse().expect("geojson");
    let fc = geojson::FeatureCollection::try_from(gj).expect("fc");
    assert_eq!(fc.features.len(), 2);
    for f in &fc.features {
        let props = f.properties.as_ref().expect("props");
        assert!(matches!(props["appraisal_grade"].as_str(), Some("C" | "D")));
        assert_eq!(props["hazardous"], serde_json::Value::Bool(true));
        let mp: geo_types::MultiPolygon<f64> = (&f.geometry.as_ref().expect("geom").value)
            .try_into()
            .expect("mp");
        use geo::Winding;
        assert!(mp.0[0].exterior().is_ccw(), "right-hand rule");
        let c = mp.0[0].exterior().0[0];
        assert!(
            (14.0..15.0).contains(&c.x) && (50.0..50.2).contains(&c.y),
            "lon/lat {c:?}"
        );
    }
    // no coordinate with more than 7 decimals
    assert!(!regex_like_long_decimals(&raw), "≤ 7 decimals");
    // a bad filter is a clear error and writes nothing
    let bad = dir.path().join("bad.geojson");
    let err = fails(&fangcha([
        "export".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        bad.as_os_str(),
        "--where".as_ref(),
        "appraisal_grade in (E".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(err.contains("--where"), "{err}");
    assert!(!bad.exists());
    // all parcels
    let all = dir.path().join("all.geojson");
    let text = ok(&fangcha([
        "export".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        all.as_os_str(),
        "--layer".as_ref(),
        "parcels".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(text.contains("exported 407 parcels"), "{text}");
}

fn regex_like_long_decimals(text: &str) -> bool {
    // any run of 8+ digits right after a '.' inside the coordinates array
    let coords = text.split("\"coordinates\":").skip(1);
    for c in coords {
        let c = c.split('}').next().unwrap_or("");
        for num in c.split(|ch: char| !(ch.is_ascii_digit() || ch == '.' || ch == '-')) {
            if let Some((_, frac)) = num.split_once('.')
                && frac.len() > 7
            {
                return true;
            }
        }
    }
    false
}

#[test]
fn personal_data_is_masked_in_exports_unless_asked() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("owners.geojson");
    std::fs::write(
        &src,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"TBBH":"T1","户主":"马建国","户主身份证号":"11010519491231002X","联系电话":"13812345678","备注":"见证件"},"geometry":{"type":"Polygon","coordinates":[[[105.0,36.0],[105.001,36.0],[105.001,36.001],[105.0,36.001],[105.0,36.0]]]}}]}"#,
    )
    .expect("write");
    let p = dir.path().join("o.gpkg");
    ok(&fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        src.as_os_str(),
        "-o".as_ref(),
        p.as_os_str(),
    ] as [&std::ffi::OsStr; 5]));
    let out = dir.path().join("masked.geojson");
    ok(&fangcha([
        "export".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 4]));
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(
        text.contains("110105********002X") && text.contains("138****5678"),
        "{text}"
    );
    assert!(
        !text.contains("13812345678") && !text.contains("11010519491231002X"),
        "{text}"
    );
    assert!(
        text.contains("马建国") && text.contains("\"src:TBBH\":\"T1\""),
        "{text}"
    );
    let raw = dir.path().join("raw.geojson");
    ok(&fangcha([
        "export".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        raw.as_os_str(),
        "--include-personal-data".as_ref(),
    ] as [&std::ffi::OsStr; 5]));
    let text = std::fs::read_to_string(&raw).expect("read");
    assert!(
        text.contains("11010519491231002X") && text.contains("13812345678"),
        "{text}"
    );
}

#[test]
fn failed_exports_leave_nothing_behind() {
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = import_bubenec(dir.path());
    // the output folder does not exist
    let err = fails(&fangcha([
        "export".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        "/nonexistent-dir/x.geojson".as_ref(),
    ] as [&std::ffi::OsStr; 4]));
    assert!(err.contains("/nonexistent-dir"), "{err}");
    // the target is a directory: the temporary file must not stay behind
    let target = dir.path().join("taken.geojson");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("keep"), b"x").expect("write");
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("e").file_name())
        .collect();
    fails(&fangcha([
        "export".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        target.as_os_str(),
    ] as [&std::ffi::OsStr; 4]));
    let after: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("e").file_name())
        .collect();
    assert_eq!(
        before.len(),
        after.len(),
        "no temporary file left: {after:?}"
    );
}
