//! `fangcha bench`: generates (or reuses) a prefecture, then measures the work of DESIGN §6 on
//! it with the same library calls the app and CLI make, and prints one table. When `ogr2ogr`
//! is installed, GDAL's import of the same files is timed in the same run for the ratio.
//!
//! Wall-clock times from `Instant`; peak memory from the kernel (`VmHWM` in
//! `/proc/self/status`, reset between phases through `/proc/self/clear_refs`), Linux only.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::BenchArgs;
use crate::app::generate::generate;
use crate::app::import::{ImportRequest, run_import};
use crate::app::project::Project;
use crate::domain::admin::AdminLevel;
use crate::domain::codes::{Coded, SurveyStatus};
use crate::domain::edit::Target;
use crate::domain::fields::{Field, Value};
use crate::domain::stats::rollup;
use crate::domain::survey::RuleCheck;
use crate::spatial::geometry::Bbox;

/// One line of the table.
struct Row {
    work: String,
    value: String,
    target: String,
    /// `None`: no target to meet.
    met: Option<bool>,
}

fn row(work: impl Into<String>, value: impl Into<String>) -> Row {
    Row {
        work: work.into(),
        value: value.into(),
        target: String::new(),
        met: None,
    }
}

fn checked(work: impl Into<String>, value: impl Into<String>, target: &str, met: bool) -> Row {
    Row {
        work: work.into(),
        value: value.into(),
        target: target.to_string(),
        met: Some(met),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The `q`-quantile (0..=1) of `samples` (sorted here), in ms.
fn quantile_ms(samples: &mut [Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let k = ((samples.len() - 1) as f64 * q).round() as usize;
    ms(samples[k.min(samples.len() - 1)])
}

/// Peak resident memory of this process since the last [`reset_peak_rss`], in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Prints a progress line to stderr with the current resident memory.
fn stage(what: &str) {
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or_else(String::new, |kib| {
            format!(" (resident {:.0} MiB)", kib / 1024.0)
        });
    eprintln!("{what}{rss}");
}

/// Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mib(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |m| format!("{m:.0} MiB"))
}

/// Generates the data into `dir` unless a previous run left the same parcels and seed there.
fn ensure_data(dir: &Path, parcels: usize, seed: u64, rows: &mut Vec<Row>) -> Result<()> {
    let stamp = dir.join("generated.txt");
    let wanted = format!("parcels={parcels} seed={seed}\n");
    let complete = ["parcels.shp", "buildings.shp", "villages_6523.csv"]
        .iter()
        .all(|f| dir.join(f).is_file());
    if complete && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        rows.push(row("data", format!("reused {}", dir.display())));
        return Ok(());
    }
    stage(&format!(
        "generating {parcels} parcels into {} …",
        dir.display()
    ));
    let started = Instant::now();
    let out = generate(dir, parcels, seed, |_, _| true)?;
    rows.push(row(
        "generate (GBK Shapefiles)",
        format!(
            "{} parcels, {} houses, {} villages in {}",
            out.parcel_count,
            out.building_count,
            out.village_count,
            secs(started.elapsed())
        ),
    ));
    std::fs::write(&stamp, wanted).with_context(|| format!("cannot write {}", stamp.display()))?;
    Ok(())
}

/// Times GDAL's import of the same two layers into one GeoPackage, or `None` without ogr2ogr.
fn time_ogr2ogr(dir: &Path) -> Result<Option<Duration>> {
    if Process::new("ogr2ogr").arg("--version").output().is_err() {
        return Ok(None);
    }
    let out = dir.join("ogr2ogr.gpkg");
    let _ = std::fs::remove_file(&out);
    let started = Instant::now();
    for (layer, update) in [("parcels", false), ("buildings", true)] {
        let mut cmd = Process::new("ogr2ogr");
        if update {
            cmd.arg("-update");
        }
        let status = cmd
            .args(["-f", "GPKG"])
            .arg(&out)
            .arg(dir.join(format!("{layer}.shp")))
            .args(["-nln", layer])
            .output()
            .context("cannot run ogr2ogr")?;
        if !status.status.success() {
            bail!(
                "ogr2ogr failed on {layer}: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            );
        }
    }
    let took = started.elapsed();
    let _ = std::fs::remove_file(&out);
    Ok(Some(took))
}

/// Random points on features: a random parcel's box, a random point in it.
fn random_points(project: &Project, n: usize, rng: &mut Pcg64Mcg) -> Vec<[f64; 2]> {
    let geoms = &project.data().parcel_geoms;
    if geoms.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|_| {
            let b = geoms.bbox(rng.random_range(0..geoms.len()) as u32);
            [
                rng.random_range(b.min_x..=b.max_x),
                rng.random_range(b.min_y..=b.max_y),
            ]
        })
        .collect()
}

/// Runs the benchmark and prints the table.
pub fn bench(a: BenchArgs) -> Result<u8> {
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("fangcha-bench-{}", a.parcels)));
    let mut rows: Vec<Row> = Vec::new();
    ensure_data(&dir, a.parcels, a.seed, &mut rows)?;

    // --- import
    let project_path = dir.join("bench.gpkg");
    stage("importing …");
    reset_peak_rss();
    let req = ImportRequest {
        parcels: dir.join("parcels.shp"),
        buildings: Some(dir.join("buildings.shp")),
        villages: None,
        village_names: vec![dir.join("villages_6523.csv")],
        overlays: Vec::new(),
        overrides: Vec::new(),
        encoding: None,
        crs: None,
        output: project_path.clone(),
        overwrite: true,
    };
    let started = Instant::now();
    let report = run_import(&req, &mut |_, _| true)?;
    let import_time = started.elapsed();
    let import_rss = peak_rss_mib();
    rows.push(row(
        "import parcels + houses (Shapefile → GeoPackage)",
        format!(
            "{} + {} features in {}",
            report.parcels,
            report.buildings,
            secs(import_time)
        ),
    ));
    rows.push(row("  peak memory of the import", mib(import_rss)));
    if a.no_ogr2ogr {
        rows.push(row(
            "ogr2ogr -f GPKG of the same files",
            "skipped (--no-ogr2ogr)",
        ));
    } else {
        stage("timing ogr2ogr …");
        match time_ogr2ogr(&dir)? {
            Some(ogr) => {
                let ratio = import_time.as_secs_f64() / ogr.as_secs_f64();
                rows.push(row("ogr2ogr -f GPKG of the same files", secs(ogr)));
                rows.push(checked(
                    "  import time ÷ ogr2ogr time",
                    format!("{ratio:.2}×"),
                    "≤ 1.0× (aim 0.5×)",
                    ratio <= 1.0,
                ));
            }
            None => rows.push(row(
                "ogr2ogr -f GPKG of the same files",
                "ogr2ogr not installed",
            )),
        }
    }

    // --- open
    stage("opening …");
    reset_peak_rss();
    let started = Instant::now();
    let project = Project::open(&project_path, "bench")
        .with_context(|| format!("cannot open {}", project_path.display()))?;
    let open_time = started.elapsed();
    rows.push(row(
        "open project (load records + geometry, build R-trees)",
        secs(open_time),
    ));
    #[cfg(feature = "gui")]
    let mut project = {
        let (project, first_frame) = frames::first_frame(project);
        rows.push(checked(
            "open to first frame (open + full-extent frame preparation)",
            secs(open_time + first_frame),
            "< 3 s",
            (open_time + first_frame).as_secs_f64() < 3.0,
        ));
        project
    };
    #[cfg(not(feature = "gui"))]
    let mut project = project;
    #[cfg(not(feature = "gui"))]
    rows.push(checked(
        "open (no frame: built without the gui feature)",
        secs(open_time),
        "< 3 s",
        open_time.as_secs_f64() < 3.0,
    ));

    stage("picking …");
    // --- pick and viewport queries
    let mut rng = Pcg64Mcg::seed_from_u64(a.seed);
    let points = random_points(&project, 10_000, &mut rng);
    let mut picks: Vec<Duration> = Vec::with_capacity(points.len());
    let mut hits = 0usize;
    for &[x, y] in &points {
        let t = Instant::now();
        let d = project.data();
        let found = project.building_index().pick(&d.building_geoms, x, y).len()
            + project.parcel_index().pick(&d.parcel_geoms, x, y).len();
        picks.push(t.elapsed());
        hits += usize::from(found > 0);
    }
    let p50 = quantile_ms(&mut picks, 0.5);
    let p99 = quantile_ms(&mut picks, 0.99);
    rows.push(checked(
        format!(
            "pick under cursor, houses + parcels ({} points, {hits} on a feature)",
            points.len()
        ),
        format!("p50 {p50:.3} ms, p99 {p99:.3} ms"),
        "p99 < 1 ms",
        p99 < 1.0,
    ));
    let mut queries: Vec<Duration> = Vec::new();
    let mut found = 0usize;
    for &[x, y] in points.iter().take(1000) {
        // a street view: about 400 m × 250 m
        let q = Bbox {
            min_x: x - 0.0025,
            min_y: y - 0.0011,
            max_x: x + 0.0025,
            max_y: y + 0.0011,
        };
        let t = Instant::now();
        found += project.parcel_index().query_box(&q).len()
            + project.building_index().query_box(&q).len();
        queries.push(t.elapsed());
    }
    rows.push(row(
        format!(
            "viewport query at street zoom (1,000 views, {:.0} features each)",
            found as f64 / queries.len().max(1) as f64
        ),
        format!(
            "p50 {:.3} ms, p99 {:.3} ms",
            quantile_ms(&mut queries, 0.5),
            quantile_ms(&mut queries, 0.99)
        ),
    ));

    stage("statistics …");
    // --- statistics
    let survey = &project.data().survey;
    let mut full: Vec<Duration> = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let counts = survey.recomputed_counts();
        let rows_v = rollup(&survey.villages, &counts, AdminLevel::Village);
        let rows_t = rollup(&survey.villages, &counts, AdminLevel::Township);
        let rows_c = rollup(&survey.villages, &counts, AdminLevel::County);
        std::hint::black_box((rows_v, rows_t, rows_c));
        full.push(t.elapsed());
    }
    let full_p50 = quantile_ms(&mut full, 0.5);
    rows.push(checked(
        "full statistics (recount every record, village/township/county rows)",
        format!("{full_p50:.1} ms (median of 10)"),
        "< 100 ms",
        full_p50 < 100.0,
    ));

    // --- edits saved (SQLite, fsync); the in-memory path is timed at the end
    // Parcels not yet surveyed, toggled between 未排查 and 排查中 (always allowed by the rules).
    let open_parcels: Vec<u32> = survey
        .parcels
        .iter()
        .enumerate()
        .filter(|(_, p)| p.survey_status != SurveyStatus::Surveyed)
        .map(|(i, _)| i as u32)
        .collect();
    let toggled = |current: SurveyStatus| {
        let next = if current == SurveyStatus::InProgress {
            SurveyStatus::NotSurveyed
        } else {
            SurveyStatus::InProgress
        };
        [(Field::SurveyStatus, Value::Text(next.code().into()))]
    };
    let mut saved: Vec<Duration> = Vec::new();
    for _ in 0..if open_parcels.is_empty() { 0 } else { 200 } {
        let i = open_parcels[rng.random_range(0..open_parcels.len())];
        let values = toggled(project.data().survey.parcels[i as usize].survey_status);
        let t = Instant::now();
        project.edit(Target::Parcel(i), &values)?;
        saved.push(t.elapsed());
    }
    rows.push(row(
        format!(
            "edit saved (one SQLite transaction with edit_log, synchronous=FULL; {} edits)",
            saved.len()
        ),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms",
            quantile_ms(&mut saved, 0.5),
            quantile_ms(&mut saved, 0.99)
        ),
    ));

    // --- frames
    stage("frames …");
    #[cfg(feature = "gui")]
    let project = frames::frame_rows(project, &points, &mut rows);
    #[cfg(not(feature = "gui"))]
    rows.push(row(
        "frame preparation",
        "not measured: built without the gui feature",
    ));

    // --- edits in memory, on the project's own records (taken out of it: no copy)
    stage("edits in memory …");
    let mut survey_copy = project.into_data().survey;
    let mut per_edit: Vec<Duration> = Vec::new();
    for _ in 0..if open_parcels.is_empty() { 0 } else { 10_000 } {
        let i = open_parcels[rng.random_range(0..open_parcels.len())];
        let values = toggled(survey_copy.parcels[i as usize].survey_status);
        let t = Instant::now();
        let edit = survey_copy.prepare(Target::Parcel(i), &values, RuleCheck::Enforce)?;
        survey_copy.apply(&edit)?;
        let village = rollup(
            &survey_copy.villages,
            survey_copy.counts(),
            AdminLevel::Village,
        );
        std::hint::black_box(village);
        per_edit.push(t.elapsed());
    }
    let incremental_check = survey_copy.recomputed_counts() == *survey_copy.counts();
    let edit_p50 = quantile_ms(&mut per_edit, 0.5);
    let edit_p99 = quantile_ms(&mut per_edit, 0.99);
    rows.push(checked(
        format!(
            "edit in memory: rules + incremental counters + village rows ({} edits; counters {} a recount)",
            per_edit.len(),
            if incremental_check { "equal" } else { "DIFFER from" }
        ),
        format!("p50 {edit_p50:.3} ms, p99 {edit_p99:.3} ms"),
        "< 1 ms",
        edit_p99 < 1.0 && incremental_check,
    ));
    stage("done");
    let open_rss = peak_rss_mib();
    rows.push(checked(
        "peak memory: import / open + queries + frames",
        format!("{} / {}", mib(import_rss), mib(open_rss)),
        "< 2 GB",
        import_rss.unwrap_or(0.0) < 2048.0 && open_rss.unwrap_or(0.0) < 2048.0,
    ));

    print_table(a.parcels, &rows);
    Ok(0)
}

fn print_table(parcels: usize, rows: &[Row]) {
    let threads = rayon::current_num_threads();
    outln!(
        "fangcha bench — {parcels} parcels, release build: {}, {threads} worker threads",
        !cfg!(debug_assertions)
    );
    let w0 = rows
        .iter()
        .map(|r| unicode_width::UnicodeWidthStr::width(r.work.as_str()))
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .map(|r| unicode_width::UnicodeWidthStr::width(r.value.as_str()))
        .max()
        .unwrap_or(0);
    let pad = |s: &str, w: usize| {
        let n = w.saturating_sub(unicode_width::UnicodeWidthStr::width(s));
        format!("{s}{}", " ".repeat(n))
    };
    for r in rows {
        let verdict = match r.met {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        let line = format!(
            "{} | {} | {} {}",
            pad(&r.work, w0),
            pad(&r.value, w1),
            r.target,
            verdict
        );
        outln!("{}", line.trim_end());
    }
}

/// Frame preparation, headless: the map's own `prepare_layers` on a 1500 × 900 pt map.
#[cfg(feature = "gui")]
mod frames {
    use super::*;
    use crate::app::session::Session;
    use crate::ui::map::MapState;
    use crate::ui::map_layers::prepare_layers;
    use egui::{Pos2, Rect, Vec2};

    fn map_rect() -> Rect {
        Rect::from_min_size(Pos2::ZERO, Vec2::new(1500.0, 900.0))
    }

    /// The first full-extent frame after opening; returns the project back.
    pub fn first_frame(project: Project) -> (Project, Duration) {
        let session = Session::new(project);
        let mut map = MapState::new();
        let t = Instant::now();
        map.view
            .fit(&session.project.data().parcel_geoms.extent(), map_rect());
        let frame = prepare_layers(&session, &mut map, map_rect());
        std::hint::black_box(&frame);
        (session.project, t.elapsed())
    }

    /// Times frame preparation at full extent and street zoom; returns the project back.
    pub fn frame_rows(project: Project, points: &[[f64; 2]], rows: &mut Vec<Row>) -> Project {
        let session = Session::new(project);
        let rect = map_rect();
        let mut map = MapState::new();
        map.view
            .fit(&session.project.data().parcel_geoms.extent(), rect);
        // The first frame builds the level-of-detail caches (compact boxes, theme classes).
        let t = Instant::now();
        std::hint::black_box(prepare_layers(&session, &mut map, rect));
        rows.push(row(
            "first full-extent frame (builds the level-of-detail caches)",
            format!("{:.1} ms", ms(t.elapsed())),
        ));
        // Full extent, panned a little every frame so that nothing comes from the cache.
        let mut full: Vec<Duration> = Vec::new();
        let mut last = (0, 0, 0);
        for k in 0..20 {
            let c = map
                .view
                .world_from_screen(rect, rect.center() + Vec2::new(3.0, 0.0));
            map.view.center = if k % 2 == 0 { c } else { map.view.center };
            let t = Instant::now();
            let frame = prepare_layers(&session, &mut map, rect);
            full.push(t.elapsed());
            last = (frame.dots.0, frame.drawn.0, frame.drawn.1);
            map.layer_cache = None;
        }
        let p50 = quantile_ms(&mut full, 0.5);
        let max = quantile_ms(&mut full, 1.0);
        rows.push(checked(
            format!(
                "frame preparation, full extent ({} parcels as dots, {} parcels + {} houses as polygons)",
                last.0, last.1, last.2
            ),
            format!("p50 {p50:.1} ms, max {max:.1} ms"),
            "< 33 ms",
            max < 33.0,
        ));
        // Unchanged view: the prepared layers are reused.
        std::hint::black_box(prepare_layers(&session, &mut map, rect));
        let t = Instant::now();
        let frame = prepare_layers(&session, &mut map, rect);
        let cached = t.elapsed();
        rows.push(row(
            "frame preparation, unchanged view (reused)",
            format!("{:.3} ms (fresh: {})", ms(cached), frame.fresh),
        ));
        // Street zoom (≈0.3 m per point: 450 m across) at random places, first visit
        // (triangulation included) and again (cached triangulations).
        let mut first: Vec<Duration> = Vec::new();
        let mut again: Vec<Duration> = Vec::new();
        let mut shown = 0usize;
        for &[x, y] in points.iter().take(100) {
            map.view.center = [x, y];
            map.view.deg_per_pt = 0.3 / 111_320.0;
            map.layer_cache = None;
            let t = Instant::now();
            let frame = prepare_layers(&session, &mut map, rect);
            first.push(t.elapsed());
            shown += frame.drawn.0 + frame.drawn.1;
            map.layer_cache = None;
            let t = Instant::now();
            std::hint::black_box(prepare_layers(&session, &mut map, rect));
            again.push(t.elapsed());
        }
        let first_max = quantile_ms(&mut first, 1.0);
        let again_max = quantile_ms(&mut again, 1.0);
        rows.push(checked(
            format!(
                "frame preparation, street zoom (100 places, {:.0} features drawn each)",
                shown as f64 / first.len().max(1) as f64
            ),
            format!(
                "p50 {:.2} ms, max {first_max:.2} ms; revisited p50 {:.2} ms",
                quantile_ms(&mut first, 0.5),
                quantile_ms(&mut again, 0.5)
            ),
            "< 16 ms",
            first_max.max(again_max) < 16.0,
        ));
        session.project
    }
}
