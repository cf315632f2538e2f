//! Criterion benches of the hot paths on a real generated project (`fangcha generate` +
//! import, 20,000 parcels + about as many houses, built once in a temporary folder):
//! R-tree build and query, pick, full statistics, incremental edit, tessellation, frame
//! preparation and GeoPackage writes. `cargo bench` runs them; `fangcha bench` gives the
//! end-to-end figures at any size.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fangcha::app::generate::generate;
use fangcha::app::import::{ImportRequest, run_import};
use fangcha::app::project::Project;
use fangcha::domain::admin::AdminLevel;
use fangcha::domain::codes::{Coded, SurveyStatus};
use fangcha::domain::edit::Target;
use fangcha::domain::fields::{Field, Value};
use fangcha::domain::stats::{recompute, rollup};
use fangcha::domain::survey::RuleCheck;
use fangcha::spatial::geometry::Bbox;
use fangcha::spatial::index::FeatureIndex;
use fangcha::store::{SourceAttrs, write_new};

const PARCELS: usize = 20_000;

struct Fixture {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    project: Project,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    generate(&data, PARCELS, 7, |_, _| true).expect("generate");
    let out = data.join("bench.gpkg");
    run_import(
        &ImportRequest {
            parcels: data.join("parcels.shp"),
            buildings: Some(data.join("buildings.shp")),
            villages: None,
            village_names: vec![data.join("villages_6523.csv")],
            overlays: Vec::new(),
            overrides: Vec::new(),
            encoding: None,
            crs: None,
            output: out.clone(),
            overwrite: true,
        },
        &mut |_, _| true,
    )
    .expect("import");
    let project = Project::open(&out, "bench").expect("open");
    Fixture {
        _dir: dir,
        dir: data,
        project,
    }
}

/// Points inside parcel boxes, spread over the layer.
fn points(project: &Project, n: usize) -> Vec<[f64; 2]> {
    let geoms = &project.data().parcel_geoms;
    (0..n)
        .map(|k| {
            let b = geoms.bbox(((k * 7919) % geoms.len()) as u32);
            [(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0]
        })
        .collect()
}

fn spatial(c: &mut Criterion, f: &Fixture) {
    let d = f.project.data();
    c.bench_function("rtree build (20k parcels, bulk load)", |b| {
        b.iter(|| black_box(FeatureIndex::build(&d.parcel_geoms)))
    });
    let pts = points(&f.project, 1024);
    let mut k = 0;
    c.bench_function("viewport query (street, 400 x 250 m)", |b| {
        b.iter(|| {
            let [x, y] = pts[k % pts.len()];
            k += 1;
            let q = Bbox {
                min_x: x - 0.0025,
                min_y: y - 0.0011,
                max_x: x + 0.0025,
                max_y: y + 0.0011,
            };
            black_box(f.project.parcel_index().query_box(&q))
        })
    });
    let mut k = 0;
    c.bench_function("pick (houses + parcels under a point)", |b| {
        b.iter(|| {
            let [x, y] = pts[k % pts.len()];
            k += 1;
            black_box(
                f.project
                    .building_index()
                    .pick(&d.building_geoms, x, y)
                    .len()
                    + f.project.parcel_index().pick(&d.parcel_geoms, x, y).len(),
            )
        })
    });
}

fn statistics(c: &mut Criterion, f: &Fixture) {
    let s = &f.project.data().survey;
    c.bench_function("full statistics (recount + village rows)", |b| {
        b.iter(|| {
            let counts = recompute(s.villages.len(), &s.parcels, &s.buildings);
            black_box(rollup(&s.villages, &counts, AdminLevel::Village))
        })
    });
    let mut survey = s.clone();
    let open: Vec<u32> = survey
        .parcels
        .iter()
        .enumerate()
        .filter(|(_, p)| p.survey_status != SurveyStatus::Surveyed)
        .map(|(i, _)| i as u32)
        .collect();
    let mut k = 0;
    c.bench_function("edit in memory (rules + incremental counters)", |b| {
        b.iter(|| {
            let i = open[k % open.len()];
            k += 1;
            let next = if survey.parcels[i as usize].survey_status == SurveyStatus::InProgress {
                SurveyStatus::NotSurveyed
            } else {
                SurveyStatus::InProgress
            };
            let values = [(Field::SurveyStatus, Value::Text(next.code().into()))];
            let edit = survey
                .prepare(Target::Parcel(i), &values, RuleCheck::Enforce)
                .expect("prepare");
            survey.apply(&edit).expect("apply");
        })
    });
}

fn geopackage(c: &mut Criterion, f: &mut Fixture) {
    let d = f.project.data();
    let out = f.dir.join("write.gpkg");
    let mut group = c.benchmark_group("geopackage");
    group.sample_size(10);
    group.bench_function("write a new project (20k + 20k features)", |b| {
        b.iter(|| write_new(&out, d, &SourceAttrs::default(), &[], true).expect("write"))
    });
    group.finish();
    let open: Vec<u32> = d
        .survey
        .parcels
        .iter()
        .enumerate()
        .filter(|(_, p)| p.survey_status != SurveyStatus::Surveyed)
        .map(|(i, _)| i as u32)
        .collect();
    let mut k = 0;
    c.bench_function(
        "edit saved (transaction + edit_log, synchronous=FULL)",
        |b| {
            b.iter(|| {
                let i = open[k % open.len()];
                k += 1;
                let current = f.project.data().survey.parcels[i as usize].survey_status;
                let next = if current == SurveyStatus::InProgress {
                    SurveyStatus::NotSurveyed
                } else {
                    SurveyStatus::InProgress
                };
                f.project
                    .edit(
                        Target::Parcel(i),
                        &[(Field::SurveyStatus, Value::Text(next.code().into()))],
                    )
                    .expect("edit")
            })
        },
    );
}

#[cfg(feature = "gui")]
fn map(c: &mut Criterion, f: Fixture) {
    use fangcha::app::session::Session;
    use fangcha::ui::map::{MapState, tessellate};
    use fangcha::ui::map_layers::prepare_layers;

    let d = f.project.data();
    let mut k = 0u32;
    c.bench_function("tessellate one parcel (earcutr)", |b| {
        b.iter(|| {
            k = (k + 1) % d.parcel_geoms.len() as u32;
            black_box(tessellate(&d.parcel_geoms, k))
        })
    });
    let session = Session::new(f.project);
    let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1500.0, 900.0));
    let mut state = MapState::new();
    state
        .view
        .fit(&session.project.data().parcel_geoms.extent(), rect);
    c.bench_function("frame preparation, full extent (uncached)", |b| {
        b.iter(|| {
            state.layer_cache = None;
            black_box(prepare_layers(&session, &mut state, rect))
        })
    });
}

fn all(c: &mut Criterion) {
    let mut f = fixture();
    spatial(c, &f);
    statistics(c, &f);
    geopackage(c, &mut f);
    #[cfg(feature = "gui")]
    map(c, f);
}

criterion_group!(benches, all);
criterion_main!(benches);
