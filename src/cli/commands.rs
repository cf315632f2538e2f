//! The subcommands' bodies. Errors carry the file concerned; `main` prints them as one line.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use super::{
    CheckArgs, Command, EditArgs, ExportArgs, GenerateArgs, ImportArgs, LogArgs, StatsArgs, table,
};
use crate::app::export::{ExportLayer, SourceColumns, export_geojson_with, select};
use crate::app::import::{ImportRequest, run_import};
use crate::app::project::Project;
use crate::domain::admin::AdminLevel;
use crate::domain::codes::Lang;
use crate::domain::edit::Target;
use crate::domain::fields::{Field, Value};
use crate::domain::filter;
use crate::domain::mapping::FieldOverride;
use crate::domain::stats::{Cell, Convention, STAT_COLUMNS, bulletin, rank_by_completion};

/// Runs a subcommand; returns the exit code (0 ok, 1 check failures).
pub fn run(cmd: Command) -> Result<u8> {
    match cmd {
        Command::Import(a) => import(a),
        Command::Stats(a) => stats(a),
        Command::Edit(a) => edit(a),
        Command::Export(a) => export(a),
        Command::Check(a) => check(a),
        Command::Log(a) => log(a),
        Command::Generate(a) => generate(a),
        Command::Bench(a) => super::bench::bench(a),
    }
}

fn default_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "fangcha".into())
}

/// Opens for editing (takes the write lock; refused while another fangcha edits the project).
fn open(path: &Path, user: &str) -> Result<Project> {
    Project::open(path, user).with_context(|| format!("cannot open project {}", path.display()))
}

/// Opens for reading (no lock: works while the app is editing the project).
fn open_ro(path: &Path) -> Result<Project> {
    Project::open_read_only(path, &default_user())
        .with_context(|| format!("cannot open project {}", path.display()))
}

fn import(a: ImportArgs) -> Result<u8> {
    let overrides = a
        .fields
        .iter()
        .map(|f| FieldOverride::parse(f))
        .collect::<Result<Vec<_>, _>>()?;
    let req = ImportRequest {
        parcels: a.parcels,
        buildings: a.buildings,
        villages: a.villages,
        village_names: a.village_names,
        overlays: a.overlay,
        overrides,
        encoding: a.encoding,
        crs: a.crs,
        output: a.output,
        overwrite: a.overwrite,
    };
    let verbose = std::env::var_os("FANGCHA_PROGRESS").is_some();
    let mut progress = |stage: &str, f: f32| {
        if verbose {
            eprintln!("[{:>3.0}%] {stage}", f * 100.0);
        }
        true
    };
    let report = run_import(&req, &mut progress)?;
    out!("{report}");
    Ok(0)
}

fn generate(a: GenerateArgs) -> Result<u8> {
    let verbose = std::env::var_os("FANGCHA_PROGRESS").is_some();
    let out = crate::app::generate::generate(&a.output, a.parcels, a.seed, |stage, f| {
        if verbose {
            eprintln!("[{:>3.0}%] {stage}", f * 100.0);
        }
        true
    })?;
    outln!(
        "parcels: {} ({})\nbuildings: {} ({})\nvillages: {}\nvillage names: {}",
        out.parcel_count,
        out.parcels.display(),
        out.building_count,
        out.buildings.display(),
        out.village_count,
        out.village_names.display()
    );
    Ok(0)
}

fn parse_convention(s: &str) -> Result<Convention> {
    match s {
        "exclusive" | "campaign" => Ok(Convention::Exclusive),
        "census" | "bulletin" => Ok(Convention::Census),
        other => bail!("--convention “{other}”: use exclusive or census"),
    }
}

fn stats(a: StatsArgs) -> Result<u8> {
    let level = AdminLevel::parse(&a.level).ok_or_else(|| {
        anyhow!(
            "--level “{}”: use village, township, county or total",
            a.level
        )
    })?;
    let conv = parse_convention(&a.convention)?;
    let project = open_ro(&a.project)?;
    let mut rows = project.stats(level, conv);
    if a.rank {
        rank_by_completion(&mut rows, conv);
    }
    if level != AdminLevel::Total && !a.bulletin {
        rows.extend(project.stats(AdminLevel::Total, conv));
    }
    let mut out = std::io::stdout().lock();
    if a.bulletin {
        for r in &rows {
            let unit = if r.level == AdminLevel::Total {
                String::new()
            } else {
                format!("{} {}", r.code, r.name)
            };
            writeln!(out, "{}", bulletin(unit.trim(), &r.counts, conv))?;
        }
        return Ok(0);
    }
    match a.format.as_str() {
        "csv" => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(STAT_COLUMNS)?;
            for r in &rows {
                w.write_record(r.cells(conv).iter().map(|c| c.to_string()))?;
            }
            w.flush()?;
        }
        "json" => {
            let arr: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let obj: serde_json::Map<String, serde_json::Value> = STAT_COLUMNS
                        .iter()
                        .zip(r.cells(conv))
                        .map(|(k, c)| {
                            let v = match c {
                                Cell::Text(t) => serde_json::Value::String(t),
                                Cell::Count(n) => serde_json::Value::from(n),
                                Cell::Rate(None) => serde_json::Value::Null,
                                Cell::Rate(Some(r)) => serde_json::Number::from_f64(r.percent())
                                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
                                Cell::Area(c) => serde_json::Number::from_f64(c as f64 / 100.0)
                                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
                            };
                            (k.to_string(), v)
                        })
                        .collect();
                    serde_json::Value::Object(obj)
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &arr)?;
            writeln!(out)?;
        }
        "table" => {
            let header = [
                "级别",
                "代码",
                "名称",
                "图斑",
                "未排查",
                "排查中",
                "已排查",
                "完成率%",
                "自建房",
                "经营性",
                "回头看",
                "回头看率%",
                "隐患经营性",
                "已整治",
                "整改率%",
                "A",
                "B",
                "C",
                "D",
                "重点",
                "面积㎡",
            ];
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    r.cells(conv)
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| match (i, c) {
                            (0, _) => r.level.label_zh().to_string(),
                            (_, Cell::Rate(None)) => "—".to_string(),
                            (_, c) => c.to_string(),
                        })
                        .collect()
                })
                .collect();
            write!(out, "{}", table::render(&header, &body))?;
        }
        other => bail!("--format “{other}”: use table, csv or json"),
    }
    Ok(0)
}

fn edit(a: EditArgs) -> Result<u8> {
    let user = a.user.clone().unwrap_or_else(default_user);
    let mut project = open(&a.project, &user)?;
    let target = match (&a.parcel, &a.building) {
        (Some(code), _) => Target::Parcel(project.parcel_by_code(code)?),
        (None, Some(code)) => Target::Building(project.building_by_code(code)?),
        (None, None) => bail!("give --parcel CODE or --building CODE"),
    };
    let mut values = Vec::new();
    for s in &a.set {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("--set “{s}” is not FIELD=VALUE"))?;
        let field = Field::parse(k)?;
        values.push((field, field.parse_value(v)?));
    }
    let applied = project
        .edit(target, &values)
        .with_context(|| format!("{}: edit refused", a.project.display()))?;
    let code = match target {
        Target::Parcel(i) => project.data().survey.parcels[i as usize].code.clone(),
        Target::Building(i) => project.data().survey.buildings[i as usize].code.clone(),
    };
    if applied.is_noop() {
        outln!("{code}: nothing changed");
    }
    for c in applied.changes.iter().filter(|c| c.old != c.new) {
        let show = |v: &Value| {
            let t = c.field.display_value(v, Lang::Zh);
            if t.is_empty() { "∅".to_string() } else { t }
        };
        outln!(
            "saved: {code} {} ({}): {} → {}",
            c.field.key(),
            c.field.label_zh(),
            show(&c.old),
            show(&c.new)
        );
    }
    Ok(0)
}

fn export(a: ExportArgs) -> Result<u8> {
    let expr = a
        .filter
        .as_deref()
        .map(filter::parse)
        .transpose()
        .context("--where")?;
    let layer = match a.layer.as_deref() {
        Some(l) => ExportLayer::parse(l)
            .ok_or_else(|| anyhow!("--layer “{l}”: use parcels or buildings"))?,
        None if expr.as_ref().is_some_and(|e| e.uses_building_fields()) => ExportLayer::Buildings,
        None => ExportLayer::Parcels,
    };
    let project = open_ro(&a.project)?;
    let picked = select(project.data(), layer, expr.as_ref());
    let source = SourceColumns {
        attrs: if a.no_source_attributes {
            Vec::new()
        } else {
            let l = match layer {
                ExportLayer::Parcels => crate::domain::fields::Layer::Parcel,
                ExportLayer::Buildings => crate::domain::fields::Layer::Building,
            };
            project.file().source_attrs(l)?
        },
        include_personal: a.include_personal_data,
    };
    let n = export_geojson_with(project.data(), layer, &picked, &a.output, &source)?;
    outln!(
        "exported {n} {} to {}",
        if layer == ExportLayer::Parcels {
            "parcels"
        } else {
            "buildings"
        },
        a.output.display()
    );
    Ok(0)
}

fn check(a: CheckArgs) -> Result<u8> {
    let project = open_ro(&a.project)?;
    let s = &project.data().survey;
    let mut n = 0usize;
    let targets = (0..s.parcels.len() as u32)
        .map(Target::Parcel)
        .chain((0..s.buildings.len() as u32).map(Target::Building));
    for t in targets {
        for v in s.violations(t) {
            if n < a.limit {
                let code = match t {
                    Target::Parcel(i) => format!("parcel {}", s.parcels[i as usize].code),
                    Target::Building(i) => format!("house {}", s.buildings[i as usize].code),
                };
                outln!("{code}: {v}");
            }
            n += 1;
        }
    }
    outln!("{n} rule violations");
    Ok(if n > 0 { 1 } else { 0 })
}

fn log(a: LogArgs) -> Result<u8> {
    let project = open_ro(&a.project)?;
    let target = match (&a.parcel, &a.building) {
        (Some(c), _) => Some(Target::Parcel(project.parcel_by_code(c)?)),
        (None, Some(c)) => Some(Target::Building(project.building_by_code(c)?)),
        _ => None,
    };
    let rows: Vec<Vec<String>> = project
        .edit_log(target, a.limit)?
        .into_iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.edited_at,
                e.user,
                e.action,
                e.layer,
                e.feature_code,
                e.field,
                e.old_value,
                e.new_value,
            ]
        })
        .collect();
    out!(
        "{}",
        table::render(
            &[
                "id",
                "time (UTC)",
                "user",
                "action",
                "layer",
                "feature",
                "field",
                "old",
                "new"
            ],
            &rows
        )
    );
    Ok(0)
}
