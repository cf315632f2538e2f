//! The import pipeline: parcels (required), houses and village boundaries (optional) from
//! Shapefile, GeoJSON or GeoPackage → reprojected to EPSG:4490 → fields mapped → villages
//! assigned (code field, else the village polygon holding the parcel's point-on-surface, else
//! unassigned) → houses joined to the parcel holding their point-on-surface → written as a new
//! project file, atomically. Used by the CLI and (later) the import wizard.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use geo::{CoordsIter, Validation};
use geo_types::MultiPolygon;
use rayon::prelude::*;

use crate::domain::admin::{DivisionCode, Village, VillageId};
use crate::domain::fields::{Field, Value};
use crate::domain::mapping::{
    FieldMapping, FieldOverride, ImportKey, MappedLayer, MatchKind, detect,
};
use crate::domain::records::{Building, Parcel};
use crate::domain::rules::Rule;
use crate::domain::survey::Survey;
use crate::io::code_list::{CodeList, read_code_list};
use crate::io::error::ReadError;
use crate::io::read::{ReadOptions, read_layer};
use crate::io::source::{RawFeature, RawLayer};
use crate::spatial::crs::{CrsError, Reprojector, resolve};
use crate::spatial::geometry::{Bbox, PolygonStore};
use crate::spatial::index::FeatureIndex;
use crate::store::{Overlay, ProjectData, SourceAttrs, StoreError, write_new};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// Parcels (图斑) file: .shp, .geojson/.json or .gpkg.
    pub parcels: PathBuf,
    /// Houses (自建房) file.
    pub buildings: Option<PathBuf>,
    /// Village (村界) polygons file.
    pub villages: Option<PathBuf>,
    /// Division code lists giving village/township/county names.
    pub village_names: Vec<PathBuf>,
    /// Reference layers to keep in the project (e.g. a renewal-area boundary).
    pub overlays: Vec<PathBuf>,
    /// `--field KEY=SRC` overrides.
    pub overrides: Vec<FieldOverride>,
    /// `--encoding` for DBF text.
    pub encoding: Option<String>,
    /// `--crs` for the input layers.
    pub crs: Option<String>,
    /// The project file to write.
    pub output: PathBuf,
    /// Replace an existing output file.
    pub overwrite: bool,
}

/// Import failures; each names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The CRS of a layer is unknown or cannot be transformed.
    #[error("{path}: {source}")]
    Crs {
        /// The layer file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: CrsError,
    },
    /// A `--field` source exists in no layer.
    #[error("--field: attribute “{name}” is not in {files}; attributes there: {available}")]
    MissingSource {
        /// The missing attribute.
        name: String,
        /// The files searched.
        files: String,
        /// Their attributes.
        available: String,
    },
    /// The villages layer has no code attribute.
    #[error(
        "{0}: no village code attribute found (村代码/CJQYDM/village_code); pass --field village_code=SRC"
    )]
    NoVillageCode(PathBuf),
    /// The parcels file holds no polygon.
    #[error("{path}: no polygon features to import ({skipped})")]
    NoFeatures {
        /// The file.
        path: PathBuf,
        /// What was skipped.
        skipped: String,
    },
    /// The user cancelled the import; nothing was written.
    #[error("import cancelled; nothing was written")]
    Cancelled,
    /// Writing the project failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the import found in one input layer.
#[derive(Debug, Clone, Default)]
pub struct LayerReport {
    /// Role: parcels, buildings, villages or overlay.
    pub role: String,
    /// The file.
    pub path: PathBuf,
    /// Polygon features read.
    pub features: usize,
    /// Features skipped, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Text encoding and how it was chosen (Shapefiles).
    pub encoding: Option<String>,
    /// Source CRS.
    pub crs: String,
    /// Field mapping: (key, source attribute, how).
    pub mapping: Vec<(String, String, String)>,
    /// Invalid geometries (kept), with the first examples.
    pub invalid: usize,
    /// First invalid geometries: "feature N (code): reason".
    pub invalid_examples: Vec<String>,
    /// Warnings of the reader, the CRS and the mapping.
    pub warnings: Vec<String>,
}

/// Values that did not fit their field (left empty), by field key.
#[derive(Debug, Clone, Default)]
pub struct ValueProblems {
    /// Count.
    pub count: usize,
    /// First examples.
    pub examples: Vec<String>,
}

/// The import report printed by `fangcha import`.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// The project written.
    pub output: PathBuf,
    /// Per input layer.
    pub layers: Vec<LayerReport>,
    /// Parcels imported.
    pub parcels: usize,
    /// Houses imported.
    pub buildings: usize,
    /// Villages in the project (not counting 未分配).
    pub villages: usize,
    /// Villages with a boundary polygon.
    pub villages_with_polygon: usize,
    /// Parcels assigned by their village code attribute.
    pub parcels_by_code: usize,
    /// Parcels assigned by a village polygon.
    pub parcels_by_polygon: usize,
    /// Parcels in no village (未分配).
    pub parcels_unassigned: usize,
    /// Houses joined to a parcel (by attribute or spatially).
    pub buildings_joined: usize,
    /// Houses in no parcel (kept, counted as unassigned).
    pub buildings_unjoined: usize,
    /// Village codes seen that are not in the code lists (names unknown).
    pub unnamed_villages: usize,
    /// Values that did not fit their field.
    pub value_problems: BTreeMap<String, ValueProblems>,
    /// Records that break a state rule as imported, by rule code.
    pub rule_violations: BTreeMap<String, usize>,
    /// Other warnings.
    pub warnings: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Progress of a long import: called with a stage name and a fraction 0–1; returning `false`
/// cancels the import (nothing is written).
pub type Progress<'a> = &'a mut dyn FnMut(&str, f32) -> bool;

/// Counts a value that did not fit its field (left empty), keeping the first examples.
fn note_value_problem(
    report: &mut ImportReport,
    field: Field,
    res: Result<(), crate::domain::fields::FieldError>,
    record: impl FnOnce() -> String,
) {
    if let Err(e) = res {
        let entry = report
            .value_problems
            .entry(field.key().to_string())
            .or_default();
        entry.count += 1;
        push_example(&mut entry.examples, format!("{}: {e}", record()));
    }
}

/// Makes a code unique among `taken` with a `#N` suffix; returns it and whether it changed.
fn unique_code(code: String, taken: impl Fn(&str) -> bool) -> (String, bool) {
    if !taken(&code) {
        return (code, false);
    }
    let mut n = 2;
    while taken(&format!("{code}#{n}")) {
        n += 1;
    }
    (format!("{code}#{n}"), true)
}

fn push_example(list: &mut Vec<String>, text: String) {
    if list.len() < 5 {
        list.push(text);
    }
}

/// A layer read and reprojected to EPSG:4490.
struct Loaded {
    raw: RawLayer,
    report: LayerReport,
}

/// Splits `file.gpkg|layername=plots` (QGIS style) or `file.gpkg:plots` into path and layer,
/// when the whole text is not an existing file.
pub fn split_layer(text: &Path) -> (PathBuf, Option<String>) {
    if text.exists() {
        return (text.to_path_buf(), None);
    }
    let s = text.to_string_lossy();
    if let Some((p, l)) = s.split_once("|layername=") {
        return (PathBuf::from(p), Some(l.to_string()));
    }
    if let Some((p, l)) = s.rsplit_once(':')
        && Path::new(p).is_file()
    {
        return (PathBuf::from(p), Some(l.to_string()));
    }
    (text.to_path_buf(), None)
}

fn load(role: &str, path: &Path, req: &ImportRequest) -> Result<Loaded, ImportError> {
    let (path, layer) = split_layer(path);
    let path = path.as_path();
    let opts = ReadOptions {
        encoding: req.encoding.clone(),
        layer,
    };
    let mut raw = read_layer(path, &opts)?;
    let mut extent = Bbox::EMPTY;
    for f in &raw.features {
        for p in &f.geometry.0 {
            for c in p.exterior().0.iter() {
                if c.x.is_finite() && c.y.is_finite() {
                    extent.expand(c.x, c.y);
                }
            }
        }
    }
    if raw.features.is_empty() {
        let report = LayerReport {
            role: role.to_string(),
            path: path.to_path_buf(),
            encoding: raw.encoding.clone(),
            crs: "— (no polygon features)".into(),
            warnings: raw.warnings.clone(),
            skipped: raw.skipped.clone(),
            ..Default::default()
        };
        return Ok(Loaded { raw, report });
    }
    let (crs, crs_warnings) = resolve(raw.declared_crs.as_ref(), req.crs.as_deref(), &extent)
        .map_err(|source| ImportError::Crs {
            path: path.to_path_buf(),
            source,
        })?;
    let reprojector = Reprojector::new(&crs).map_err(|source| ImportError::Crs {
        path: path.to_path_buf(),
        source,
    })?;
    let mut report = LayerReport {
        role: role.to_string(),
        path: path.to_path_buf(),
        encoding: raw.encoding.clone(),
        crs: if reprojector.is_identity() {
            format!("{crs} (no transformation needed)")
        } else {
            format!("{crs} → EPSG:4490")
        },
        warnings: raw.warnings.clone(),
        skipped: raw.skipped.clone(),
        ..Default::default()
    };
    report.warnings.extend(crs_warnings);
    // Reprojection, range check and validation, in parallel chunks (each with its own PROJ
    // object: they are not shared between threads); the outcomes are counted in file order.
    let checks: Vec<FeatureCheck> = raw
        .features
        .par_chunks_mut(FEATURES_PER_TASK)
        .flat_map_iter(|chunk| {
            let reprojector = Reprojector::new(&crs).ok();
            chunk
                .iter_mut()
                .map(|f| check_feature(reprojector.as_ref(), &mut f.geometry))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut failed = 0usize;
    let mut out_of_range = 0usize;
    for (f, check) in raw.features.iter().zip(checks) {
        let n = f.source_index + 1;
        match check {
            FeatureCheck::Valid => {}
            FeatureCheck::Unprojectable => {
                failed += 1;
                push_example(
                    &mut report.invalid_examples,
                    format!("feature {n}: cannot be reprojected"),
                );
            }
            FeatureCheck::OutOfRange(x, y) => {
                // NaN, ±inf or 1e308 would break the geometry algorithms and the export
                out_of_range += 1;
                push_example(
                    &mut report.invalid_examples,
                    format!(
                        "feature {n}: coordinate ({}, {}) is not a longitude/latitude in EPSG:4490",
                        short_number(x),
                        short_number(y)
                    ),
                );
            }
            FeatureCheck::Invalid(e) => {
                report.invalid += 1;
                push_example(&mut report.invalid_examples, format!("feature {n}: {e}"));
            }
        }
    }
    if failed > 0 {
        report.invalid += failed;
        report.warnings.push(format!(
            "{failed} features could not be reprojected and are kept with an empty geometry"
        ));
    }
    if out_of_range > 0 {
        report.invalid += out_of_range;
        report.warnings.push(format!(
            "{out_of_range} features have coordinates outside longitude −180…180 / latitude \
             −90…90 after reprojection and are kept with an empty geometry"
        ));
    }
    report.features = raw.features.len();
    Ok(Loaded { raw, report })
}

/// Features per parallel task of the per-feature pass (large enough that creating a PROJ
/// object per task costs nothing next to the work).
const FEATURES_PER_TASK: usize = 8192;

/// What the per-feature pass of [`load`] found.
enum FeatureCheck {
    Valid,
    /// The transformation failed; the geometry was emptied.
    Unprojectable,
    /// A coordinate outside lon/lat after the transformation; the geometry was emptied.
    OutOfRange(f64, f64),
    /// Kept, but not a valid OGC geometry (the reason).
    Invalid(String),
}

/// Reprojects `geometry` to EPSG:4490 (`None`: the transformation could not be built), empties
/// it when that fails or leaves a coordinate outside lon/lat, and validates what is left.
fn check_feature(
    reprojector: Option<&Reprojector>,
    geometry: &mut MultiPolygon<f64>,
) -> FeatureCheck {
    if !reprojector.is_some_and(|r| r.transform(geometry)) {
        *geometry = MultiPolygon(Vec::new());
        return FeatureCheck::Unprojectable;
    }
    if let Some(c) = geometry.coords_iter().find(|c| !is_lon_lat(c.x, c.y)) {
        *geometry = MultiPolygon(Vec::new());
        return FeatureCheck::OutOfRange(c.x, c.y);
    }
    if geometry.0.is_empty() {
        return FeatureCheck::Valid;
    }
    match validation_problem(geometry) {
        Some(e) => FeatureCheck::Invalid(e),
        None => FeatureCheck::Valid,
    }
}

/// A coordinate for a message: plain up to a million, else in scientific notation (`1e308`).
fn short_number(v: f64) -> String {
    if v.abs() < 1e6 {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// True for a finite longitude/latitude position (degrees).
fn is_lon_lat(x: f64, y: f64) -> bool {
    (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)
}

/// Vertices above which a feature is checked by [`validation_problem`]'s sweep instead of geo's
/// `Validation`, whose ring self-intersection test compares every pair of segments (a polygon
/// of 1,000,000 vertices would take hours).
const FULL_VALIDATION_MAX_VERTICES: usize = 10_000;

/// Why a geometry is not valid (OGC simple features), or `None`.
///
/// Up to [`FULL_VALIDATION_MAX_VERTICES`] vertices: geo's full `Validation`. Above: each ring is
/// checked for too few points and for self-intersections with a sweep over its segments
/// (O(n log n) on real data); the relations between rings and parts are not checked.
fn validation_problem(mp: &MultiPolygon<f64>) -> Option<String> {
    if mp.coords_count() <= FULL_VALIDATION_MAX_VERTICES {
        return mp.check_validation().err().map(|e| e.to_string());
    }
    for (i, polygon) in mp.0.iter().enumerate() {
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        for (r, ring) in rings.enumerate() {
            let role = if r == 0 {
                "exterior ring".to_string()
            } else {
                format!("interior ring at index {}", r - 1)
            };
            let mut distinct = ring.0.clone();
            distinct.dedup();
            if distinct.len() < 4 {
                return Some(format!(
                    "polygon at index {i} is invalid: {role} must have at least 3 distinct points"
                ));
            }
            let crossing = geo::Intersections::from_iter(ring.lines())
                .any(|(a, b, _)| a.start != b.end && a.end != b.start);
            if crossing {
                return Some(format!(
                    "polygon at index {i} is invalid: {role} has a self-intersection"
                ));
            }
        }
    }
    None
}

fn mapping_of(
    layer: MappedLayer,
    loaded: &mut Loaded,
    req: &ImportRequest,
    missing: &mut Vec<(String, String)>,
) -> FieldMapping {
    let (m, miss) = detect(layer, &loaded.raw.field_names, &req.overrides);
    for name in miss {
        missing.push((name, loaded.raw.path.display().to_string()));
    }
    loaded.report.mapping = m
        .entries
        .iter()
        .map(|e| {
            let how = match e.how {
                MatchKind::Explicit => "--field",
                MatchKind::Detected => "detected",
                MatchKind::Truncated => "detected (name cut at 10 bytes)",
            };
            (
                e.key.key().to_string(),
                e.source_name.clone(),
                how.to_string(),
            )
        })
        .collect();
    m
}

/// The source attributes of one feature as a JSON object (field order kept; a repeated field
/// name keeps its first value).
struct AttrsJson<'a> {
    names: &'a [String],
    attrs: &'a [Value],
    unique_names: bool,
}

impl serde::Serialize for AttrsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (i, (k, v)) in self.names.iter().zip(self.attrs).enumerate() {
            if !self.unique_names && self.names[..i].contains(k) {
                continue;
            }
            match v {
                Value::Null => map.serialize_entry(k, &())?,
                Value::Bool(b) => map.serialize_entry(k, b)?,
                Value::Int(n) => map.serialize_entry(k, n)?,
                Value::Real(r) if r.is_finite() => map.serialize_entry(k, r)?,
                Value::Real(_) => map.serialize_entry(k, &())?,
                Value::Text(t) => map.serialize_entry(k, t)?,
            }
        }
        map.end()
    }
}

fn attrs_json(names: &[String], attrs: &[Value], unique_names: bool) -> String {
    let mut json = serde_json::to_string(&AttrsJson {
        names,
        attrs,
        unique_names,
    })
    .unwrap_or_else(|_| "{}".to_string());
    // The writer's buffer doubles as it grows: a million of them would carry ~40 % slack.
    json.shrink_to_fit();
    json
}

/// Features read per batch by [`with_source_json`].
const JSON_BATCH: usize = 32_768;

/// Hands out the `features` one by one with their index, after appending the JSON text of
/// their source attributes to `json` — made in parallel a batch at a time, so that each read
/// feature is freed as soon as it has been used and the text of a million features never sits
/// next to all of their read values.
fn with_source_json<'a>(
    features: Vec<RawFeature>,
    names: &'a [String],
    json: &'a mut Vec<String>,
) -> impl Iterator<Item = (usize, RawFeature)> + 'a {
    let unique = names_unique(names);
    let mut rest = features.into_iter().enumerate();
    std::iter::from_fn(move || {
        let batch: Vec<(usize, RawFeature)> = rest.by_ref().take(JSON_BATCH).collect();
        if batch.is_empty() {
            return None;
        }
        json.par_extend(
            batch
                .par_iter()
                .map(|(_, f)| attrs_json(names, &f.attrs, unique)),
        );
        Some(batch)
    })
    .flatten()
}

/// True when no field name repeats.
fn names_unique(names: &[String]) -> bool {
    let set: std::collections::HashSet<&String> = names.iter().collect();
    set.len() == names.len()
}

fn attr_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 1e15 => Some(format!("{}", *r as i64)),
        other => Some(other.to_text()).filter(|t| !t.trim().is_empty()),
    }
}

/// Runs an import and writes the project. Nothing is written unless everything succeeded.
pub fn run_import(
    req: &ImportRequest,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let mut report = ImportReport {
        output: req.output.clone(),
        ..Default::default()
    };

    if !progress("reading parcels and houses", 0.0) {
        return Err(ImportError::Cancelled);
    }
    // The two layers are read side by side (each read is itself parallel inside).
    let (parcels_read, buildings_read) = rayon::join(
        || load("parcels", &req.parcels, req),
        || {
            req.buildings
                .as_deref()
                .map(|p| load("buildings", p, req))
                .transpose()
        },
    );
    let mut parcels_in = parcels_read?;
    if parcels_in.raw.features.is_empty() {
        let mut skipped: Vec<String> = parcels_in
            .raw
            .skipped
            .iter()
            .map(|(k, n)| format!("{n} {k} skipped"))
            .collect();
        skipped.extend(parcels_in.raw.warnings.iter().cloned());
        return Err(ImportError::NoFeatures {
            path: parcels_in.raw.path.clone(),
            skipped: if skipped.is_empty() {
                "the file holds no feature".into()
            } else {
                skipped.join("; ")
            },
        });
    }
    if parcels_in
        .raw
        .features
        .iter()
        .all(|f| f.geometry.0.is_empty())
    {
        // every feature lost its geometry (cannot be reprojected, coordinates out of range)
        let mut why = parcels_in.report.invalid_examples.clone();
        if why.is_empty() {
            why.extend(parcels_in.report.warnings.iter().cloned());
        }
        return Err(ImportError::NoFeatures {
            path: parcels_in.raw.path.clone(),
            skipped: why.join("; "),
        });
    }
    let mut buildings_in = buildings_read?;
    if !progress("reading villages", 0.3) {
        return Err(ImportError::Cancelled);
    }
    let mut villages_in = req
        .villages
        .as_deref()
        .map(|p| load("villages", p, req))
        .transpose()?;
    let mut overlays_in = Vec::new();
    for p in &req.overlays {
        overlays_in.push(load("overlay", p, req)?);
    }
    let mut names = CodeList::default();
    for p in &req.village_names {
        names.extend(read_code_list(p)?);
    }

    // field mappings; a --field source must exist in at least one layer that takes its key
    let mut missing = Vec::new();
    let pmap = mapping_of(MappedLayer::Parcels, &mut parcels_in, req, &mut missing);
    let bmap = buildings_in
        .as_mut()
        .map(|b| mapping_of(MappedLayer::Buildings, b, req, &mut missing));
    let vmap = villages_in
        .as_mut()
        .map(|v| mapping_of(MappedLayer::Villages, v, req, &mut missing));
    let mapped_somewhere = |name: &str| {
        pmap.entries
            .iter()
            .chain(bmap.iter().flat_map(|m| m.entries.iter()))
            .chain(vmap.iter().flat_map(|m| m.entries.iter()))
            .any(|e| e.source_name == name)
    };
    if let Some((name, _)) = missing.iter().find(|(n, _)| !mapped_somewhere(n)) {
        let mut files = vec![parcels_in.raw.path.display().to_string()];
        let mut available: Vec<String> = parcels_in.raw.field_names.clone();
        for l in buildings_in.iter().chain(villages_in.iter()) {
            files.push(l.raw.path.display().to_string());
            available.extend(l.raw.field_names.iter().cloned());
        }
        available.dedup();
        return Err(ImportError::MissingSource {
            name: name.clone(),
            files: files.join(", "),
            available: available.join(", "),
        });
    }

    // villages: from the polygons layer, then every code seen on parcels and houses
    if !progress("assigning villages", 0.4) {
        return Err(ImportError::Cancelled);
    }
    let mut village_polys: BTreeMap<String, MultiPolygon<f64>> = BTreeMap::new();
    let mut village_names_in: HashMap<String, String> = HashMap::new();
    if let (Some(vl), Some(vm)) = (&villages_in, &vmap) {
        let code_i = vm
            .source_of(ImportKey::VillageCode)
            .ok_or_else(|| ImportError::NoVillageCode(vl.raw.path.clone()))?;
        let name_i = vm.source_of(ImportKey::VillageName);
        for f in &vl.raw.features {
            let Some(text) = f.attrs.get(code_i).and_then(attr_text) else {
                continue;
            };
            match DivisionCode::parse(&text) {
                Ok(c) if c.as_str().len() == 12 => {
                    let entry = village_polys
                        .entry(c.as_str().to_string())
                        .or_insert_with(|| MultiPolygon(Vec::new()));
                    entry.0.extend(f.geometry.0.iter().cloned());
                    if let Some(n) = name_i.and_then(|i| f.attrs.get(i)).and_then(attr_text) {
                        village_names_in.insert(c.as_str().to_string(), n);
                    }
                }
                _ => report.warnings.push(format!(
                    "{}: feature {}: village code “{text}” is not a 12-digit code; polygon ignored",
                    vl.raw.path.display(),
                    f.source_index + 1
                )),
            }
        }
    }
    let code_of = |attrs: &[Value], map: &FieldMapping| -> Option<Result<String, String>> {
        let idx = map.source_of(ImportKey::VillageCode)?;
        let text = attrs.get(idx).and_then(attr_text)?;
        Some(match DivisionCode::parse(&text) {
            Ok(c) if c.as_str().len() == 12 => Ok(c.as_str().to_string()),
            _ => Err(text),
        })
    };
    let mut all_codes: Vec<String> = village_polys.keys().cloned().collect();
    for f in &parcels_in.raw.features {
        if let Some(Ok(c)) = code_of(&f.attrs, &pmap) {
            all_codes.push(c);
        }
    }
    if let (Some(bl), Some(bm)) = (&buildings_in, &bmap) {
        for f in &bl.raw.features {
            if let Some(Ok(c)) = code_of(&f.attrs, bm) {
                all_codes.push(c);
            }
        }
    }
    all_codes.sort();
    all_codes.dedup();
    let mut villages = vec![Village::unassigned()];
    let mut village_geoms = PolygonStore::new();
    village_geoms.push(&MultiPolygon(Vec::new()));
    let mut village_id: HashMap<String, VillageId> = HashMap::new();
    for code in &all_codes {
        let name = names
            .name(code)
            .map(str::to_string)
            .or_else(|| village_names_in.get(code).cloned());
        if name.is_none() {
            report.unnamed_villages += 1;
        }
        let v = Village {
            code: code.clone(),
            name: name.unwrap_or_default(),
            township_name: names.name(&code[..9]).unwrap_or_default().to_string(),
            county_name: names.name(&code[..6]).unwrap_or_default().to_string(),
        };
        village_id.insert(code.clone(), VillageId(villages.len() as u32));
        village_geoms.push(village_polys.get(code).unwrap_or(&MultiPolygon(Vec::new())));
        villages.push(v);
    }
    report.villages = villages.len() - 1;
    report.villages_with_polygon = village_polys.len();
    let village_index = FeatureIndex::build(&village_geoms);

    // parcels
    if !progress("building parcels", 0.5) {
        return Err(ImportError::Cancelled);
    }
    let mut parcel_geoms = PolygonStore::with_capacity(parcels_in.raw.features.len(), 0);
    let mut parcels = Vec::with_capacity(parcels_in.raw.features.len());
    let mut parcel_by_code: HashMap<String, u32> = HashMap::new();
    let stem = parcels_in.raw.name.clone();
    let mut duplicates = 0usize;
    let pfields: Vec<(Field, usize)> = pmap
        .entries
        .iter()
        .filter_map(|e| {
            if let ImportKey::Field(f) = e.key {
                Some((f, e.source))
            } else {
                None
            }
        })
        .collect();
    let pcode_i = pmap.source_of(ImportKey::ParcelCode);
    if pcode_i.is_none() {
        report.warnings.push("no parcel code attribute (图斑编码/TBBH/BSM) found; codes are generated as village code + sequence number; pass --field parcel_code=SRC to use one".to_string());
    }
    let mut per_village_seq: HashMap<VillageId, usize> = HashMap::new();
    // Geometry moves into the flat store; the per-feature copies are freed as it goes.
    for f in &mut parcels_in.raw.features {
        parcel_geoms.push(&f.geometry);
        f.geometry = MultiPolygon(Vec::new());
    }
    // The source attributes become their JSON text first; then each read feature is freed as
    // soon as its record is built.
    let mut parcel_source = Vec::with_capacity(parcels_in.raw.features.len());
    let parcel_names = parcels_in.raw.field_names.clone();
    let parcel_features = std::mem::take(&mut parcels_in.raw.features);
    for (i, f) in with_source_json(parcel_features, &parcel_names, &mut parcel_source) {
        let idx = i as u32;
        let village = match code_of(&f.attrs, &pmap) {
            Some(Ok(c)) => {
                report.parcels_by_code += 1;
                village_id.get(&c).copied().unwrap_or(VillageId::UNASSIGNED)
            }
            other => {
                if let Some(Err(bad)) = other {
                    let e = report
                        .value_problems
                        .entry("village_code".into())
                        .or_default();
                    e.count += 1;
                    push_example(
                        &mut e.examples,
                        format!("feature {}: “{bad}”", f.source_index + 1),
                    );
                }
                match parcel_geoms
                    .interior_point(idx)
                    .and_then(|[x, y]| village_index.pick_one(&village_geoms, x, y))
                {
                    Some(v) => {
                        report.parcels_by_polygon += 1;
                        VillageId(v)
                    }
                    None => VillageId::UNASSIGNED,
                }
            }
        };
        if village == VillageId::UNASSIGNED {
            report.parcels_unassigned += 1;
        }
        // 图斑编码: the source's, else village code + sequence number (the census convention)
        let code = match pcode_i.and_then(|ci| f.attrs.get(ci)).and_then(attr_text) {
            Some(c) => c,
            None => {
                let n = per_village_seq.entry(village).or_insert(0);
                *n += 1;
                match villages
                    .get(village.index())
                    .map(|v| v.code.as_str())
                    .filter(|c| !c.is_empty())
                {
                    Some(vc) => format!("{vc}-{n:05}"),
                    None => format!("{stem}-{n:05}"),
                }
            }
        };
        let (code, renamed) = unique_code(code, |c| parcel_by_code.contains_key(c));
        duplicates += usize::from(renamed);
        let mut p = Parcel::new(code.clone(), village);
        for (field, si) in &pfields {
            if let Some(text) = f.attrs.get(*si).and_then(attr_text) {
                let res = field
                    .parse_value(&text)
                    .and_then(|v| field.set_parcel(&mut p, &v));
                note_value_problem(&mut report, *field, res, || format!("parcel {code}"));
            }
        }
        parcel_by_code.insert(code, idx);
        parcels.push(p);
    }
    if duplicates > 0 {
        report.warnings.push(format!(
            "{duplicates} duplicate parcel codes were made unique with a #N suffix"
        ));
    }
    report.parcels = parcels.len();

    // houses
    if !progress("joining houses to parcels", 0.65) {
        return Err(ImportError::Cancelled);
    }
    let parcel_index = FeatureIndex::build(&parcel_geoms);
    let mut building_geoms = PolygonStore::new();
    let mut buildings = Vec::new();
    if let Some(bl) = &mut buildings_in {
        building_geoms = PolygonStore::with_capacity(bl.raw.features.len(), 0);
        for f in &mut bl.raw.features {
            building_geoms.push(&f.geometry);
            f.geometry = MultiPolygon(Vec::new());
        }
    }
    let mut building_source = Vec::new();
    if let (Some(bl), Some(bm)) = (&mut buildings_in, &bmap) {
        let bfields: Vec<(Field, usize)> = bm
            .entries
            .iter()
            .filter_map(|e| {
                if let ImportKey::Field(f) = e.key {
                    Some((f, e.source))
                } else {
                    None
                }
            })
            .collect();
        let bcode_i = bm.source_of(ImportKey::BuildingCode);
        let link_i = bm.source_of(ImportKey::BuildingParcelCode);
        let bstem = bl.raw.name.clone();
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut bdup = 0usize;
        let mut per_parcel_seq: HashMap<u32, usize> = HashMap::new();
        let mut unjoined_seq = 0usize;
        // The parcel of each house: the one its parcel-code attribute names, else the one
        // holding its interior point (in parallel: the point-in-polygon work dominates).
        let joined: Vec<Option<u32>> = bl
            .raw
            .features
            .par_iter()
            .enumerate()
            .map(|(i, f)| {
                link_i
                    .and_then(|li| f.attrs.get(li))
                    .and_then(attr_text)
                    .and_then(|c| parcel_by_code.get(&c).copied())
                    .or_else(|| {
                        building_geoms
                            .interior_point(i as u32)
                            .and_then(|[x, y]| parcel_index.pick_one(&parcel_geoms, x, y))
                    })
            })
            .collect();
        let house_names = bl.raw.field_names.clone();
        let house_features = std::mem::take(&mut bl.raw.features);
        building_source.reserve(house_features.len());
        for (i, f) in with_source_json(house_features, &house_names, &mut building_source) {
            let idx = i as u32;
            let parcel = joined[i];
            let village = match parcel {
                Some(p) => parcels
                    .get(p as usize)
                    .map_or(VillageId::UNASSIGNED, |p: &Parcel| p.village),
                None => match code_of(&f.attrs, bm) {
                    Some(Ok(c)) => village_id.get(&c).copied().unwrap_or(VillageId::UNASSIGNED),
                    _ => building_geoms
                        .interior_point(idx)
                        .and_then(|[x, y]| village_index.pick_one(&village_geoms, x, y))
                        .map_or(VillageId::UNASSIGNED, VillageId),
                },
            };
            if parcel.is_some() {
                report.buildings_joined += 1;
            } else {
                report.buildings_unjoined += 1;
            }
            // 房屋编码: the source's, else parcel code + house number within the parcel
            let code = match bcode_i.and_then(|ci| f.attrs.get(ci)).and_then(attr_text) {
                Some(c) => c,
                None => match parcel.and_then(|p| {
                    parcels
                        .get(p as usize)
                        .map(|pp: &Parcel| (p, pp.code.clone()))
                }) {
                    Some((p, pcode)) => {
                        let n = per_parcel_seq.entry(p).or_insert(0);
                        *n += 1;
                        format!("{pcode}-F{n}")
                    }
                    None => {
                        unjoined_seq += 1;
                        format!("{bstem}-{unjoined_seq:05}")
                    }
                },
            };
            let (code, renamed) = unique_code(code, |c| seen.contains_key(c));
            bdup += usize::from(renamed);
            seen.insert(code.clone(), ());
            let mut b = Building::new(code.clone());
            b.parcel = parcel;
            b.village = village;
            for (field, si) in &bfields {
                if let Some(text) = f.attrs.get(*si).and_then(attr_text) {
                    let res = field
                        .parse_value(&text)
                        .and_then(|v| field.set_building(&mut b, &v));
                    note_value_problem(&mut report, *field, res, || format!("house {code}"));
                }
            }
            buildings.push(b);
        }
        if bdup > 0 {
            report.warnings.push(format!(
                "{bdup} duplicate house codes were made unique with a #N suffix"
            ));
        }
    }
    report.buildings = buildings.len();

    // overlays
    let mut overlays = Vec::new();
    for o in &overlays_in {
        let name_i = o
            .raw
            .field_index("name")
            .or_else(|| o.raw.field_index("NAME"))
            .or_else(|| o.raw.field_index("名称"));
        let kind_i = o.raw.field_index("kind");
        let file = o
            .raw
            .path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for f in &o.raw.features {
            overlays.push(Overlay {
                name: name_i
                    .and_then(|i| f.attrs.get(i))
                    .and_then(attr_text)
                    .unwrap_or_else(|| o.raw.name.clone()),
                kind: kind_i
                    .and_then(|i| f.attrs.get(i))
                    .and_then(attr_text)
                    .unwrap_or_default(),
                source: file.clone(),
                geometry: f.geometry.clone(),
            });
        }
    }

    if !progress("checking rules", 0.75) {
        return Err(ImportError::Cancelled);
    }
    let survey = Survey::new(villages, parcels, buildings);
    let mut by_rule: BTreeMap<Rule, usize> = BTreeMap::new();
    for i in 0..survey.parcels.len() {
        for v in survey.violations(crate::domain::edit::Target::Parcel(i as u32)) {
            *by_rule.entry(v.rule).or_default() += 1;
        }
    }
    for i in 0..survey.buildings.len() {
        for v in survey.violations(crate::domain::edit::Target::Building(i as u32)) {
            *by_rule.entry(v.rule).or_default() += 1;
        }
    }
    report.rule_violations = by_rule
        .into_iter()
        .map(|(r, n)| (format!("{} ({})", r.code(), r.message_zh()), n))
        .collect();

    report.layers.push(parcels_in.report.clone());
    report
        .layers
        .extend(buildings_in.as_ref().map(|b| b.report.clone()));
    report.layers.extend(villages_in.map(|v| v.report));
    report
        .layers
        .extend(overlays_in.into_iter().map(|o| o.report));

    if !progress("writing the project", 0.8) {
        return Err(ImportError::Cancelled);
    }
    let source = SourceAttrs {
        parcels: parcel_source,
        buildings: building_source,
    };
    let data = ProjectData {
        survey,
        parcel_geoms,
        building_geoms,
        village_geoms,
        overlays,
    };
    let inputs: Vec<String> = report
        .layers
        .iter()
        .map(|l| format!("{}={}", l.role, l.path.display()))
        .collect();
    write_new(
        &req.output,
        &data,
        &source,
        &[
            ("import_inputs", inputs.join("; ")),
            ("fangcha_version", env!("CARGO_PKG_VERSION").to_string()),
        ],
        req.overwrite,
    )?;
    let _ = progress("done", 1.0);
    report.elapsed = started.elapsed();
    Ok(report)
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Imported into {} in {:.2} s",
            self.output.display(),
            self.elapsed.as_secs_f64()
        )?;
        for l in &self.layers {
            writeln!(f, "  {} ← {}", l.role, l.path.display())?;
            writeln!(f, "    features: {}", l.features)?;
            for (reason, n) in &l.skipped {
                writeln!(f, "    skipped: {n} {reason}")?;
            }
            if let Some(e) = &l.encoding {
                writeln!(f, "    encoding: {e}")?;
            }
            writeln!(f, "    CRS: {}", l.crs)?;
            if !l.mapping.is_empty() {
                let m: Vec<String> = l
                    .mapping
                    .iter()
                    .map(|(k, s, how)| format!("{k} ← {s} ({how})"))
                    .collect();
                writeln!(f, "    fields: {}", m.join(", "))?;
            }
            if l.invalid > 0 {
                writeln!(f, "    invalid geometries (kept): {}", l.invalid)?;
                for e in &l.invalid_examples {
                    writeln!(f, "      {e}")?;
                }
            }
            for w in &l.warnings {
                writeln!(f, "    warning: {w}")?;
            }
        }
        writeln!(
            f,
            "  parcels 图斑: {} (village by code {}, by polygon {}, unassigned 未分配 {})",
            self.parcels, self.parcels_by_code, self.parcels_by_polygon, self.parcels_unassigned
        )?;
        writeln!(
            f,
            "  houses 自建房: {} (in a parcel {}, in no parcel {})",
            self.buildings, self.buildings_joined, self.buildings_unjoined
        )?;
        writeln!(
            f,
            "  villages 村/社区: {} ({} with a boundary polygon, {} without a name in the code lists)",
            self.villages, self.villages_with_polygon, self.unnamed_villages
        )?;
        for (field, p) in &self.value_problems {
            writeln!(
                f,
                "  warning: {} values of {field} did not fit and were left empty, e.g.",
                p.count
            )?;
            for e in &p.examples {
                writeln!(f, "      {e}")?;
            }
        }
        for (rule, n) in &self.rule_violations {
            writeln!(f, "  rule: {n} records break {rule}")?;
        }
        for w in &self.warnings {
            writeln!(f, "  warning: {w}")?;
        }
        Ok(())
    }
}
