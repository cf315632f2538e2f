//! Shapefile writer for polygon layers: `.shp`/`.shx` through the `shapefile` crate, the `.dbf`
//! through `dbase` in a chosen text encoding (with its language driver byte), a `.prj` and no
//! `.cpg` — the way county survey offices receive their data (GBK, LDID 0x4D, names in Chinese).
//!
//! `dbase` 0.8 writes field names as UTF-8 bytes whatever the table encoding, so the names are
//! written as ASCII placeholders and the 11-byte name slots of the header are then overwritten
//! with the names in the table encoding (a field name holds at most 10 encoded bytes).
//!
//! The four files are written under temporary names and renamed into place once all are
//! complete, so a failed write leaves no partial layer behind.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use dbase::{FieldName, FieldWriter, TableWriterBuilder, WritableRecord};
use encoding_rs::Encoding;
use geo_types::Coord;
use shapefile::{Point, Polygon, PolygonRing, ShapeWriter};

/// Errors of [`write_polygon_layer`], naming the file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Creating, writing or renaming a file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The `shapefile` crate refused a shape.
    #[error("cannot write {}: {source}", path.display())]
    Shape {
        path: PathBuf,
        #[source]
        source: shapefile::Error,
    },
    /// The `dbase` crate refused a record.
    #[error("cannot write {}: {source}", path.display())]
    Table {
        path: PathBuf,
        #[source]
        source: dbase::Error,
    },
    /// A field definition that a `.dbf` cannot hold.
    #[error("field {name:?}: {reason}")]
    Field { name: String, reason: String },
}

/// The type of a `.dbf` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbfType {
    /// `C`: text of at most `length` encoded bytes.
    Text,
    /// `N`: a number written with `decimals` decimals, right-aligned in `length` bytes.
    Number { decimals: u8 },
}

/// One column of the `.dbf`: its name (at most 10 bytes in the table encoding), type and
/// width in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbfColumn {
    pub name: String,
    pub kind: DbfType,
    pub length: u8,
}

/// One value of a record; `Null` is written blank.
#[derive(Debug, Clone, PartialEq)]
pub enum DbfValue {
    Text(String),
    Number(f64),
    Null,
}

/// One polygon feature: its rings (the first is the outer ring, the others holes; any
/// winding, the writer orients them the Shapefile way) and one value per column.
#[derive(Debug, Clone, PartialEq)]
pub struct PolygonFeature {
    pub rings: Vec<Vec<Coord<f64>>>,
    pub values: Vec<DbfValue>,
}

/// A record as `dbase` writes it: the values with their columns (a `Null` is written blank in
/// the column's type).
struct Row<'a> {
    columns: &'a [DbfColumn],
    values: &'a [DbfValue],
}

impl WritableRecord for Row<'_> {
    fn write_using<W: Write>(
        &self,
        field_writer: &mut FieldWriter<'_, W>,
    ) -> Result<(), dbase::FieldError> {
        for (column, value) in self.columns.iter().zip(self.values) {
            match (value, column.kind) {
                (DbfValue::Text(s), _) => field_writer.write_next_field_value(&s.as_str())?,
                (DbfValue::Number(n), _) => field_writer.write_next_field_value(n)?,
                (DbfValue::Null, DbfType::Text) => field_writer.write_next_field_value(&"")?,
                (DbfValue::Null, DbfType::Number { .. }) => {
                    field_writer.write_next_field_value(&Option::<f64>::None)?
                }
            }
        }
        Ok(())
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the polygon layer `base`.shp/.shx/.dbf/.prj (`base` without extension) from
/// `features`, with the `.dbf` text and field names in `encoding` and `prj_wkt` as the `.prj`.
/// Returns the number of features written.
///
/// # Errors
/// [`WriteError::Field`] for a name longer than 10 encoded bytes or a zero width;
/// [`WriteError::Io`], [`WriteError::Shape`] or [`WriteError::Table`] when writing fails — the
/// temporary files are removed and nothing is left under the final names.
pub fn write_polygon_layer(
    base: &Path,
    columns: &[DbfColumn],
    encoding: &'static Encoding,
    prj_wkt: &str,
    features: impl IntoIterator<Item = PolygonFeature>,
) -> Result<usize, WriteError> {
    let mut encoded_names = Vec::with_capacity(columns.len());
    for c in columns {
        let (bytes, _, unmappable) = encoding.encode(&c.name);
        if unmappable || bytes.len() > 10 || bytes.is_empty() || c.length == 0 {
            return Err(WriteError::Field {
                name: c.name.clone(),
                reason: format!(
                    "a .dbf field name holds 1 to 10 bytes in {} and a width of at least 1",
                    encoding.name()
                ),
            });
        }
        encoded_names.push(bytes.into_owned());
    }
    let finals: Vec<PathBuf> = ["shp", "shx", "dbf", "prj"]
        .iter()
        .map(|ext| base.with_extension(ext))
        .collect();
    let temps: Vec<PathBuf> = finals
        .iter()
        .map(|p| {
            let mut name = p.as_os_str().to_owned();
            name.push(".partial");
            PathBuf::from(name)
        })
        .collect();
    let result = write_files(&temps, columns, &encoded_names, encoding, prj_wkt, features);
    let result = result.and_then(|n| {
        for (temp, fin) in temps.iter().zip(&finals) {
            std::fs::rename(temp, fin).map_err(io_err(fin))?;
        }
        Ok(n)
    });
    if result.is_err() {
        for temp in &temps {
            let _ = std::fs::remove_file(temp);
        }
    }
    result
}

fn write_files(
    paths: &[PathBuf],
    columns: &[DbfColumn],
    encoded_names: &[Vec<u8>],
    encoding: &'static Encoding,
    prj_wkt: &str,
    features: impl IntoIterator<Item = PolygonFeature>,
) -> Result<usize, WriteError> {
    let [shp_path, shx_path, dbf_path, prj_path] = paths else {
        return Ok(0);
    };
    let create = |p: &Path| -> Result<BufWriter<File>, WriteError> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            File::create(p).map_err(io_err(p))?,
        ))
    };
    let mut shapes = ShapeWriter::with_shx(create(shp_path)?, create(shx_path)?);
    let mut builder =
        TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding));
    for (i, c) in columns.iter().enumerate() {
        let placeholder =
            FieldName::try_from(format!("F{i}").as_str()).map_err(|e| WriteError::Field {
                name: c.name.clone(),
                reason: e.to_string(),
            })?;
        builder = match c.kind {
            DbfType::Text => builder.add_character_field(placeholder, c.length),
            DbfType::Number { decimals } => {
                builder.add_numeric_field(placeholder, c.length, decimals)
            }
        };
    }
    let mut table = builder.build_with_dest(create(dbf_path)?);
    let mut count = 0usize;
    for feature in features {
        let rings: Vec<PolygonRing<Point>> = feature
            .rings
            .iter()
            .enumerate()
            .map(|(i, ring)| {
                let points = ring.iter().map(|c| Point::new(c.x, c.y)).collect();
                if i == 0 {
                    PolygonRing::Outer(points)
                } else {
                    PolygonRing::Inner(points)
                }
            })
            .collect();
        if rings.is_empty() {
            continue;
        }
        shapes
            .write_shape(&Polygon::with_rings(rings))
            .map_err(|source| WriteError::Shape {
                path: shp_path.clone(),
                source,
            })?;
        table
            .write_record(&Row {
                columns,
                values: &feature.values,
            })
            .map_err(|source| WriteError::Table {
                path: dbf_path.clone(),
                source,
            })?;
        count += 1;
    }
    shapes.finalize().map_err(|source| WriteError::Shape {
        path: shp_path.clone(),
        source,
    })?;
    table.finalize().map_err(|source| WriteError::Table {
        path: dbf_path.clone(),
        source,
    })?;
    drop(shapes);
    drop(table);
    patch_field_names(dbf_path, encoded_names)?;
    std::fs::write(prj_path, prj_wkt).map_err(io_err(prj_path))?;
    Ok(count)
}

/// Overwrites the 11-byte name slot of each field descriptor (32 bytes each, from byte 32 of
/// the `.dbf`) with the encoded name, NUL-padded.
fn patch_field_names(dbf: &Path, encoded_names: &[Vec<u8>]) -> Result<(), WriteError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(dbf)
        .map_err(io_err(dbf))?;
    for (i, name) in encoded_names.iter().enumerate() {
        let mut slot = [0u8; 11];
        slot[..name.len()].copy_from_slice(name);
        file.seek(SeekFrom::Start(32 + 32 * i as u64))
            .and_then(|_| file.write_all(&slot))
            .map_err(io_err(dbf))?;
    }
    file.sync_all().map_err(io_err(dbf))
}
