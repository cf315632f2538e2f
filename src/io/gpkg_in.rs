//! GeoPackage (OGC 12-128r18) feature layer reader.
//!
//! The file is opened read-only with SQLite. Geometry blobs (GeoPackage binary header + WKB,
//! ISO or EWKB type codes, XY/Z/M/ZM) are decoded by a small bounds-checked parser of our own
//! rather than `geozero`: geozero's `GeoWriter` allocates `Vec::with_capacity(count)` straight
//! from the counts in the blob, so one corrupt blob could abort the process, and it asserts
//! writer state with `debug_assert!`. Only polygons are needed here, and a corrupt blob must be a
//! counted skip, never a crash.

use std::collections::HashMap;
use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::error::ReadError;
use super::source::{DeclaredCrs, RawFeature, RawLayer};
use crate::domain::fields::Value;

/// Reads one feature table of a GeoPackage.
///
/// `layer` names the table (exact name, or case-insensitive when that is unambiguous). When it
/// is `None`, the first feature table (in `gpkg_contents` order) whose geometry type can hold
/// polygons (POLYGON, MULTIPOLYGON, GEOMETRY, GEOMETRYCOLLECTION, the SURFACE types) is read,
/// with a warning naming the other such tables.
///
/// Polygon and MultiPolygon geometries (and GeometryCollections holding only polygons) are kept,
/// in the coordinates of the table's CRS (x = easting/longitude; Z and M dropped); other types are
/// counted in [`RawLayer::skipped`] by WKB type name, NULL geometries as "null geometry", empty ones
/// as "empty geometry", those without a ring of at least 3 distinct positions as "degenerate
/// geometry", undecodable blobs and polygons with a NaN or infinite coordinate as "invalid geometry" (with a warning quoting the first problem). Every column except the geometry and the integer primary key becomes an attribute:
/// INTEGER → `Int` (`Bool` when declared BOOLEAN), REAL → `Real`, TEXT → `Text`, NULL and BLOB →
/// `Null`.
///
/// CRS: the `srs_id` of the geometry column looked up in `gpkg_spatial_ref_sys`: organization
/// EPSG → [`DeclaredCrs::Epsg`], otherwise the WKT definition → [`DeclaredCrs::Wkt`]; the
/// "undefined" systems (srs_id 0 and -1) give `None` and a warning.
///
/// # Errors
/// [`ReadError::Open`] when the file does not exist; [`ReadError::Invalid`] when it is not a
/// GeoPackage (empty, not SQLite, or without `gpkg_contents` / `gpkg_geometry_columns`), has no feature
/// table, has no polygon table (when `layer` is `None`), has no table named `layer`, or uses an
/// `srs_id` missing from `gpkg_spatial_ref_sys`; [`ReadError::Sqlite`] for other SQLite failures.
pub fn read_gpkg_layer(path: &Path, layer: Option<&str>) -> Result<RawLayer, ReadError> {
    let meta = std::fs::metadata(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() == 0 {
        // SQLite would read it as an empty database
        return Err(ReadError::invalid(
            path,
            "empty file (0 bytes): not a GeoPackage",
        ));
    }
    let sql_err = |source: rusqlite::Error| ReadError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_err)?;

    let tables = list_tables(&conn).map_err(|e| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => {
            ReadError::invalid(path, "not a GeoPackage (not an SQLite database)")
        }
        _ => sql_err(e),
    })?;
    for required in ["gpkg_contents", "gpkg_geometry_columns"] {
        if !tables.iter().any(|t| t.eq_ignore_ascii_case(required)) {
            return Err(ReadError::invalid(
                path,
                format!("not a GeoPackage (no {required} table)"),
            ));
        }
    }

    let layers = feature_tables(&conn).map_err(sql_err)?;
    if layers.is_empty() {
        return Err(ReadError::invalid(
            path,
            "the GeoPackage has no feature tables (layers)",
        ));
    }
    let mut warnings = Vec::new();
    let chosen = match layer {
        Some(name) => find_layer(&layers, name).ok_or_else(|| {
            let names: Vec<&str> = layers.iter().map(|l| l.table.as_str()).collect();
            ReadError::invalid(
                path,
                format!("no layer “{name}”; its layers are: {}", names.join(", ")),
            )
        })?,
        None => {
            let polygonal: Vec<&FeatureTable> =
                layers.iter().filter(|l| l.is_polygonal()).collect();
            let Some(&first) = polygonal.first() else {
                let list: Vec<String> = layers
                    .iter()
                    .map(|l| format!("{} ({})", l.table, l.geometry_type))
                    .collect();
                return Err(ReadError::invalid(
                    path,
                    format!(
                        "the GeoPackage has no polygon layer; its layers are: {}",
                        list.join(", ")
                    ),
                ));
            };
            if polygonal.len() > 1 {
                let others: Vec<&str> =
                    polygonal.iter().skip(1).map(|l| l.table.as_str()).collect();
                warnings.push(format!(
                    "read layer “{}”; other polygon layers: {} (choose one with --layer)",
                    first.table,
                    others.join(", ")
                ));
            }
            first
        }
    };

    let declared_crs = srs_crs(&conn, chosen.srs_id, &mut warnings).map_err(|e| match e {
        SrsError::Missing => ReadError::invalid(
            path,
            format!(
                "unknown srs_id {} (layer “{}”; not in gpkg_spatial_ref_sys)",
                chosen.srs_id, chosen.table
            ),
        ),
        SrsError::Sql(e) => sql_err(e),
    })?;

    let mut out = RawLayer {
        path: path.to_path_buf(),
        name: chosen.table.clone(),
        declared_crs,
        encoding: Some("UTF-8 (GeoPackage)".to_string()),
        warnings,
        ..RawLayer::default()
    };
    read_features(&conn, chosen, &mut out).map_err(|e| match e {
        FeatureError::Sql(e) => sql_err(e),
        FeatureError::Invalid(message) => ReadError::invalid(path, message),
    })?;
    Ok(out)
}

/// Names of all tables and views.
fn list_tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")?;
    let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
    rows.collect()
}

/// A feature table registered in `gpkg_contents` and `gpkg_geometry_columns`.
#[derive(Debug, Clone)]
struct FeatureTable {
    table: String,
    geometry_column: String,
    geometry_type: String,
    srs_id: i64,
}

impl FeatureTable {
    /// True when the declared geometry type can hold polygons.
    fn is_polygonal(&self) -> bool {
        let t = self.geometry_type.to_ascii_uppercase();
        t.contains("POLYGON")
            || t.contains("SURFACE")
            || t == "GEOMETRY"
            || t == "GEOMETRYCOLLECTION"
    }
}

/// Feature tables in `gpkg_contents` order.
fn feature_tables(conn: &Connection) -> rusqlite::Result<Vec<FeatureTable>> {
    let mut columns: HashMap<String, (String, String, i64)> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT table_name, column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                row.get::<_, Option<i64>>(3)?.unwrap_or(0),
            ))
        })?;
        for row in rows {
            let (table, column, kind, srs) = row?;
            columns
                .entry(table.to_ascii_lowercase())
                .or_insert((column, kind, srs));
        }
    }
    let contents: Vec<(String, String)> = {
        let query = |sql: &str| -> rusqlite::Result<Vec<(String, String)>> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })?;
            rows.collect()
        };
        match query("SELECT table_name, data_type FROM gpkg_contents ORDER BY rowid") {
            Ok(rows) => rows,
            Err(_) => query("SELECT table_name, data_type FROM gpkg_contents")?,
        }
    };
    Ok(contents
        .into_iter()
        .filter(|(_, data_type)| data_type.eq_ignore_ascii_case("features"))
        .filter_map(|(table, _)| {
            let (geometry_column, geometry_type, srs_id) =
                columns.get(&table.to_ascii_lowercase())?.clone();
            Some(FeatureTable {
                table,
                geometry_column,
                geometry_type,
                srs_id,
            })
        })
        .collect())
}

/// Finds a layer by exact name, else by a unique case-insensitive match.
fn find_layer<'a>(layers: &'a [FeatureTable], name: &str) -> Option<&'a FeatureTable> {
    if let Some(exact) = layers.iter().find(|l| l.table == name) {
        return Some(exact);
    }
    let mut matches = layers.iter().filter(|l| l.table.eq_ignore_ascii_case(name));
    let first = matches.next()?;
    if matches.next().is_some() {
        None
    } else {
        Some(first)
    }
}

enum SrsError {
    Missing,
    Sql(rusqlite::Error),
}

/// The declared CRS of an `srs_id`.
fn srs_crs(
    conn: &Connection,
    srs_id: i64,
    warnings: &mut Vec<String>,
) -> Result<Option<DeclaredCrs>, SrsError> {
    let mut stmt = conn
        .prepare("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1")
        .map_err(SrsError::Sql)?;
    let mut rows = stmt.query([srs_id]).map_err(SrsError::Sql)?;
    let Some(row) = rows.next().map_err(SrsError::Sql)? else {
        return Err(SrsError::Missing);
    };
    let organization: Option<String> = row.get(0).map_err(SrsError::Sql)?;
    let code: Option<i64> = row.get(1).map_err(SrsError::Sql)?;
    let definition: Option<String> = row.get(2).map_err(SrsError::Sql)?;
    if organization
        .as_deref()
        .is_some_and(|o| o.trim().eq_ignore_ascii_case("EPSG"))
        && let Some(code) = code.and_then(|c| u32::try_from(c).ok()).filter(|c| *c > 0)
    {
        return Ok(Some(DeclaredCrs::Epsg(code)));
    }
    match definition.as_deref().map(str::trim) {
        Some(wkt) if !wkt.is_empty() && !wkt.eq_ignore_ascii_case("undefined") => {
            Ok(Some(DeclaredCrs::Wkt(wkt.to_string())))
        }
        _ => {
            warnings.push(format!("the layer's CRS is undefined (srs_id {srs_id})"));
            Ok(None)
        }
    }
}

enum FeatureError {
    Sql(rusqlite::Error),
    Invalid(String),
}

impl From<rusqlite::Error> for FeatureError {
    fn from(e: rusqlite::Error) -> Self {
        FeatureError::Sql(e)
    }
}

/// Double-quotes an SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One attribute column.
struct Column {
    name: String,
    boolean: bool,
}

/// Reads the rows of `table` into `out`.
fn read_features(
    conn: &Connection,
    table: &FeatureTable,
    out: &mut RawLayer,
) -> Result<(), FeatureError> {
    let mut info: Vec<(String, String, i64)> = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT name, type, pk FROM pragma_table_info(?1)")?;
        let rows = stmt.query_map([&table.table], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                row.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            info.push(row?);
        }
    }
    if info.is_empty() {
        return Err(FeatureError::Invalid(format!(
            "layer “{}” is registered but its table is missing",
            table.table
        )));
    }
    let Some(geometry) = info
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(&table.geometry_column))
    else {
        return Err(FeatureError::Invalid(format!(
            "geometry column “{}” not found in table “{}”",
            table.geometry_column, table.table
        )));
    };
    let geometry = geometry.0.clone();
    let pks: Vec<&(String, String, i64)> = info.iter().filter(|(_, _, pk)| *pk > 0).collect();
    let integer_pk = match pks.as_slice() {
        [(name, kind, _)] if kind.eq_ignore_ascii_case("INTEGER") => Some(name.clone()),
        _ => None,
    };
    let columns: Vec<Column> = info
        .iter()
        .filter(|(n, _, _)| *n != geometry && Some(n) != integer_pk.as_ref())
        .map(|(n, kind, _)| Column {
            name: n.clone(),
            boolean: kind.eq_ignore_ascii_case("BOOLEAN"),
        })
        .collect();
    out.field_names = columns.iter().map(|c| c.name.clone()).collect();

    let mut select: Vec<String> = vec![quote(&geometry)];
    select.extend(columns.iter().map(|c| quote(&c.name)));
    let mut sql = format!("SELECT {} FROM {}", select.join(", "), quote(&table.table));
    if let Some(pk) = &integer_pk {
        sql.push_str(&format!(" ORDER BY {}", quote(pk)));
    }
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut source_index = 0usize;
    let mut first_problem: Option<String> = None;
    let mut invalid = 0usize;
    let mut degenerate = 0usize;
    while let Some(row) = rows.next()? {
        let degenerate_before = degenerate;
        let index = source_index;
        source_index += 1;
        let decoded = match row.get_ref(0)? {
            ValueRef::Null => Err(Skip::Null),
            ValueRef::Blob(blob) => decode_gpkg_geometry(blob, &mut degenerate).map_err(|e| {
                invalid += 1;
                if first_problem.is_none() {
                    first_problem = Some(format!("row {}: {e}", index + 1));
                }
                Skip::Invalid
            }),
            _ => {
                invalid += 1;
                if first_problem.is_none() {
                    first_problem = Some(format!("row {}: the geometry is not a blob", index + 1));
                }
                Err(Skip::Invalid)
            }
        };
        let polygons = match decoded {
            Ok(Geom::Polygons(p)) if !p.is_empty() => p,
            Ok(Geom::Polygons(_)) => {
                let key = if degenerate > degenerate_before {
                    "degenerate geometry"
                } else {
                    "empty geometry"
                };
                *out.skipped.entry(key.to_string()).or_default() += 1;
                continue;
            }
            Ok(Geom::Other(name)) => {
                *out.skipped.entry(name.to_string()).or_default() += 1;
                continue;
            }
            Err(skip) => {
                *out.skipped.entry(skip.key().to_string()).or_default() += 1;
                continue;
            }
        };
        let mut attrs = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            attrs.push(match row.get_ref(i + 1)? {
                ValueRef::Null | ValueRef::Blob(_) => Value::Null,
                ValueRef::Integer(v) if column.boolean => Value::Bool(v != 0),
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) if v.is_finite() => Value::Real(v),
                ValueRef::Real(_) => Value::Null,
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            });
        }
        out.features.push(RawFeature {
            geometry: MultiPolygon(polygons),
            attrs,
            source_index: index,
        });
    }
    if degenerate > 0 {
        out.warnings.push(format!(
            "{degenerate} rings with fewer than 3 positions were dropped"
        ));
    }
    if let Some(problem) = first_problem {
        out.warnings.push(format!(
            "{invalid} geometries could not be decoded (first: {problem})"
        ));
    }
    Ok(())
}

/// Why a row's geometry was not kept (before decoding).
enum Skip {
    Null,
    Invalid,
}

impl Skip {
    fn key(&self) -> &'static str {
        match self {
            Skip::Null => "null geometry",
            Skip::Invalid => "invalid geometry",
        }
    }
}

/// A decoded geometry: its polygons, or the name of a non-polygonal type.
#[derive(Debug, Clone, PartialEq)]
enum Geom {
    Polygons(Vec<Polygon<f64>>),
    Other(&'static str),
}

/// Decodes the polygons of a GeoPackage geometry blob (`GP` header + WKB, or plain WKB):
/// `Ok(None)` for a non-polygonal geometry, an error in a few words for a malformed blob.
/// Bounds-checked: counts in the blob never drive an allocation beyond the blob's size.
pub fn decode_polygons(blob: &[u8]) -> Result<Option<geo_types::MultiPolygon<f64>>, String> {
    let mut degenerate = 0usize;
    match decode_gpkg_geometry(blob, &mut degenerate)? {
        Geom::Polygons(p) => Ok(Some(geo_types::MultiPolygon(p))),
        Geom::Other(_) => Ok(None),
    }
}

/// Decodes a GeoPackage geometry blob (`GP` header + WKB). Plain WKB without the header is
/// accepted too. Errors describe the problem in a few words.
fn decode_gpkg_geometry(blob: &[u8], degenerate: &mut usize) -> Result<Geom, String> {
    let mut reader = Wkb {
        bytes: blob,
        pos: 0,
        degenerate: 0,
    };
    if blob.starts_with(b"GP") {
        let head = reader.take(4)?;
        let flags = head[3];
        if flags & 0b0010_0000 != 0 {
            return Ok(Geom::Other("extended geometry"));
        }
        let envelope = match (flags >> 1) & 0b111 {
            0 => 0,
            1 => 32,
            2 | 3 => 48,
            4 => 64,
            other => return Err(format!("invalid envelope code {other}")),
        };
        reader.take(4 + envelope)?;
        if flags & 0b0001_0000 != 0 {
            return Ok(Geom::Polygons(Vec::new()));
        }
    }
    let geom = read_geometry(&mut reader, 0);
    *degenerate += reader.degenerate;
    geom
}

/// A bounds-checked cursor over WKB bytes.
struct Wkb<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Rings dropped for having fewer than 3 distinct positions.
    degenerate: usize,
}

impl<'a> Wkb<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or("the geometry blob is truncated")?;
        self.pos = end;
        Ok(slice)
    }
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }
    fn u32(&mut self, le: bool) -> Result<u32, String> {
        let b = self.take(4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
    fn f64(&mut self, le: bool) -> Result<f64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(if le {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        })
    }
    /// A count that must fit in the remaining bytes at `min_size` bytes per item.
    fn count(&mut self, le: bool, min_size: usize) -> Result<usize, String> {
        let n = self.u32(le)? as usize;
        if n > self.remaining() / min_size.max(1) {
            return Err("the geometry blob is truncated".to_string());
        }
        Ok(n)
    }
}

/// Reads one WKB geometry (ISO or EWKB type codes).
fn read_geometry(w: &mut Wkb<'_>, depth: usize) -> Result<Geom, String> {
    if depth > 32 {
        return Err("geometry collections nested too deeply".to_string());
    }
    let le = match w.take(1)?[0] {
        0 => false,
        1 => true,
        other => return Err(format!("invalid WKB byte order {other}")),
    };
    let raw = w.u32(le)?;
    let mut has_z = raw & 0x8000_0000 != 0;
    let mut has_m = raw & 0x4000_0000 != 0;
    if raw & 0x2000_0000 != 0 {
        w.take(4)?; // EWKB SRID
    }
    let code = raw & 0x0FFF_FFFF;
    match code / 1000 {
        0 => {}
        1 => has_z = true,
        2 => has_m = true,
        3 => {
            has_z = true;
            has_m = true;
        }
        _ => return Err(format!("unknown WKB geometry type {raw}")),
    }
    let dims = 2 + usize::from(has_z) + usize::from(has_m);
    match code % 1000 {
        3 => Ok(Geom::Polygons(
            read_polygon(w, le, dims)?.into_iter().collect(),
        )),
        6 => {
            let n = w.count(le, 9)?;
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                match read_geometry(w, depth + 1)? {
                    Geom::Polygons(p) => out.extend(p),
                    Geom::Other(name) => return Err(format!("a MultiPolygon member is a {name}")),
                }
            }
            Ok(Geom::Polygons(out))
        }
        7 => {
            let n = w.count(le, 9)?;
            let mut out = Vec::new();
            for _ in 0..n {
                match read_geometry(w, depth + 1)? {
                    Geom::Polygons(p) => out.extend(p),
                    Geom::Other(_) => return Ok(Geom::Other("GeometryCollection")),
                }
            }
            Ok(Geom::Polygons(out))
        }
        1 => Ok(Geom::Other("Point")),
        2 => Ok(Geom::Other("LineString")),
        4 => Ok(Geom::Other("MultiPoint")),
        5 => Ok(Geom::Other("MultiLineString")),
        8 => Ok(Geom::Other("CircularString")),
        9 => Ok(Geom::Other("CompoundCurve")),
        10 => Ok(Geom::Other("CurvePolygon")),
        11 => Ok(Geom::Other("MultiCurve")),
        12 => Ok(Geom::Other("MultiSurface")),
        13 => Ok(Geom::Other("Curve")),
        14 => Ok(Geom::Other("Surface")),
        15 => Ok(Geom::Other("PolyhedralSurface")),
        16 => Ok(Geom::Other("TIN")),
        17 => Ok(Geom::Other("Triangle")),
        _ => Err(format!("unknown WKB geometry type {raw}")),
    }
}

/// Reads a WKB polygon body; `None` when it has no exterior ring. Rings with fewer than 3
/// distinct positions are dropped (and counted).
fn read_polygon(w: &mut Wkb<'_>, le: bool, dims: usize) -> Result<Option<Polygon<f64>>, String> {
    let ring_count = w.count(le, 4)?;
    let mut rings: Vec<Vec<Coord<f64>>> = Vec::with_capacity(ring_count);
    for _ in 0..ring_count {
        let n = w.count(le, 8 * dims)?;
        let mut coords = Vec::with_capacity(n);
        for _ in 0..n {
            let x = w.f64(le)?;
            let y = w.f64(le)?;
            if !x.is_finite() || !y.is_finite() {
                return Err("a coordinate is NaN or infinite".to_string());
            }
            if dims > 2 {
                w.take(8 * (dims - 2))?;
            }
            coords.push(Coord { x, y });
        }
        rings.push(coords);
    }
    let before = rings.len();
    rings.retain(|r| usable(r));
    w.degenerate += before - rings.len();
    let mut iter = rings.into_iter();
    let Some(exterior) = iter.next() else {
        return Ok(None);
    };
    let holes: Vec<LineString<f64>> = iter.map(LineString::from).collect();
    Ok(Some(Polygon::new(LineString::from(exterior), holes)))
}

/// At least 3 distinct positions (the closing one not counted).
fn usable(coords: &[Coord<f64>]) -> bool {
    let closed = coords.len() > 1 && coords.first() == coords.last();
    coords.len() - usize::from(closed) >= 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel)
    }

    #[test]
    fn bubenec_plots_and_buildings() {
        let path = data("real/bubenec.gpkg");
        let plots = read_gpkg_layer(&path, Some("plots")).expect("plots");
        assert_eq!(plots.features.len(), 407);
        assert_eq!(plots.declared_crs, Some(DeclaredCrs::Epsg(3857)));
        assert_eq!(
            plots.field_names,
            vec!["ID", "ID_2", "TYPPPD_KOD", "KATUZE_KOD", "OBEC_KOD"]
        );
        assert_eq!(plots.name, "plots");
        assert_eq!(plots.skipped_total(), 0);
        let x = plots.features[0].geometry.0[0].exterior().0[0].x;
        assert!((1_602_000.0..1_605_000.0).contains(&x), "{x}");
        assert!(
            plots
                .features
                .iter()
                .any(|f| matches!(f.attrs[3], Value::Int(_)))
        );

        let buildings = read_gpkg_layer(&path, Some("buildings")).expect("buildings");
        assert_eq!(buildings.features.len(), 144);
        assert_eq!(buildings.field_names, vec!["uID"]);

        // Default layer: the first polygon layer, with a warning naming the others.
        let first = read_gpkg_layer(&path, None).expect("default");
        assert_eq!(first.name, "tessellation");
        assert!(
            first
                .warnings
                .iter()
                .any(|w| w.contains("buildings") && w.contains("plots")),
            "{:?}",
            first.warnings
        );

        // Lines are skipped by type.
        let streets = read_gpkg_layer(&path, Some("streets")).expect("streets");
        assert!(streets.features.is_empty());
        assert_eq!(streets.skipped.get("LineString"), Some(&35));

        let err = read_gpkg_layer(&path, Some("roads")).expect_err("no such layer");
        assert!(
            err.to_string().contains("roads") && err.to_string().contains("plots"),
            "{err}"
        );
    }

    #[test]
    fn not_a_geopackage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("text.gpkg");
        std::fs::write(
            &p,
            "hello, this is not SQLite at all, just some text padding it out",
        )
        .expect("write");
        let err = read_gpkg_layer(&p, None).expect_err("text");
        assert!(err.to_string().contains("not a GeoPackage"), "{err}");

        let p = dir.path().join("plain.gpkg");
        let conn = Connection::open(&p).expect("open");
        conn.execute_batch("CREATE TABLE t(a INTEGER);")
            .expect("create");
        drop(conn);
        let err = read_gpkg_layer(&p, None).expect_err("plain sqlite");
        assert!(
            err.to_string()
                .contains("not a GeoPackage (no gpkg_contents table)"),
            "{err}"
        );

        let p = dir.path().join("empty.gpkg");
        std::fs::write(&p, b"").expect("write");
        assert!(read_gpkg_layer(&p, None).is_err());

        assert!(matches!(
            read_gpkg_layer(&dir.path().join("none.gpkg"), None),
            Err(ReadError::Open { .. })
        ));
    }

    fn wkb_polygon(rings: &[&[(f64, f64)]]) -> Vec<u8> {
        let mut b = vec![1u8];
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&(rings.len() as u32).to_le_bytes());
        for ring in rings {
            b.extend_from_slice(&(ring.len() as u32).to_le_bytes());
            for (x, y) in ring.iter() {
                b.extend_from_slice(&x.to_le_bytes());
                b.extend_from_slice(&y.to_le_bytes());
            }
        }
        b
    }

    fn gpkg_blob(wkb: &[u8], srs: i32) -> Vec<u8> {
        let mut b = b"GP".to_vec();
        b.push(0);
        b.push(0b0000_0011); // little endian, 32-byte envelope
        b.extend_from_slice(&srs.to_le_bytes());
        for v in [0.0f64, 1.0, 0.0, 1.0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(wkb);
        b
    }

    const SQUARE: &[(f64, f64)] = &[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)];

    #[test]
    fn blobs_decode_and_corrupt_blobs_never_panic() {
        let blob = gpkg_blob(&wkb_polygon(&[SQUARE]), 4490);
        let Ok(Geom::Polygons(p)) = decode_gpkg_geometry(&blob, &mut 0) else {
            panic!("polygon")
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].exterior().0.len(), 5);

        // Every truncation, and random byte flips, give an error or a value: never a panic.
        for cut in 0..blob.len() {
            let _ = decode_gpkg_geometry(&blob[..cut], &mut 0);
        }
        for i in 0..blob.len() {
            for v in [0u8, 0x7f, 0xff] {
                let mut b = blob.clone();
                b[i] = v;
                let _ = decode_gpkg_geometry(&b, &mut 0);
            }
        }
        // A huge ring count is refused before any allocation.
        let mut huge = vec![1u8];
        huge.extend_from_slice(&3u32.to_le_bytes());
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_gpkg_geometry(&huge, &mut 0).is_err());

        // MultiPolygon (big-endian member), Z coordinates, collections, other types.
        let mut mp = vec![1u8];
        mp.extend_from_slice(&6u32.to_le_bytes());
        mp.extend_from_slice(&2u32.to_le_bytes());
        mp.extend_from_slice(&wkb_polygon(&[SQUARE]));
        let mut be = vec![0u8];
        be.extend_from_slice(&3u32.to_be_bytes());
        be.extend_from_slice(&1u32.to_be_bytes());
        be.extend_from_slice(&4u32.to_be_bytes());
        for (x, y) in [(5.0f64, 5.0f64), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)] {
            be.extend_from_slice(&x.to_be_bytes());
            be.extend_from_slice(&y.to_be_bytes());
        }
        mp.extend_from_slice(&be);
        let Ok(Geom::Polygons(p)) = decode_gpkg_geometry(&mp, &mut 0) else {
            panic!("multipolygon")
        };
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].exterior().0[1], Coord { x: 6.0, y: 5.0 });

        let mut z = vec![1u8];
        z.extend_from_slice(&1003u32.to_le_bytes());
        z.extend_from_slice(&1u32.to_le_bytes());
        z.extend_from_slice(&4u32.to_le_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            for v in [x, y, 99.0] {
                z.extend_from_slice(&v.to_le_bytes());
            }
        }
        let Ok(Geom::Polygons(p)) = decode_gpkg_geometry(&z, &mut 0) else {
            panic!("polygon z")
        };
        assert_eq!(p[0].exterior().0[2], Coord { x: 1.0, y: 1.0 });

        let mut point = vec![1u8];
        point.extend_from_slice(&1u32.to_le_bytes());
        point.extend_from_slice(&1.0f64.to_le_bytes());
        point.extend_from_slice(&2.0f64.to_le_bytes());
        assert_eq!(
            decode_gpkg_geometry(&point, &mut 0),
            Ok(Geom::Other("Point"))
        );
        let mut gc = vec![1u8];
        gc.extend_from_slice(&7u32.to_le_bytes());
        gc.extend_from_slice(&2u32.to_le_bytes());
        gc.extend_from_slice(&wkb_polygon(&[SQUARE]));
        gc.extend_from_slice(&point);
        assert_eq!(
            decode_gpkg_geometry(&gc, &mut 0),
            Ok(Geom::Other("GeometryCollection"))
        );

        // The empty flag.
        let mut empty = gpkg_blob(&wkb_polygon(&[]), 0);
        empty[3] |= 0b0001_0000;
        assert_eq!(
            decode_gpkg_geometry(&empty, &mut 0),
            Ok(Geom::Polygons(Vec::new()))
        );
    }

    #[test]
    fn a_hand_made_geopackage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("村.gpkg");
        let conn = Connection::open(&p).expect("open");
        conn.execute_batch(
            "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT,
                 organization_coordsys_id INTEGER, definition TEXT, description TEXT);
             INSERT INTO gpkg_spatial_ref_sys VALUES ('undefined', 0, 'NONE', 0, 'undefined', NULL);
             INSERT INTO gpkg_spatial_ref_sys VALUES ('custom', 99, 'LOCAL', 99, 'LOCAL_CS[\"x\"]', NULL);
             CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT,
                 description TEXT, last_change TEXT, min_x REAL, min_y REAL, max_x REAL, max_y REAL, srs_id INTEGER);
             CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT,
                 srs_id INTEGER, z INTEGER, m INTEGER);
             INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('lines', 'features', 99);
             INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('parcels', 'features', 99);
             INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('bad_srs', 'features', 7);
             INSERT INTO gpkg_geometry_columns VALUES ('lines', 'geom', 'LINESTRING', 99, 0, 0);
             INSERT INTO gpkg_geometry_columns VALUES ('parcels', 'shape', 'MULTIPOLYGON', 99, 0, 0);
             INSERT INTO gpkg_geometry_columns VALUES ('bad_srs', 'geom', 'POLYGON', 7, 0, 0);
             CREATE TABLE lines (fid INTEGER PRIMARY KEY, geom BLOB);
             CREATE TABLE bad_srs (fid INTEGER PRIMARY KEY, geom BLOB);
             CREATE TABLE parcels (fid INTEGER PRIMARY KEY, shape BLOB, 图斑编码 TEXT, area REAL,
                 surveyed BOOLEAN, n INTEGER, photo BLOB);",
        )
        .expect("schema");
        let good = gpkg_blob(&wkb_polygon(&[SQUARE]), 99);
        conn.execute(
            "INSERT INTO parcels VALUES (1, ?1, '640324001001', 12.5, 1, 7, x'00')",
            [&good],
        )
        .expect("row");
        conn.execute(
            "INSERT INTO parcels VALUES (2, NULL, 'b', NULL, 0, NULL, NULL)",
            [],
        )
        .expect("row");
        conn.execute(
            "INSERT INTO parcels VALUES (3, x'47500003', 'c', NULL, 0, NULL, NULL)",
            [],
        )
        .expect("row");
        conn.execute(
            "INSERT INTO parcels VALUES (4, ?1, 'd', 1.0, 0, -3, NULL)",
            [&good],
        )
        .expect("row");
        drop(conn);

        let layer = read_gpkg_layer(&p, None).expect("read");
        assert_eq!(layer.name, "parcels");
        assert_eq!(
            layer.field_names,
            vec!["图斑编码", "area", "surveyed", "n", "photo"]
        );
        assert_eq!(layer.features.len(), 2);
        let f = &layer.features[0];
        assert_eq!(
            f.attrs,
            vec![
                Value::Text("640324001001".into()),
                Value::Real(12.5),
                Value::Bool(true),
                Value::Int(7),
                Value::Null
            ]
        );
        assert_eq!(layer.features[1].source_index, 3);
        assert_eq!(
            layer.declared_crs,
            Some(DeclaredCrs::Wkt("LOCAL_CS[\"x\"]".into()))
        );
        assert_eq!(layer.skipped.get("null geometry"), Some(&1));
        assert_eq!(layer.skipped.get("invalid geometry"), Some(&1));
        assert!(
            layer.warnings.iter().any(|w| w.contains("row 3")),
            "{:?}",
            layer.warnings
        );

        let err = read_gpkg_layer(&p, Some("bad_srs")).expect_err("unknown srs");
        assert!(err.to_string().contains("unknown srs_id 7"), "{err}");
        let layer = read_gpkg_layer(&p, Some("PARCELS")).expect("case-insensitive");
        assert_eq!(layer.name, "parcels");
    }
}
