//! The project file (工程文件): an OGC GeoPackage holding parcels, buildings, villages, overlays
//! and the edit log. Creating one is atomic (temporary file, then rename); every edit is one
//! WAL transaction with `synchronous = FULL`, so an edit reported saved survives a power cut.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use geo_types::{Geometry, MultiPolygon};
use rayon::prelude::*;
use rusqlite::{Connection, OpenFlags, params};

use super::geom::{GeomError, decode, encode_multipolygon, register_functions};
use super::schema::{self, SRS_ID, SchemaError, survey_columns};
use crate::domain::admin::{Village, VillageId};
use crate::domain::edit::{Edit, Target};
use crate::domain::fields::{Field, FieldKind, Layer, Value};
use crate::domain::records::{Building, Parcel};
use crate::domain::survey::Survey;
use crate::spatial::geometry::PolygonStore;

/// Store errors; each names the project file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("{path}: {source}")]
    Sqlite {
        /// Project file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: rusqlite::Error,
    },
    /// File system failure.
    #[error("{path}: {source}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Schema problem.
    #[error("{path}: {source}")]
    Schema {
        /// Project file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: SchemaError,
    },
    /// A geometry blob could not be encoded or decoded.
    #[error("{path}: {table} fid {fid}: {source}")]
    Geometry {
        /// Project file.
        path: PathBuf,
        /// Table.
        table: &'static str,
        /// Feature id.
        fid: i64,
        /// Cause.
        #[source]
        source: GeomError,
    },
    /// A stored value does not fit its field.
    #[error("{path}: {table} fid {fid}: {message}")]
    BadValue {
        /// Project file.
        path: PathBuf,
        /// Table.
        table: &'static str,
        /// Feature id.
        fid: i64,
        /// What is wrong.
        message: String,
    },
    /// The target exists and overwriting was not asked for.
    #[error("{0} already exists; choose another output or pass --overwrite")]
    Exists(PathBuf),
    /// The file does not exist.
    #[error("{0}: no such project file")]
    Missing(PathBuf),
    /// The project was opened read-only (another fangcha is editing it).
    #[error("{0}: opened read-only because another fangcha is editing it; edits are refused")]
    ReadOnly(PathBuf),
}

/// A reference layer drawn under the survey (e.g. an urban-renewal area boundary).
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    /// Display name.
    pub name: String,
    /// Kind (free text, e.g. `renewal_area`).
    pub kind: String,
    /// Where it came from (file name).
    pub source: String,
    /// Geometry in EPSG:4490.
    pub geometry: MultiPolygon<f64>,
}

/// Everything a project holds, in memory: the survey and the geometries aligned with it.
#[derive(Debug, Clone, Default)]
pub struct ProjectData {
    /// Villages, parcels and houses with their counters.
    pub survey: Survey,
    /// Parcel polygons, aligned with `survey.parcels`.
    pub parcel_geoms: PolygonStore,
    /// House footprints, aligned with `survey.buildings`.
    pub building_geoms: PolygonStore,
    /// Village polygons, aligned with `survey.villages` (empty geometry when unknown).
    pub village_geoms: PolygonStore,
    /// Reference layers.
    pub overlays: Vec<Overlay>,
}

/// The source attributes of imported records (JSON object text per record), kept in the
/// `source_attrs` column so the original fields survive the import. Not loaded into memory.
#[derive(Debug, Clone, Default)]
pub struct SourceAttrs {
    /// Aligned with parcels (empty = none).
    pub parcels: Vec<String>,
    /// Aligned with houses (empty = none).
    pub buildings: Vec<String>,
}

/// What an edit-log row records.
#[derive(Debug, Clone, PartialEq)]
pub struct EditLogEntry {
    /// Row id.
    pub id: i64,
    /// Rows of one edit share the group.
    pub group: i64,
    /// UTC time, ISO 8601.
    pub edited_at: String,
    /// Who.
    pub user: String,
    /// `edit`, `undo` or `redo`.
    pub action: String,
    /// `parcels` or `buildings`.
    pub layer: String,
    /// Feature id (dense index + 1).
    pub fid: i64,
    /// 图斑编码 or 房屋编码.
    pub feature_code: String,
    /// Field key.
    pub field: String,
    /// Old value (text form; empty for none).
    pub old_value: String,
    /// New value.
    pub new_value: String,
    /// Inspection round of the house at the time (building edits).
    pub round: String,
}

/// Why an edit is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditAction {
    /// A user's change.
    Edit,
    /// Undo of an earlier change.
    Undo,
    /// Redo of an undone change.
    Redo,
}

impl EditAction {
    /// Stable code in edit_log.action.
    pub fn code(self) -> &'static str {
        match self {
            EditAction::Edit => "edit",
            EditAction::Undo => "undo",
            EditAction::Redo => "redo",
        }
    }
}

fn sq(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Bool(b) => S::Integer(i64::from(*b)),
        Value::Int(i) => S::Integer(*i),
        Value::Real(r) => S::Real(*r),
        Value::Text(t) => S::Text(t.clone()),
    }
}

fn from_sql(field: Field, v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef as R;
    match (field.kind(), v) {
        (_, R::Null) => Value::Null,
        (FieldKind::Bool, R::Integer(i)) => Value::Bool(i != 0),
        (FieldKind::Real, R::Integer(i)) => Value::Real(i as f64),
        (FieldKind::Real, R::Real(r)) => Value::Real(r),
        (FieldKind::Int { .. }, R::Integer(i)) => Value::Int(i),
        (FieldKind::Int { .. }, R::Real(r)) => Value::Int(r as i64),
        (_, R::Text(t)) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        (_, R::Integer(i)) => Value::Int(i),
        (_, R::Real(r)) => Value::Real(r),
        (_, R::Blob(_)) => Value::Null,
    }
}

/// UTC now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn now_utc() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Writes a complete new project atomically: everything goes to a temporary file beside
/// `path` in one transaction, the spatial indexes are built, the file is synced and renamed
/// over `path`. On any error nothing is left behind. `meta` pairs go to `fangcha_meta`.
pub fn write_new(
    path: &Path,
    data: &ProjectData,
    source: &SourceAttrs,
    meta: &[(&str, String)],
    overwrite: bool,
) -> Result<(), StoreError> {
    if path.exists() && !overwrite {
        return Err(StoreError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".fangcha-")
        .suffix(".gpkg.tmp")
        .tempfile_in(&dir)
        .map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
    let tmp_path = tmp.path().to_path_buf();
    {
        // One thread writes this file: SQLite's own locking is not needed.
        let mut conn = Connection::open_with_flags(
            &tmp_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sq(&tmp_path))?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096; \
             PRAGMA cache_size = -65536; PRAGMA locking_mode = EXCLUSIVE;",
        )
        .map_err(sq(&tmp_path))?;
        register_functions(&conn).map_err(sq(&tmp_path))?;
        let tx = conn.transaction().map_err(sq(&tmp_path))?;
        schema::create(&tx).map_err(sq(&tmp_path))?;
        insert_all(&tx, &tmp_path, data, source)?;
        for (k, v) in meta {
            schema::set_meta(&tx, k, v).map_err(sq(&tmp_path))?;
        }
        schema::set_meta(&tx, "created_at", &now_utc()).map_err(sq(&tmp_path))?;
        schema::create_spatial_indexes(
            &tx,
            &[
                ("parcels", data.parcel_geoms.bboxes()),
                ("buildings", data.building_geoms.bboxes()),
            ],
        )
        .map_err(sq(&tmp_path))?;
        tx.commit().map_err(sq(&tmp_path))?;
        conn.execute_batch("PRAGMA journal_mode = WAL;")
            .map_err(sq(&tmp_path))?;
        conn.close().map_err(|(_, e)| sq(&tmp_path)(e))?;
    }
    tmp.as_file().sync_all().map_err(|source| StoreError::Io {
        path: tmp_path.clone(),
        source,
    })?;
    if overwrite {
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = PathBuf::from(side);
            if side.exists() {
                std::fs::remove_file(&side).map_err(|source| StoreError::Io {
                    path: side.clone(),
                    source,
                })?;
            }
        }
    }
    tmp.persist(path).map_err(|e| StoreError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

fn village_code_of(survey: &Survey, v: VillageId) -> Option<&str> {
    survey
        .villages
        .get(v.index())
        .map(|v| v.code.as_str())
        .filter(|c| !c.is_empty())
}

fn insert_all(
    conn: &Connection,
    path: &Path,
    data: &ProjectData,
    source: &SourceAttrs,
) -> Result<(), StoreError> {
    let s = &data.survey;
    let geom_err = |table: &'static str, fid: i64| {
        move |source| StoreError::Geometry {
            path: path.to_path_buf(),
            table,
            fid,
            source,
        }
    };

    // villages (index 0 = unassigned is not stored)
    let mut st = conn
        .prepare(
            "INSERT INTO villages (fid, geom, village_code, village_name, township_code, township_name, county_code, county_name) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(sq(path))?;
    for (i, v) in s.villages.iter().enumerate().skip(1) {
        let bbox = data.village_geoms.bbox(i as u32);
        let blob = if bbox.is_empty() {
            None
        } else {
            Some(
                encode_multipolygon(&data.village_geoms.to_multipolygon(i as u32), SRS_ID, &bbox)
                    .map_err(geom_err("villages", i as i64))?,
            )
        };
        let code_at = |n: usize| v.code.get(..n).unwrap_or("").to_string();
        st.execute(params![
            i as i64,
            blob,
            v.code,
            v.name,
            code_at(9),
            v.township_name,
            code_at(6),
            v.county_name
        ])
        .map_err(sq(path))?;
    }

    // parcels
    let pcols = survey_columns(Layer::Parcel);
    let sql = format!(
        "INSERT INTO parcels (fid, geom, parcel_code, village_code, source_attrs, {}) VALUES (?1, ?2, ?3, ?4, ?5, {})",
        column_list(&pcols),
        placeholders(6, pcols.len())
    );
    let mut st = conn.prepare(&sql).map_err(sq(path))?;
    insert_pipelined(&data.parcel_geoms, "parcels", path, |i, blob| {
        let p = &s.parcels[i];
        // Bound in place: no row vector, no copies of the strings.
        let bind = |st: &mut rusqlite::Statement<'_>| -> rusqlite::Result<usize> {
            st.raw_bind_parameter(1, i as i64 + 1)?;
            st.raw_bind_parameter(2, &blob)?;
            st.raw_bind_parameter(3, &p.code)?;
            st.raw_bind_parameter(4, village_code_of(s, p.village))?;
            st.raw_bind_parameter(5, source.parcels.get(i))?;
            for (k, f) in pcols.iter().enumerate() {
                st.raw_bind_parameter(6 + k, to_sql(&f.get_parcel(p)))?;
            }
            st.raw_execute()
        };
        bind(&mut st).map_err(sq(path))?;
        Ok(())
    })?;

    // buildings
    let bcols = survey_columns(Layer::Building);
    let sql = format!(
        "INSERT INTO buildings (fid, geom, building_code, parcel_code, village_code, source_attrs, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, {})",
        column_list(&bcols),
        placeholders(7, bcols.len())
    );
    let mut st = conn.prepare(&sql).map_err(sq(path))?;
    insert_pipelined(&data.building_geoms, "buildings", path, |i, blob| {
        let b = &s.buildings[i];
        let parcel_code = b
            .parcel
            .and_then(|p| s.parcels.get(p as usize))
            .map(|p| p.code.as_str());
        let bind = |st: &mut rusqlite::Statement<'_>| -> rusqlite::Result<usize> {
            st.raw_bind_parameter(1, i as i64 + 1)?;
            st.raw_bind_parameter(2, &blob)?;
            st.raw_bind_parameter(3, &b.code)?;
            st.raw_bind_parameter(4, parcel_code)?;
            st.raw_bind_parameter(5, village_code_of(s, b.village))?;
            st.raw_bind_parameter(6, source.buildings.get(i))?;
            for (k, f) in bcols.iter().enumerate() {
                st.raw_bind_parameter(7 + k, to_sql(&f.get_building(b)))?;
            }
            st.raw_execute()
        };
        bind(&mut st).map_err(sq(path))?;
        Ok(())
    })?;

    // overlays
    let mut st = conn
        .prepare("INSERT INTO overlays (geom, name, kind, source) VALUES (?1, ?2, ?3, ?4)")
        .map_err(sq(path))?;
    for (i, o) in data.overlays.iter().enumerate() {
        let mut store = PolygonStore::new();
        store.push(&o.geometry);
        let blob = encode_multipolygon(&o.geometry, SRS_ID, &store.bbox(0))
            .map_err(geom_err("overlays", i as i64 + 1))?;
        st.execute(params![blob, o.name, o.kind, o.source])
            .map_err(sq(path))?;
    }
    Ok(())
}

/// Features whose geometry blobs are encoded together, in parallel, while the previous batch
/// is being inserted.
const INSERT_BATCH: usize = 16_384;

/// Encodes the geometry blobs of every feature of `geoms` in parallel batches and hands each
/// (feature index, blob) to `insert` in order; the next batch is encoded while the current one
/// is inserted, so SQLite's single writer and the encoding use both cores.
fn insert_pipelined(
    geoms: &PolygonStore,
    table: &'static str,
    path: &Path,
    mut insert: impl FnMut(usize, Vec<u8>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let encode_batch = |start: usize| -> Result<Vec<Vec<u8>>, StoreError> {
        let end = (start + INSERT_BATCH).min(geoms.len());
        (start..end)
            .into_par_iter()
            .map(|i| {
                let bbox = geoms.bbox(i as u32);
                encode_multipolygon(&geoms.to_multipolygon(i as u32), SRS_ID, &bbox).map_err(
                    |source| StoreError::Geometry {
                        path: path.to_path_buf(),
                        table,
                        fid: i as i64 + 1,
                        source,
                    },
                )
            })
            .collect()
    };
    let mut start = 0;
    let mut current = encode_batch(0)?;
    while start < geoms.len() {
        let next_start = start + INSERT_BATCH;
        // The SQLite statement stays on this thread; only the encoding is handed to rayon.
        let mut next: Result<Vec<Vec<u8>>, StoreError> = Ok(Vec::new());
        let inserted = rayon::in_place_scope(|scope| {
            if next_start < geoms.len() {
                scope.spawn(|_| next = encode_batch(next_start));
            }
            for (k, blob) in current.into_iter().enumerate() {
                insert(start + k, blob)?;
            }
            Ok::<(), StoreError>(())
        });
        inserted?;
        current = next?;
        start = next_start;
    }
    Ok(())
}

/// An open project file.
#[derive(Debug)]
pub struct ProjectFile {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
}

impl ProjectFile {
    /// Opens a project for reading and editing: WAL journal, `synchronous = FULL`, the
    /// GeoPackage SQL functions registered, the schema migrated if older.
    pub fn open(path: &Path) -> Result<ProjectFile, StoreError> {
        Self::open_mode(path, false)
    }

    /// Opens a project for reading only (another process may be writing it; WAL readers see
    /// every committed edit). [`ProjectFile::write_edit`] is refused.
    pub fn open_read_only(path: &Path) -> Result<ProjectFile, StoreError> {
        Self::open_mode(path, true)
    }

    /// True when opened with [`ProjectFile::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn open_mode(path: &Path, read_only: bool) -> Result<ProjectFile, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        if read_only {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(sq(path))?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(sq(path))?;
            register_functions(&conn).map_err(sq(path))?;
            schema::check_version(&conn).map_err(|source| StoreError::Schema {
                path: path.to_path_buf(),
                source,
            })?;
            return Ok(ProjectFile {
                conn,
                path: path.to_path_buf(),
                read_only: true,
            });
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sq(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sq(path))?;
        // check before anything writes: a file that is not a fangcha project stays untouched
        // (fails with "file is not a database" for non-SQLite files)
        schema::check_version(&conn).map_err(|source| StoreError::Schema {
            path: path.to_path_buf(),
            source,
        })?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(sq(path))?;
        register_functions(&conn).map_err(sq(path))?;
        schema::migrate(&mut conn).map_err(|source| StoreError::Schema {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ProjectFile {
            conn,
            path: path.to_path_buf(),
            read_only: false,
        })
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A `fangcha_meta` value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        schema::get_meta(&self.conn, key).map_err(sq(&self.path))
    }

    /// Loads the whole project into memory.
    pub fn load(&self) -> Result<ProjectData, StoreError> {
        let path = self.path.as_path();
        let mut villages = vec![Village::unassigned()];
        let mut village_geoms = PolygonStore::new();
        village_geoms.push(&MultiPolygon(Vec::new()));
        let mut village_ids: HashMap<String, VillageId> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT fid, geom, village_code, village_name, township_name, county_name FROM villages ORDER BY fid")
                .map_err(sq(path))?;
            let mut rows = st.query([]).map_err(sq(path))?;
            while let Some(r) = rows.next().map_err(sq(path))? {
                let fid: i64 = r.get(0).map_err(sq(path))?;
                let blob: Option<Vec<u8>> = r.get(1).map_err(sq(path))?;
                let v = Village {
                    code: r.get(2).map_err(sq(path))?,
                    name: r
                        .get::<_, Option<String>>(3)
                        .map_err(sq(path))?
                        .unwrap_or_default(),
                    township_name: r
                        .get::<_, Option<String>>(4)
                        .map_err(sq(path))?
                        .unwrap_or_default(),
                    county_name: r
                        .get::<_, Option<String>>(5)
                        .map_err(sq(path))?
                        .unwrap_or_default(),
                };
                let mp = match blob {
                    Some(b) => decode_geom(path, "villages", fid, &b)?,
                    None => MultiPolygon(Vec::new()),
                };
                village_geoms.push(&mp);
                village_ids.insert(v.code.clone(), VillageId(villages.len() as u32));
                villages.push(v);
            }
        }
        // Parcels and houses are read side by side, each on its own read-only connection.
        let (parcels, houses) = rayon::join(
            || load_parcels(path, &village_ids),
            || load_buildings(path, &village_ids),
        );
        let (parcels, parcel_geoms) = parcels?;
        let (mut buildings, building_geoms, house_parcel_codes) = houses?;
        let parcel_ids: rustc_hash::FxHashMap<&str, u32> = parcels
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.as_str(), i as u32))
            .collect();
        for (b, code) in buildings.iter_mut().zip(&house_parcel_codes) {
            b.parcel = code.as_deref().and_then(|c| parcel_ids.get(c).copied());
        }
        drop(parcel_ids);
        drop(house_parcel_codes);

        let mut overlays = Vec::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT fid, geom, name, kind, source FROM overlays ORDER BY fid")
                .map_err(sq(path))?;
            let mut rows = st.query([]).map_err(sq(path))?;
            while let Some(r) = rows.next().map_err(sq(path))? {
                let fid: i64 = r.get(0).map_err(sq(path))?;
                let blob: Option<Vec<u8>> = r.get(1).map_err(sq(path))?;
                let Some(blob) = blob else { continue };
                let geometry = decode_geom(path, "overlays", fid, &blob)?;
                overlays.push(Overlay {
                    name: r
                        .get::<_, Option<String>>(2)
                        .map_err(sq(path))?
                        .unwrap_or_default(),
                    kind: r
                        .get::<_, Option<String>>(3)
                        .map_err(sq(path))?
                        .unwrap_or_default(),
                    source: r
                        .get::<_, Option<String>>(4)
                        .map_err(sq(path))?
                        .unwrap_or_default(),
                    geometry,
                });
            }
        }

        Ok(ProjectData {
            survey: Survey::new(villages, parcels, buildings),
            parcel_geoms,
            building_geoms,
            village_geoms,
            overlays,
        })
    }

    /// Writes one edit (all its field changes) and its edit-log rows in one transaction and
    /// returns the edit group id. When this returns Ok the edit is on disk.
    pub fn write_edit(
        &mut self,
        edit: &Edit,
        survey: &Survey,
        user: &str,
        action: EditAction,
    ) -> Result<i64, StoreError> {
        let path = self.path.clone();
        if self.read_only {
            return Err(StoreError::ReadOnly(path));
        }
        let tx = self.conn.transaction().map_err(sq(&path))?;
        let group: i64 = tx
            .query_row(
                "SELECT coalesce(max(edit_group), 0) + 1 FROM edit_log",
                [],
                |r| r.get(0),
            )
            .map_err(sq(&path))?;
        let (table, code, round) = match edit.target {
            Target::Parcel(i) => (
                "parcels",
                survey.parcels.get(i as usize).map(|p| p.code.clone()),
                None,
            ),
            Target::Building(i) => {
                let b = survey.buildings.get(i as usize);
                (
                    "buildings",
                    b.map(|b| b.code.clone()),
                    b.and_then(|b| b.round).map(|r| {
                        use crate::domain::codes::Coded;
                        r.code().to_string()
                    }),
                )
            }
        };
        let fid = i64::from(edit.target.index()) + 1;
        let now = now_utc();
        for c in &edit.changes {
            let n = tx
                .execute(
                    &format!(
                        "UPDATE \"{table}\" SET \"{}\" = ?1 WHERE fid = ?2",
                        c.field.key()
                    ),
                    params![to_sql(&c.new), fid],
                )
                .map_err(sq(&path))?;
            if n != 1 {
                return Err(StoreError::BadValue {
                    path,
                    table,
                    fid,
                    message: "no such feature in the project file".into(),
                });
            }
            tx.execute(
                "INSERT INTO edit_log (edit_group, edited_at, user, action, layer, fid, feature_code, field, old_value, new_value, round) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    group,
                    now,
                    user,
                    action.code(),
                    table,
                    fid,
                    code.clone().unwrap_or_default(),
                    c.field.key(),
                    (!c.old.is_null()).then(|| c.old.to_text()),
                    (!c.new.is_null()).then(|| c.new.to_text()),
                    round.clone()
                ],
            )
            .map_err(sq(&path))?;
        }
        tx.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name IN (?1, 'edit_log')",
            params![table],
        )
        .map_err(sq(&path))?;
        tx.commit().map_err(sq(&path))?;
        Ok(group)
    }

    /// Edit-log rows, newest first; of one feature when `feature` is given.
    pub fn edit_log(
        &self,
        feature: Option<Target>,
        limit: usize,
    ) -> Result<Vec<EditLogEntry>, StoreError> {
        let path = self.path.as_path();
        let (cond, layer, fid) = match feature {
            Some(t) => (
                "WHERE layer = ?1 AND fid = ?2",
                t.layer().code(),
                i64::from(t.index()) + 1,
            ),
            None => ("WHERE ?1 = ?1 AND ?2 = ?2", "", 0),
        };
        let sql = format!(
            "SELECT id, edit_group, edited_at, user, action, layer, fid, feature_code, field, old_value, new_value, round \
             FROM edit_log {cond} ORDER BY id DESC LIMIT ?3"
        );
        let mut st = self.conn.prepare(&sql).map_err(sq(path))?;
        let rows = st
            .query_map(params![layer, fid, limit as i64], |r| {
                Ok(EditLogEntry {
                    id: r.get(0)?,
                    group: r.get(1)?,
                    edited_at: r.get(2)?,
                    user: r.get(3)?,
                    action: r.get(4)?,
                    layer: r.get(5)?,
                    fid: r.get(6)?,
                    feature_code: r.get(7)?,
                    field: r.get(8)?,
                    old_value: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
                    new_value: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                    round: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                })
            })
            .map_err(sq(path))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sq(path))
    }

    /// The imported source attributes (JSON object text) of every record of a layer, by dense
    /// index (`None` where there are none).
    pub fn source_attrs(&self, layer: Layer) -> Result<Vec<Option<String>>, StoreError> {
        let path = self.path.as_path();
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT source_attrs FROM \"{}\" ORDER BY fid",
                layer.code()
            ))
            .map_err(sq(path))?;
        let rows = st
            .query_map([], |r| r.get::<_, Option<String>>(0))
            .map_err(sq(path))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sq(path))
    }

    /// `PRAGMA integrity_check` result ("ok" when sound).
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(sq(&self.path))
    }
}

/// `"a", "b", …` for the given survey columns.
fn column_list(cols: &[Field]) -> String {
    cols.iter()
        .map(|f| format!("\"{}\"", f.key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `?first, ?first+1, …` (n SQL parameters).
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Vertices reserved per feature when loading: room that is never touched costs address
/// space, not memory, and spares the copies of a growing million-vertex buffer.
const VERTICES_RESERVED_PER_FEATURE: usize = 16;

/// A read-only connection of its own for one loading thread.
fn reader(path: &Path) -> Result<Connection, StoreError> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sq(path))
}

fn village_of(ids: &HashMap<String, VillageId>, code: Option<&str>) -> VillageId {
    code.and_then(|c| ids.get(c).copied())
        .unwrap_or(VillageId::UNASSIGNED)
}

/// Reads every parcel and its geometry, in fid order.
fn load_parcels(
    path: &Path,
    village_ids: &HashMap<String, VillageId>,
) -> Result<(Vec<Parcel>, PolygonStore), StoreError> {
    let conn = reader(path)?;
    let pcols = survey_columns(Layer::Parcel);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM parcels", [], |r| r.get(0))
        .map_err(sq(path))?;
    let n = usize::try_from(count).unwrap_or(0);
    let mut parcels = Vec::with_capacity(n);
    let mut geoms = PolygonStore::with_capacity(n, n * VERTICES_RESERVED_PER_FEATURE);
    let sql = format!(
        "SELECT fid, geom, parcel_code, village_code, {} FROM parcels ORDER BY fid",
        column_list(&pcols)
    );
    let mut st = conn.prepare(&sql).map_err(sq(path))?;
    let mut rows = st.query([]).map_err(sq(path))?;
    while let Some(r) = rows.next().map_err(sq(path))? {
        let fid: i64 = r.get(0).map_err(sq(path))?;
        let mp = match r.get_ref(1).map_err(sq(path))? {
            rusqlite::types::ValueRef::Blob(b) => decode_geom(path, "parcels", fid, b)?,
            _ => MultiPolygon(Vec::new()),
        };
        let code = r
            .get_ref(3)
            .map_err(sq(path))?
            .as_str_or_null()
            .ok()
            .flatten();
        let mut p = Parcel::new(
            r.get::<_, String>(2).map_err(sq(path))?,
            village_of(village_ids, code),
        );
        for (k, f) in pcols.iter().enumerate() {
            let v = from_sql(*f, r.get_ref(4 + k).map_err(sq(path))?);
            f.set_parcel(&mut p, &v)
                .map_err(|e| bad_value(path, "parcels", fid, e.to_string()))?;
        }
        geoms.push(&mp);
        parcels.push(p);
    }
    Ok((parcels, geoms))
}

/// The houses with their geometry and the parcel code each names, in fid order.
type LoadedBuildings = (Vec<Building>, PolygonStore, Vec<Option<String>>);

/// Reads every house and its geometry, in fid order; the parcel links are returned as codes.
fn load_buildings(
    path: &Path,
    village_ids: &HashMap<String, VillageId>,
) -> Result<LoadedBuildings, StoreError> {
    let conn = reader(path)?;
    let bcols = survey_columns(Layer::Building);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM buildings", [], |r| r.get(0))
        .map_err(sq(path))?;
    let n = usize::try_from(count).unwrap_or(0);
    let mut buildings = Vec::with_capacity(n);
    let mut geoms = PolygonStore::with_capacity(n, n * VERTICES_RESERVED_PER_FEATURE);
    let mut parcel_codes = Vec::with_capacity(n);
    let sql = format!(
        "SELECT fid, geom, building_code, parcel_code, village_code, {} FROM buildings ORDER BY fid",
        column_list(&bcols)
    );
    let mut st = conn.prepare(&sql).map_err(sq(path))?;
    let mut rows = st.query([]).map_err(sq(path))?;
    while let Some(r) = rows.next().map_err(sq(path))? {
        let fid: i64 = r.get(0).map_err(sq(path))?;
        let mp = match r.get_ref(1).map_err(sq(path))? {
            rusqlite::types::ValueRef::Blob(b) => decode_geom(path, "buildings", fid, b)?,
            _ => MultiPolygon(Vec::new()),
        };
        let mut b = Building::new(r.get::<_, String>(2).map_err(sq(path))?);
        parcel_codes.push(r.get::<_, Option<String>>(3).map_err(sq(path))?);
        b.village = village_of(
            village_ids,
            r.get_ref(4)
                .map_err(sq(path))?
                .as_str_or_null()
                .ok()
                .flatten(),
        );
        for (k, f) in bcols.iter().enumerate() {
            let v = from_sql(*f, r.get_ref(5 + k).map_err(sq(path))?);
            f.set_building(&mut b, &v)
                .map_err(|e| bad_value(path, "buildings", fid, e.to_string()))?;
        }
        geoms.push(&mp);
        buildings.push(b);
    }
    Ok((buildings, geoms, parcel_codes))
}

fn bad_value(path: &Path, table: &'static str, fid: i64, message: String) -> StoreError {
    StoreError::BadValue {
        path: path.to_path_buf(),
        table,
        fid,
        message,
    }
}

fn decode_geom(
    path: &Path,
    table: &'static str,
    fid: i64,
    blob: &[u8],
) -> Result<MultiPolygon<f64>, StoreError> {
    decode(blob)
        .map(as_multipolygon)
        .map_err(|source| StoreError::Geometry {
            path: path.to_path_buf(),
            table,
            fid,
            source,
        })
}

fn as_multipolygon(g: Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::MultiPolygon(mp) => mp,
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        _ => MultiPolygon(Vec::new()),
    }
}
