//! What every reader produces: a layer of raw features (geometry + attribute values aligned with
//! the field names) plus what was detected on the way (text encoding, declared CRS) and what was
//! skipped. Readers never reproject and never interpret survey fields: that is the import's job.

use std::collections::BTreeMap;
use std::path::PathBuf;

use geo_types::MultiPolygon;

use crate::domain::fields::Value;

/// How a file declares its coordinate reference system.
#[derive(Debug, Clone, PartialEq)]
pub enum DeclaredCrs {
    /// An EPSG code (GeoJSON `crs` member, GeoPackage srs with organization EPSG).
    Epsg(u32),
    /// WKT text (ESRI or OGC, from a .prj or a GeoPackage definition).
    Wkt(String),
    /// OGC CRS84 (GeoJSON default: WGS84 lon/lat).
    Crs84,
}

/// One feature as read.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeature {
    /// The polygonal geometry in the file's own CRS and axis order (x = easting/lon).
    /// Polygons are promoted to one-part multipolygons.
    pub geometry: MultiPolygon<f64>,
    /// Attribute values, aligned with [`RawLayer::field_names`].
    pub attrs: Vec<Value>,
    /// 0-based position of the feature in the source file (for messages).
    pub source_index: usize,
}

/// A whole layer as read from one file.
#[derive(Debug, Clone, Default)]
pub struct RawLayer {
    /// The file read.
    pub path: PathBuf,
    /// Layer name (file stem, or the GeoPackage table).
    pub name: String,
    /// Attribute names in file order (decoded; see `warnings` for names that could not be).
    pub field_names: Vec<String>,
    /// Polygon features.
    pub features: Vec<RawFeature>,
    /// The CRS the file declares, if any.
    pub declared_crs: Option<DeclaredCrs>,
    /// The text encoding used for attributes and how it was chosen, e.g. "GBK (DBF language driver 0x4D)".
    pub encoding: Option<String>,
    /// Features skipped, by reason (e.g. "LineString", "Point", "null geometry").
    pub skipped: BTreeMap<String, usize>,
    /// Non-fatal findings worth telling the user (decoded names, repaired records ...).
    pub warnings: Vec<String>,
}

impl RawLayer {
    /// Number of skipped features over all reasons.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
    /// Index of a field by exact name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.field_names.iter().position(|n| n == name)
    }
}
