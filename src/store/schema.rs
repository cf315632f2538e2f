//! The project file's schema: the GeoPackage core tables (OGC 12-128r18 §1.1), the rtree
//! spatial index extension (§F.3) for every feature table, our feature tables and the edit log.
//!
//! Schema versions: GeoPackage requires `PRAGMA user_version` to hold the GeoPackage version
//! (10400 for 1.4), so fangcha's own schema version lives in `fangcha_meta.schema_version`
//! and [`migrate`] upgrades older files in place.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::fields::{Field, FieldKind, Layer};

/// `application_id` of a GeoPackage ("GPKG").
pub const GPKG_APPLICATION_ID: i32 = 0x4750_4B47;
/// `user_version` of a GeoPackage 1.4 file.
pub const GPKG_USER_VERSION: i32 = 10400;
/// Current fangcha schema version.
pub const SCHEMA_VERSION: i64 = 1;
/// srs_id of the project CRS (CGCS2000 geographic).
pub const SRS_ID: i32 = 4490;

const WKT_4490: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#;
const WKT_4326: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]"#;

/// The feature tables of a project: (table, Chinese description).
pub const FEATURE_TABLES: [(&str, &str); 4] = [
    ("parcels", "图斑"),
    ("buildings", "自建房"),
    ("villages", "村/社区"),
    ("overlays", "参考图层"),
];

/// SQL column type of a field (GeoPackage data types, §1.1.1.1.3 Table 1).
pub fn sql_type(field: Field) -> &'static str {
    match field.kind() {
        FieldKind::Text | FieldKind::Enum(_) | FieldKind::Set(_) => "TEXT",
        FieldKind::Int { .. } => "INTEGER",
        FieldKind::Real => "REAL",
        FieldKind::Bool => "BOOLEAN",
        FieldKind::Date => "DATE",
    }
}

/// The survey columns of a layer (every registry field but the code, which has its own column).
pub fn survey_columns(layer: Layer) -> Vec<Field> {
    Field::of_layer(layer)
        .filter(|f| !matches!(f, Field::ParcelCode | Field::BuildingCode))
        .collect()
}

fn core_ddl() -> String {
    format!(
        r#"
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{WKT_4326}', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid'),
  ('China Geodetic Coordinate System 2000', 4490, 'EPSG', 4490, '{WKT_4490}', 'CGCS2000 longitude/latitude in decimal degrees');
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE fangcha_meta (key TEXT PRIMARY KEY, value TEXT);
"#
    )
}

fn feature_table_ddl(table: &str) -> String {
    let cols: Vec<String> = match table {
        "parcels" => {
            let mut c = vec![
                "parcel_code TEXT NOT NULL UNIQUE".to_string(),
                "village_code TEXT".to_string(),
            ];
            c.extend(
                survey_columns(Layer::Parcel)
                    .into_iter()
                    .map(|f| format!("\"{}\" {}", f.key(), sql_type(f))),
            );
            c.push("source_attrs TEXT".into());
            c
        }
        "buildings" => {
            let mut c = vec![
                "building_code TEXT NOT NULL UNIQUE".to_string(),
                "parcel_code TEXT".to_string(),
                "village_code TEXT".to_string(),
            ];
            c.extend(
                survey_columns(Layer::Building)
                    .into_iter()
                    .map(|f| format!("\"{}\" {}", f.key(), sql_type(f))),
            );
            c.push("source_attrs TEXT".into());
            c
        }
        "villages" => vec![
            "village_code TEXT NOT NULL UNIQUE".into(),
            "village_name TEXT".into(),
            "township_code TEXT".into(),
            "township_name TEXT".into(),
            "county_code TEXT".into(),
            "county_name TEXT".into(),
        ],
        _ => vec!["name TEXT".into(), "kind TEXT".into(), "source TEXT".into()],
    };
    format!(
        "CREATE TABLE \"{table}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON, {});",
        cols.join(", ")
    )
}

/// The rtree table and the triggers of the gpkg_rtree_index extension (OGC 12-128r18 §F.3).
fn rtree_ddl(t: &str) -> String {
    let r = format!("rtree_{t}_geom");
    let vals =
        "NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)";
    format!(
        r#"
CREATE VIRTUAL TABLE "{r}" USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER "{r}_insert" AFTER INSERT ON "{t}" WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO "{r}" VALUES ({vals}); END;
CREATE TRIGGER "{r}_update1" AFTER UPDATE OF geom ON "{t}"
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO "{r}" VALUES ({vals}); END;
CREATE TRIGGER "{r}_update2" AFTER UPDATE OF geom ON "{t}"
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM "{r}" WHERE id = OLD.fid; END;
CREATE TRIGGER "{r}_update3" AFTER UPDATE ON "{t}"
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM "{r}" WHERE id = OLD.fid; INSERT OR REPLACE INTO "{r}" VALUES ({vals}); END;
CREATE TRIGGER "{r}_update4" AFTER UPDATE ON "{t}"
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM "{r}" WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER "{r}_delete" AFTER DELETE ON "{t}" WHEN old.geom NOT NULL
BEGIN DELETE FROM "{r}" WHERE id = OLD.fid; END;
"#
    )
}

const EDIT_LOG_DDL: &str = r#"
CREATE TABLE edit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  edit_group INTEGER NOT NULL,
  edited_at DATETIME NOT NULL,
  user TEXT NOT NULL,
  action TEXT NOT NULL,
  layer TEXT NOT NULL,
  fid INTEGER NOT NULL,
  feature_code TEXT NOT NULL,
  field TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  round TEXT);
CREATE INDEX edit_log_feature ON edit_log(layer, fid);
"#;

/// Creates every table of an empty project file (inside the caller's transaction).
/// The rtree tables and triggers are created by [`create_spatial_indexes`] after bulk loading.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA application_id = {GPKG_APPLICATION_ID}; PRAGMA user_version = {GPKG_USER_VERSION};"
    ))?;
    conn.execute_batch(&core_ddl())?;
    for (table, zh) in FEATURE_TABLES {
        conn.execute_batch(&feature_table_ddl(table))?;
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?1, 'features', ?1, ?2, ?3)",
            params![table, zh, SRS_ID],
        )?;
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', 'MULTIPOLYGON', ?2, 0, 0)",
            params![table, SRS_ID],
        )?;
    }
    conn.execute_batch(EDIT_LOG_DDL)?;
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('edit_log', 'attributes', 'edit_log', '编辑日志')",
        [],
    )?;
    conn.execute(
        "CREATE INDEX buildings_parcel ON buildings(parcel_code)",
        [],
    )?;
    set_meta(conn, "schema_version", &SCHEMA_VERSION.to_string())?;
    Ok(())
}

/// Fills the rtree of every feature table, adds the triggers and registers the extension, and
/// stores each table's extent in gpkg_contents. Tables named in `bulk` with the boxes of their
/// rows (row `fid` = index + 1; empty boxes for empty geometries) are packed by
/// [`super::rtree_bulk::bulk_load`]; the others are filled from their rows with SQL.
pub fn create_spatial_indexes(
    conn: &Connection,
    bulk: &[(&str, &[crate::spatial::geometry::Bbox])],
) -> rusqlite::Result<()> {
    for (t, _) in FEATURE_TABLES {
        conn.execute_batch(&rtree_ddl(t))?;
        let rtree = format!("rtree_{t}_geom");
        match bulk.iter().find(|(name, _)| *name == t) {
            Some((_, boxes)) => {
                super::rtree_bulk::bulk_load(
                    conn,
                    &rtree,
                    boxes.iter().enumerate().map(|(i, b)| (i as i64 + 1, *b)),
                )?;
                let mut extent = crate::spatial::geometry::Bbox::EMPTY;
                for b in boxes.iter() {
                    extent.union(b);
                }
                if !extent.is_empty() {
                    conn.execute(
                        "UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) = (?2, ?3, ?4, ?5) \
                         WHERE table_name = ?1",
                        params![t, extent.min_x, extent.max_x, extent.min_y, extent.max_y],
                    )?;
                }
            }
            None => {
                conn.execute(
                    &format!(
                        "INSERT INTO \"{rtree}\" SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) \
                         FROM \"{t}\" WHERE geom NOT NULL AND NOT ST_IsEmpty(geom)"
                    ),
                    [],
                )?;
                conn.execute(
                    &format!(
                        "UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) = \
                         (SELECT min(minx), max(maxx), min(miny), max(maxy) FROM \"{rtree}\") WHERE table_name = ?1"
                    ),
                    params![t],
                )?;
            }
        }
        conn.execute(
            "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            params![t],
        )?;
    }
    Ok(())
}

/// Writes a key of `fangcha_meta`.
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO fangcha_meta (key, value) VALUES (?1, ?2)",
        params![key, value],
    )?;
    Ok(())
}

/// Reads a key of `fangcha_meta`.
pub fn get_meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT value FROM fangcha_meta WHERE key = ?1",
        params![key],
        |r| r.get(0),
    )
    .optional()
}

/// Why a file cannot be opened as a project.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Not a fangcha project (no fangcha_meta or no survey tables).
    #[error(
        "not a fangcha project (a GeoPackage without the fangcha tables); import data with `fangcha import`"
    )]
    NotProject,
    /// Written by a newer fangcha.
    #[error(
        "project schema version {0} is newer than this fangcha supports ({SCHEMA_VERSION}); update fangcha"
    )]
    TooNew(i64),
}

/// Checks that a file is a fangcha project this version can read (no writes).
pub fn check_version(conn: &Connection) -> Result<(), SchemaError> {
    let has_meta: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='fangcha_meta'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    if !has_meta {
        return Err(SchemaError::NotProject);
    }
    let version: i64 = get_meta(conn, "schema_version")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if version > SCHEMA_VERSION {
        return Err(SchemaError::TooNew(version));
    }
    Ok(())
}

/// Checks the schema version and upgrades an older project in place (in one transaction).
pub fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    let has_meta: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='fangcha_meta'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    if !has_meta {
        return Err(SchemaError::NotProject);
    }
    let version: i64 = get_meta(conn, "schema_version")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if version > SCHEMA_VERSION {
        return Err(SchemaError::TooNew(version));
    }
    if version < SCHEMA_VERSION {
        let tx = conn.transaction()?;
        // Version 0 → 1: no structural change; future migrations go here, one step at a time.
        set_meta(&tx, "schema_version", &SCHEMA_VERSION.to_string())?;
        tx.commit()?;
    }
    Ok(())
}
