//! `fangcha generate`: a deterministic, realistic prefecture for the scale benches and demo.
//!
//! **Real:** the 926 villages (村/社区) of 昌吉回族自治州 (6523) with their townships and counties
//! (NBS 统计用区划代码 2023, `sample-data/changji/villages_6523.csv`, embedded in the binary).
//! **Generated:** everything else — where villages lie, every parcel (图斑) and house (自建房)
//! footprint and every survey attribute. Nothing generated describes a real house.
//!
//! Layout: counties side by side from west to east, each a grid of townships, each a grid of
//! village cells; a village is a rotated block of lots in rows with a lane every third row,
//! 30 % of lots L-shaped (concave). Houses stand inside their lot (0, 1 or 2 per lot, one on
//! average), a quarter of them L-shaped. Coordinates are CGCS2000 3-degree Gauss-Krüger with
//! central meridian 87°E (EPSG:4538, metres, no zone prefix), around 43.8°N.
//!
//! Output: `parcels.shp` and `buildings.shp` with `.shx`, `.prj` (ESRI WKT) and a `.dbf` in GBK
//! (language driver 0x4D, Chinese field names, no `.cpg`) — what a county office sends — and
//! `villages_6523.csv`, the code list for `--village-names`. The survey state is a
//! mid-campaign one that breaks none of the state rules (`fangcha check` finds nothing).
//!
//! The same `parcels` and `seed` give byte-identical files: every village draws from its own
//! generator seeded from (`seed`, village index), and the two layers are written in two passes
//! over the villages, so nothing is held in memory but one village.

use std::path::{Path, PathBuf};

use geo_types::Coord;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::io::shp_out::{
    DbfColumn, DbfType, DbfValue, PolygonFeature, WriteError, write_polygon_layer,
};

/// The real village list of 昌吉回族自治州: village_code, village_name, township_code,
/// township_name, county_code, county_name.
pub const CHANGJI_VILLAGES_CSV: &str = include_str!("../../sample-data/changji/villages_6523.csv");

/// The `.prj` of the generated layers: CGCS2000 / 3-degree Gauss-Kruger CM 87E (EPSG:4538)
/// in ESRI WKT, as `gdalsrsinfo -o wkt_esri EPSG:4538` prints it.
pub const PRJ_CGCS2000_GK_CM_87E: &str = "PROJCS[\"CGCS2000_3_Degree_GK_CM_87E\",GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\",DATUM[\"D_China_2000\",SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Gauss_Kruger\"],PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",87.0],PARAMETER[\"Scale_Factor\",1.0],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]";

/// Errors of [`generate`].
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Writing a layer failed (names the file).
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Creating the output folder or the code list failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The embedded village list could not be read (a build defect).
    #[error("the embedded village list is unreadable: {0}")]
    Villages(String),
    /// Stopped by the caller's progress callback.
    #[error("cancelled")]
    Cancelled,
    /// Nothing to generate.
    #[error("--parcels must be at least 1")]
    NoParcels,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// `DIR/parcels.shp`.
    pub parcels: PathBuf,
    /// `DIR/buildings.shp`.
    pub buildings: PathBuf,
    /// `DIR/villages_6523.csv`.
    pub village_names: PathBuf,
    pub parcel_count: usize,
    pub building_count: usize,
    /// Villages holding at least one parcel.
    pub village_count: usize,
}

/// One village of the code list.
#[derive(Debug, Clone)]
struct VillageRow {
    code: String,
    township: String,
    county: String,
}

fn village_rows() -> Result<Vec<VillageRow>, GenerateError> {
    let mut reader = csv::Reader::from_reader(CHANGJI_VILLAGES_CSV.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| GenerateError::Villages(e.to_string()))?;
        let field = |i: usize| r.get(i).unwrap_or_default().to_string();
        rows.push(VillageRow {
            code: field(0),
            township: field(2),
            county: field(4),
        });
    }
    if rows.is_empty() {
        return Err(GenerateError::Villages("no rows".into()));
    }
    Ok(rows)
}

/// Lot pitch along a row and between rows, in metres.
const LOT_PITCH_X_M: f64 = 34.0;
const LOT_PITCH_Y_M: f64 = 36.0;
/// Gap between townships and between counties, in metres.
const TOWNSHIP_GAP_M: f64 = 2_000.0;
const COUNTY_GAP_M: f64 = 6_000.0;
/// South-west corner of the prefecture in EPSG:4538 (about 85.9°E, 43.8°N).
const ORIGIN_M: Coord<f64> = Coord {
    x: 410_000.0,
    y: 4_850_000.0,
};

/// Lots per row of a village of `n` lots.
fn columns_for(n: usize) -> usize {
    (((n as f64).sqrt() * 1.6).ceil() as usize).max(4)
}

/// One chosen village with its parcel count and the south-west corner of its cell.
#[derive(Debug, Clone)]
struct VillagePlan {
    row: VillageRow,
    parcels: usize,
    /// South-west corner of the village's square cell, EPSG:4538 metres.
    cell_origin: Coord<f64>,
    lagging: bool,
}

/// Chooses the villages, shares out the parcels and lays out the cells.
fn plan(parcels: usize, seed: u64) -> Result<(Vec<VillagePlan>, f64), GenerateError> {
    let all = village_rows()?;
    // About 300 lots per village at least, and every village of the prefecture at ~280k lots.
    let wanted = (parcels / 300).clamp(1, all.len());
    let step = all.len() as f64 / wanted as f64;
    let chosen: Vec<VillageRow> = (0..wanted)
        .map(|i| all[((i as f64 * step) as usize).min(all.len() - 1)].clone())
        .collect();
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let weights: Vec<f64> = chosen.iter().map(|_| rng.random_range(0.5..1.5)).collect();
    let total: f64 = weights.iter().sum();
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| (parcels as f64 * w / total).floor() as usize)
        .collect();
    let rest = parcels - counts.iter().sum::<usize>();
    let n = counts.len();
    for k in 0..rest {
        counts[k % n] += 1;
    }
    // Square cells that hold the largest village at any rotation.
    let largest = counts.iter().copied().max().unwrap_or(0).max(1);
    let cols = columns_for(largest) as f64;
    let rows = (largest as f64 / cols).ceil();
    let cell_m = (cols * LOT_PITCH_X_M).hypot(rows * LOT_PITCH_Y_M) + 300.0;

    // Group by county, then township, in code order.
    let mut plans = Vec::with_capacity(chosen.len());
    let mut county_x = ORIGIN_M.x;
    let mut i = 0;
    while i < chosen.len() {
        let county = chosen[i].county.clone();
        let mut townships: Vec<Vec<usize>> = Vec::new();
        while i < chosen.len() && chosen[i].county == county {
            match townships.last_mut() {
                Some(t) if chosen[t[0]].township == chosen[i].township => t.push(i),
                _ => townships.push(vec![i]),
            }
            i += 1;
        }
        let widest = townships.iter().map(Vec::len).max().unwrap_or(1);
        let town_cols = (widest as f64).sqrt().ceil() as usize;
        let town_m = town_cols as f64 * cell_m + TOWNSHIP_GAP_M;
        let grid = (townships.len() as f64).sqrt().ceil() as usize;
        for (t, members) in townships.iter().enumerate() {
            let lagging = rng.random_bool(0.2);
            let town_origin = Coord {
                x: county_x + (t % grid) as f64 * town_m,
                y: ORIGIN_M.y + (t / grid) as f64 * town_m,
            };
            for (k, &v) in members.iter().enumerate() {
                plans.push(VillagePlan {
                    row: chosen[v].clone(),
                    parcels: counts[v],
                    cell_origin: Coord {
                        x: town_origin.x + (k % town_cols) as f64 * cell_m,
                        y: town_origin.y + (k / town_cols) as f64 * cell_m,
                    },
                    lagging,
                });
            }
        }
        county_x += grid as f64 * town_m + COUNTY_GAP_M;
    }
    Ok((plans, cell_m))
}

const SURNAMES: [&str; 12] = [
    "马", "王", "李", "张", "杨", "刘", "赵", "陈", "周", "吴", "孙", "何",
];
const GIVEN: [&str; 12] = [
    "建国", "海军", "秀兰", "文华", "志强", "玉梅", "德明", "永福", "国庆", "红霞", "学军", "晓燕",
];
const STRUCTS: [&str; 14] = [
    "砌体结构",
    "砌体结构",
    "砌体结构",
    "砌体结构",
    "砌体结构",
    "砌体结构",
    "钢筋混凝土结构",
    "钢筋混凝土结构",
    "土木/石木结构",
    "土木/石木结构",
    "土木/石木结构",
    "混杂结构",
    "底部框架-抗震墙砌体",
    "木(竹)结构",
];
const MEASURES: [&str; 5] = ["维修加固", "停止使用", "封控警示", "拆除重建", "人员撤离"];

fn pick<'a>(rng: &mut Pcg64Mcg, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// A survey date in 2024 (the campaign year of the demo).
fn survey_date(rng: &mut Pcg64Mcg) -> time::Date {
    let month = rng.random_range(3u8..=10);
    let day = rng.random_range(1u8..=28);
    time::Month::try_from(month)
        .ok()
        .and_then(|m| time::Date::from_calendar_date(2024, m, day).ok())
        .unwrap_or(time::macros::date!(2024 - 06 - 01))
}

fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn later(rng: &mut Pcg64Mcg, d: time::Date, lo: i64, hi: i64) -> time::Date {
    d.saturating_add(time::Duration::days(rng.random_range(lo..=hi)))
}

/// A `w` × `h` rectangle (metres, counter-clockwise from the origin), with the corner
/// `cut` = (width, height) taken out of its top right: an L shape (concave).
fn outline(w: f64, h: f64, cut: Option<(f64, f64)>) -> Vec<(f64, f64)> {
    match cut {
        Some((cw, ch)) => vec![
            (0.0, 0.0),
            (w, 0.0),
            (w, h - ch),
            (w - cw, h - ch),
            (w - cw, h),
            (0.0, h),
        ],
        None => vec![(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)],
    }
}

/// A generated parcel with its houses.
struct Lot {
    parcel: PolygonFeature,
    houses: Vec<PolygonFeature>,
}

/// Generates the lots of one village (deterministic in `seed` and `index`).
fn village_lots(plan: &VillagePlan, index: usize, cell_m: f64, seed: u64) -> Vec<Lot> {
    let mut rng =
        Pcg64Mcg::seed_from_u64(seed ^ ((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let n = plan.parcels;
    let cols = columns_for(n);
    let rows = n.div_ceil(cols);
    let block_w = cols as f64 * LOT_PITCH_X_M;
    let block_h = rows as f64 * LOT_PITCH_Y_M + (rows / 3) as f64 * 8.0;
    let angle: f64 = rng.random_range(-0.35..0.35);
    let (sin, cos) = angle.sin_cos();
    let centre = Coord {
        x: plan.cell_origin.x + cell_m / 2.0,
        y: plan.cell_origin.y + cell_m / 2.0,
    };
    let place = |x: f64, y: f64| -> Coord<f64> {
        let (lx, ly) = (x - block_w / 2.0, y - block_h / 2.0);
        Coord {
            x: centre.x + lx * cos - ly * sin,
            y: centre.y + lx * sin + ly * cos,
        }
    };
    let progress = if plan.lagging {
        rng.random_range(0.25..0.6)
    } else {
        rng.random_range(0.8..1.0)
    };
    let mut lots = Vec::with_capacity(n);
    for k in 0..n {
        let (row, col) = (k / cols, k % cols);
        let w: f64 = rng.random_range(14.0..30.0);
        let h: f64 = rng.random_range(12.0..26.0);
        let x0 = col as f64 * LOT_PITCH_X_M + (row % 2) as f64 * 3.0;
        let y0 = row as f64 * LOT_PITCH_Y_M + (row / 3) as f64 * 8.0;
        let cut = (rng.random_bool(0.3)).then(|| {
            (
                w * rng.random_range(0.35..0.6),
                h * rng.random_range(0.35..0.6),
            )
        });
        let local = outline(w, h, cut);
        let ring: Vec<Coord<f64>> = local
            .iter()
            .chain(local.first())
            .map(|&(x, y)| place(x0 + x, y0 + y))
            .collect();
        let code = format!("{}-{:04}", plan.row.code, k + 1);
        let u: f64 = rng.random();
        let status = if u < progress {
            "已排查"
        } else if u < progress + 0.08 {
            "排查中"
        } else {
            "未排查"
        };
        let surveyed = status == "已排查";
        let date = survey_date(&mut rng);
        let (surveyor, date_text) = if surveyed {
            (
                DbfValue::Text(format!(
                    "{}{}",
                    pick(&mut rng, &SURNAMES),
                    pick(&mut rng, &GIVEN)
                )),
                DbfValue::Text(iso(date)),
            )
        } else {
            (DbfValue::Null, DbfValue::Null)
        };
        let parcel = PolygonFeature {
            rings: vec![ring],
            values: vec![
                DbfValue::Text(code.clone()),
                DbfValue::Text(plan.row.code.clone()),
                DbfValue::Text(status.to_string()),
                surveyor,
                date_text,
            ],
        };
        // Houses inside the part of the lot below the cut, 1.5 m from its edges.
        let inner_w = w - 3.0;
        let inner_h = cut.map_or(h, |(_, ch)| h - ch) - 3.0;
        let draw: f64 = rng.random();
        let count = if draw < 0.1 {
            0
        } else if draw < 0.9 {
            1
        } else {
            2
        };
        let mut houses = Vec::new();
        for m in 0..count {
            let slot_w = inner_w / count as f64;
            let hw = slot_w * rng.random_range(0.6..0.9);
            let hh = inner_h * rng.random_range(0.6..0.9);
            if hw * hh < 4.0 {
                continue;
            }
            let hx = x0 + 1.5 + m as f64 * slot_w + (slot_w - hw) / 2.0;
            let hy = y0 + 1.5 + (inner_h - hh) / 2.0;
            let local = outline(
                hw,
                hh,
                rng.random_bool(0.25).then_some((hw * 0.4, hh * 0.4)),
            );
            let footprint_m2 = if local.len() == 6 {
                hw * hh * (1.0 - 0.16)
            } else {
                hw * hh
            };
            let ring: Vec<Coord<f64>> = local
                .iter()
                .chain(local.first())
                .map(|&(x, y)| place(hx + x, hy + y))
                .collect();
            houses.push(PolygonFeature {
                rings: vec![ring],
                values: house_values(&mut rng, &code, m + 1, surveyed, date, footprint_m2),
            });
        }
        lots.push(Lot { parcel, houses });
    }
    lots
}

/// The attributes of house `m` of parcel `code` (the columns of [`building_columns`]),
/// consistent with the state rules: a surveyed parcel's houses carry use, floors, structure and
/// hazard; dangerous houses are under rectification; rectified ones have a measure and date;
/// a finished look-back has its date.
fn house_values(
    rng: &mut Pcg64Mcg,
    code: &str,
    m: usize,
    surveyed: bool,
    surveyed_at: time::Date,
    footprint_m2: f64,
) -> Vec<DbfValue> {
    let r: f64 = rng.random();
    let use_class = if r < 0.08 {
        "经营性自建房"
    } else if r < 0.13 {
        "住宅兼经营性"
    } else {
        "其他自建房"
    };
    let commercial = use_class != "其他自建房";
    let floors = pick(rng, &["1", "1", "1", "2", "2", "3"])
        .parse::<u32>()
        .unwrap_or(1)
        + if commercial {
            rng.random_range(0..=2)
        } else {
            0
        };
    let text = |s: &str| {
        if s.is_empty() {
            DbfValue::Null
        } else {
            DbfValue::Text(s.to_string())
        }
    };
    let structure = if surveyed || rng.random_bool(0.5) {
        pick(rng, &STRUCTS)
    } else {
        ""
    };
    let (mut hazard, mut grade, mut rect, mut measure) = ("", "", "", "");
    let (mut rect_date, mut lookback, mut lookback_at) = (String::new(), "", String::new());
    if surveyed {
        let r3: f64 = rng.random();
        hazard = if r3 < 0.012 {
            "存在严重安全隐患"
        } else if r3 < 0.07 {
            "存在一定安全隐患"
        } else {
            "未发现安全隐患"
        };
        if hazard != "未发现安全隐患" && rng.random_bool(0.6) {
            grade = if hazard == "存在严重安全隐患" {
                pick(rng, &["C", "C", "D"])
            } else {
                pick(rng, &["B", "C", "C"])
            };
        }
        if hazard != "未发现安全隐患" || grade == "C" || grade == "D" {
            rect = pick(rng, &["待整治", "整治中", "已整治", "已整治"]);
            if rect == "已整治" {
                measure = pick(rng, &MEASURES);
                rect_date = iso(later(rng, surveyed_at, 10, 120));
            }
        } else {
            rect = "无需整治";
        }
        if commercial {
            lookback = if rng.random_bool(0.85) { "是" } else { "否" };
            if lookback == "是" {
                lookback_at = iso(later(rng, surveyed_at, 30, 200));
            }
        }
    }
    let people = rng.random_range(1..=8)
        + if commercial {
            rng.random_range(0..=30)
        } else {
            0
        };
    vec![
        DbfValue::Text(format!("{code}-{m}")),
        DbfValue::Text(use_class.to_string()),
        DbfValue::Number(f64::from(floors)),
        DbfValue::Number((footprint_m2 * f64::from(floors) * 10.0).round() / 10.0),
        text(structure),
        DbfValue::Number(f64::from(rng.random_range(1970..=2023))),
        DbfValue::Number(f64::from(people)),
        text(hazard),
        text(grade),
        text(rect),
        text(measure),
        text(&rect_date),
        text(lookback),
        text(&lookback_at),
    ]
}

fn column(name: &str, kind: DbfType, length: u8) -> DbfColumn {
    DbfColumn {
        name: name.to_string(),
        kind,
        length,
    }
}

/// The parcel columns (the 同心县 sample's schema).
fn parcel_columns() -> Vec<DbfColumn> {
    vec![
        column("图斑编码", DbfType::Text, 24),
        column("村代码", DbfType::Text, 12),
        column("排查状态", DbfType::Text, 10),
        column("排查人", DbfType::Text, 12),
        column("排查日期", DbfType::Text, 10),
    ]
}

/// The house columns.
fn building_columns() -> Vec<DbfColumn> {
    let n = |d| DbfType::Number { decimals: d };
    vec![
        column("房屋编码", DbfType::Text, 28),
        column("用途", DbfType::Text, 16),
        column("层数", n(0), 3),
        column("建筑面积", n(1), 10),
        column("结构类型", DbfType::Text, 24),
        column("建成年份", n(0), 4),
        column("使用人数", n(0), 4),
        column("隐患初判", DbfType::Text, 20),
        column("鉴定等级", DbfType::Text, 2),
        column("整治状态", DbfType::Text, 10),
        column("整治措施", DbfType::Text, 16),
        column("整改日期", DbfType::Text, 10),
        column("回头看", DbfType::Text, 2),
        column("回头看日期", DbfType::Text, 10),
    ]
}

/// Writes a generated prefecture of `parcels` parcels (and about as many houses) into `dir`
/// (created if missing; existing layers of the same names are replaced). `progress` gets a
/// stage label and a fraction in 0..=1 and returns `false` to cancel.
///
/// # Errors
/// [`GenerateError::Io`] / [`GenerateError::Write`] naming the file that could not be written;
/// [`GenerateError::Cancelled`]; [`GenerateError::NoParcels`] for `parcels` = 0. A layer is
/// either written whole or not at all.
pub fn generate(
    dir: &Path,
    parcels: usize,
    seed: u64,
    mut progress: impl FnMut(&str, f32) -> bool,
) -> Result<Generated, GenerateError> {
    if parcels == 0 {
        return Err(GenerateError::NoParcels);
    }
    std::fs::create_dir_all(dir).map_err(|source| GenerateError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let (plans, cell_m) = plan(parcels, seed)?;
    let village_names = dir.join("villages_6523.csv");
    std::fs::write(&village_names, CHANGJI_VILLAGES_CSV).map_err(|source| GenerateError::Io {
        path: village_names.clone(),
        source,
    })?;
    let village_count = plans.iter().filter(|p| p.parcels > 0).count();
    let mut cancelled = false;
    let mut counts = [0usize; 2];
    for (layer, (name, columns)) in [
        ("parcels", parcel_columns()),
        ("buildings", building_columns()),
    ]
    .into_iter()
    .enumerate()
    {
        let label = if layer == 0 { "图斑" } else { "房屋" };
        let total = plans.len().max(1);
        let progress = &mut progress;
        let cancelled_flag = &mut cancelled;
        let features = plans.iter().enumerate().flat_map(move |(i, plan)| {
            if *cancelled_flag || !progress(label, i as f32 / total as f32) {
                *cancelled_flag = true;
                return Vec::new();
            }
            let lots = village_lots(plan, i, cell_m, seed);
            if layer == 0 {
                lots.into_iter().map(|l| l.parcel).collect()
            } else {
                lots.into_iter().flat_map(|l| l.houses).collect::<Vec<_>>()
            }
        });
        counts[layer] = write_polygon_layer(
            &dir.join(name),
            &columns,
            encoding_rs::GBK,
            PRJ_CGCS2000_GK_CM_87E,
            features,
        )?;
        if cancelled {
            for ext in ["shp", "shx", "dbf", "prj"] {
                let _ = std::fs::remove_file(dir.join(name).with_extension(ext));
            }
            return Err(GenerateError::Cancelled);
        }
    }
    Ok(Generated {
        parcels: dir.join("parcels.shp"),
        buildings: dir.join("buildings.shp"),
        village_names,
        parcel_count: counts[0],
        building_count: counts[1],
        village_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_shares_out_every_parcel_over_real_villages_without_overlap() {
        let (plans, cell_m) = plan(100_000, 7).unwrap();
        assert_eq!(plans.iter().map(|p| p.parcels).sum::<usize>(), 100_000);
        assert_eq!(plans.len(), 333);
        assert!(
            plans
                .iter()
                .all(|p| p.row.code.starts_with("6523") && p.row.code.len() == 12)
        );
        // Cells never overlap.
        for (i, a) in plans.iter().enumerate() {
            for b in &plans[i + 1..] {
                let apart = (a.cell_origin.x - b.cell_origin.x).abs() >= cell_m - 1e-6
                    || (a.cell_origin.y - b.cell_origin.y).abs() >= cell_m - 1e-6;
                assert!(apart, "{} and {} overlap", a.row.code, b.row.code);
            }
        }
        let (small, _) = plan(10, 7).unwrap();
        assert_eq!(small.len(), 1);
        assert_eq!(small[0].parcels, 10);
    }

    #[test]
    fn lots_stay_inside_their_cell_and_houses_inside_their_lot() {
        let (plans, cell_m) = plan(3_000, 1).unwrap();
        for (i, p) in plans.iter().enumerate() {
            for lot in village_lots(p, i, cell_m, 1) {
                let ring = &lot.parcel.rings[0];
                for c in ring {
                    assert!(c.x > p.cell_origin.x && c.x < p.cell_origin.x + cell_m);
                    assert!(c.y > p.cell_origin.y && c.y < p.cell_origin.y + cell_m);
                }
                let lot_poly = geo::Polygon::new(ring.clone().into(), vec![]);
                for h in &lot.houses {
                    let house = geo::Polygon::new(h.rings[0].clone().into(), vec![]);
                    assert!(geo::Contains::contains(&lot_poly, &house));
                }
            }
        }
    }
}
