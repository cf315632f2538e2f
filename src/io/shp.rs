//! Shapefile reader: polygons from the `.shp` (through the `.shx` index when it is sound),
//! attributes from the `.dbf` in the detected text encoding, the CRS from the `.prj`.
//!
//! Geometry is read with the `shapefile` crate. The `.dbf` is read by a small reader of our own
//! (header parsing shared with [`super::encoding`]) because `dbase` 0.8 drops deleted records
//! (which breaks the shape ↔ record pairing), hides the number of decimals, fails a whole file
//! on one unparsable number or an unknown field type, and turns a character cut by the 10-byte
//! field name limit into U+FFFD instead of dropping it with a warning.
//!
//! Rings are grouped the Shapefile way: clockwise rings are outer rings, counter-clockwise rings
//! are holes; each hole goes to the smallest outer ring that contains it. A hole inside no outer
//! ring becomes a polygon of its own (with a warning), and a shape whose rings are all
//! counter-clockwise (wrongly wound) is grouped by nesting instead.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use shapefile::{PolygonRing, Shape};

use super::encoding::{
    DbfField, DbfHeader, Decoded, decode_text, detect_dbf_encoding, display_name, hex_bytes,
    read_dbf_header, trim_text,
};
use super::error::ReadError;
use super::shp_records::{decode_record, frame_records, shx_offsets};
use super::source::{DeclaredCrs, RawFeature, RawLayer};
use crate::domain::fields::Value;

/// Size of the main file header of a .shp / .shx, in bytes.
const SHP_HEADER_LEN: u64 = 100;
/// The file code every .shp and .shx starts with (big-endian).
pub(crate) const SHP_FILE_CODE: i32 = 9994;

/// Reads the polygon features of a Shapefile.
///
/// `path` is the `.shp`; the `.shx`, `.dbf`, `.cpg` and `.prj` next to it are found whatever
/// the case of their extension. `encoding_override` (from `--encoding`) forces the text
/// encoding of the `.dbf`; otherwise it is detected (see [`detect_dbf_encoding`]).
///
/// Coordinates are returned as stored (the file's own CRS, x = easting/longitude); the CRS is
/// the `.prj` text as [`DeclaredCrs::Wkt`], or `None` without a `.prj`. Polygon, PolygonZ and
/// PolygonM shapes become multipolygons (Z and M are dropped); other shape types are counted in
/// [`RawLayer::skipped`] by type name (`PolyLine`, `Point` ...), null shapes as "null geometry",
/// polygons without parts as "empty geometry" and polygons without a ring of at least 3 distinct
/// points as "degenerate geometry", polygons with a NaN or infinite coordinate as "invalid
/// coordinates" (with a warning naming the first). Records marked deleted in the `.dbf` are
/// skipped as "deleted record". Rings whose last point does not repeat the first are closed,
/// with a warning. A missing `.shx` (the `.shp` is read sequentially), a missing
/// `.dbf` (no attributes) and a `.dbf` whose record count differs from the shape count
/// (missing attributes are empty) are warnings; so is a damaged `.shx` (wrong size, entries
/// pointing past the end of the `.shp`, overlapping or not covering it), which is then ignored
/// and the `.shp` read sequentially.
///
/// # Errors
/// [`ReadError::Open`] when the `.shp` cannot be opened; [`ReadError::Invalid`] for files that
/// are empty, not shapefiles, or truncated (`.shp` or `.dbf`); [`ReadError::UnknownEncoding`]
/// for an unknown override; [`ReadError::Shapefile`] when a shape record is malformed;
/// [`ReadError::Io`] for read failures.
pub fn read_shapefile(path: &Path, encoding_override: Option<&str>) -> Result<RawLayer, ReadError> {
    let mut layer = RawLayer {
        path: path.to_path_buf(),
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..RawLayer::default()
    };

    let shp_bytes = std::fs::read(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let shp_header = read_main_header(path, &shp_bytes)?;
    if shp_header.declared_len < shp_header.file_len {
        layer.warnings.push(format!(
            "{} bytes after the end declared in the .shp header were ignored",
            shp_header.file_len - shp_header.declared_len
        ));
    }
    if !matches!(shp_header.shape_type, 0 | 5 | 15 | 25) {
        layer.warnings.push(format!(
            "the .shp holds {} shapes; only polygons are read",
            shape_type_name(shp_header.shape_type)
        ));
    }

    // The attribute table.
    let mut dbf = match sibling_file(path, "dbf") {
        Some(dbf_path) => {
            let (encoding, how) = detect_dbf_encoding(&dbf_path, encoding_override)?;
            layer.encoding = Some(how);
            let reader = DbfReader::open(&dbf_path, encoding)?;
            layer.field_names = reader.decode_field_names(&mut layer.warnings);
            Some(reader)
        }
        None => {
            layer
                .warnings
                .push("no .dbf file: the features have no attributes".to_string());
            None
        }
    };

    // The CRS.
    if let Some(prj) = sibling_file(path, "prj") {
        let bytes = std::fs::read(&prj).map_err(|source| ReadError::Io {
            path: prj.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let wkt = text.trim().trim_start_matches('\u{feff}').trim();
        if wkt.is_empty() {
            layer
                .warnings
                .push("the .prj file is empty: no CRS declared".to_string());
        } else {
            layer.declared_crs = Some(DeclaredCrs::Wkt(wkt.to_string()));
        }
    }

    // The shapes, paired with the records.
    let declared_len = usize::try_from(shp_header.declared_len).unwrap_or(usize::MAX);
    let records = frame_shapes(path, &shp_bytes, declared_len, &mut layer.warnings)?;
    // Records are decoded and their rings grouped in parallel; pairing with the .dbf records
    // and the counts stay in file order.
    let decoded: Vec<Result<DecodedShape, ReadError>> = records
        .into_par_iter()
        .enumerate()
        .map(|(index, range)| {
            decode_record(index + 1, &shp_bytes[range])
                .map(decode_shape)
                .map_err(|e| ReadError::invalid(path, e.to_string()))
        })
        .collect();
    drop(shp_bytes);
    let mut rings = RingStats::default();
    let mut shape_count = 0usize;
    let mut records_short = 0usize;
    let mut first_non_finite: Option<usize> = None;
    layer.features.reserve(decoded.len());
    for (index, shape) in decoded.into_iter().enumerate() {
        let shape = shape?;
        shape_count += 1;
        let attrs = match dbf.as_mut() {
            Some(table) => match table.next_record()? {
                Some(Record::Deleted) => {
                    *layer
                        .skipped
                        .entry("deleted record".to_string())
                        .or_default() += 1;
                    continue;
                }
                Some(Record::Values(values)) => values,
                None => {
                    records_short += 1;
                    vec![Value::Null; layer.field_names.len()]
                }
            },
            None => Vec::new(),
        };
        let skip = match shape {
            DecodedShape::Polygon(geometry, stats) => {
                rings.add(&stats);
                layer.features.push(RawFeature {
                    geometry,
                    attrs,
                    source_index: index,
                });
                continue;
            }
            DecodedShape::Skipped(why, stats) => {
                rings.add(&stats);
                why
            }
            DecodedShape::NonFinite => {
                first_non_finite.get_or_insert(index + 1);
                "invalid coordinates"
            }
        };
        *layer.skipped.entry(skip.to_string()).or_default() += 1;
    }

    if let Some(table) = dbf.as_mut() {
        let records = table.available;
        if records_short > 0 {
            layer.warnings.push(format!(
                "the .dbf has {records} records but the .shp has {shape_count} shapes: \
                 the last {records_short} shapes have no attributes"
            ));
        } else if records > shape_count {
            layer.warnings.push(format!(
                "the .dbf has {records} records but the .shp has {shape_count} shapes: \
                 the {} extra records were ignored",
                records - shape_count
            ));
        }
        table.stats.report(table.encoding, &mut layer.warnings);
    }
    if let Some(first) = first_non_finite {
        let n = layer
            .skipped
            .get("invalid coordinates")
            .copied()
            .unwrap_or(0);
        layer.warnings.push(format!(
            "{n} shapes have NaN or infinite coordinates and were skipped (first: shape {first})"
        ));
    }
    rings.report(&mut layer.warnings);
    Ok(layer)
}

/// Finds the companion file of `path` with extension `ext` (`dbf`, `shx`, `prj`, `cpg`),
/// matching the extension case-insensitively (`.DBF`, `.Dbf` ...). `None` when there is none.
pub(crate) fn sibling_file(path: &Path, ext: &str) -> Option<PathBuf> {
    for candidate in [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()] {
        let p = path.with_extension(candidate);
        if p.is_file() {
            return Some(p);
        }
    }
    let stem = path.file_stem()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_stem() == Some(stem)
                && p.extension()
                    .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case(ext))
                && p.is_file()
        })
}

/// What the first 100 bytes of a .shp say.
struct MainHeader {
    file_len: u64,
    declared_len: u64,
    shape_type: i32,
}

/// Checks the main header of the .shp held in `bytes` (file code, declared length against the
/// real size).
fn read_main_header(path: &Path, bytes: &[u8]) -> Result<MainHeader, ReadError> {
    let file_len = bytes.len() as u64;
    if file_len == 0 {
        return Err(ReadError::invalid(
            path,
            "empty file (0 bytes): not a shapefile",
        ));
    }
    if file_len < SHP_HEADER_LEN {
        return Err(ReadError::invalid(
            path,
            format!("too short to be a shapefile ({file_len} bytes; the header alone is 100)"),
        ));
    }
    let head = &bytes[..100];
    let code = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if code != SHP_FILE_CODE {
        return Err(ReadError::invalid(
            path,
            format!("not a shapefile (file code {code}, expected 9994)"),
        ));
    }
    let words = i32::from_be_bytes([head[24], head[25], head[26], head[27]]);
    let declared_len = u64::try_from(words).unwrap_or(0).saturating_mul(2);
    if declared_len < SHP_HEADER_LEN {
        return Err(ReadError::invalid(
            path,
            format!("not a valid shapefile (declared length {declared_len} bytes)"),
        ));
    }
    if declared_len > file_len {
        return Err(ReadError::invalid(
            path,
            format!(
                "truncated: the header declares {declared_len} bytes but the file has {file_len}"
            ),
        ));
    }
    let shape_type = i32::from_le_bytes([head[32], head[33], head[34], head[35]]);
    Ok(MainHeader {
        file_len,
        declared_len,
        shape_type,
    })
}

/// The content ranges of the records of the .shp held in `shp`, through the .shx index when it
/// is present and consistent, walking the records otherwise (with a warning).
fn frame_shapes(
    path: &Path,
    shp: &[u8],
    declared_len: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<Range<usize>>, ReadError> {
    let offsets = match sibling_file(path, "shx") {
        None => {
            warnings.push("no .shx index: the .shp was read sequentially".to_string());
            None
        }
        Some(shx_path) => {
            let checked = std::fs::read(&shx_path)
                .map_err(|e| format!("cannot read it: {e}"))
                .and_then(|shx| shx_offsets(&shx, declared_len));
            match checked {
                Ok(offsets) => Some(offsets),
                Err(problem) => {
                    warnings.push(format!(
                        "the .shx index is damaged ({problem}): the .shp was read sequentially"
                    ));
                    None
                }
            }
        }
    };
    frame_records(shp, declared_len, offsets.as_deref())
        .map_err(|e| ReadError::invalid(path, e.to_string()))
}

/// One shape record turned into a feature geometry, or why it is skipped.
enum DecodedShape {
    /// A polygon, with the ring repairs made while grouping its rings.
    Polygon(MultiPolygon<f64>, RingStats),
    /// Not read: the reason as counted in [`RawLayer::skipped`].
    Skipped(&'static str, RingStats),
    /// A NaN or infinite coordinate.
    NonFinite,
}

/// Turns a decoded shape into a multipolygon (see [`read_shapefile`] for what is skipped).
fn decode_shape(shape: Shape) -> DecodedShape {
    let parts = match shape {
        Shape::Polygon(p) => ring_coords(p.into_inner(), |pt| Coord { x: pt.x, y: pt.y }),
        Shape::PolygonM(p) => ring_coords(p.into_inner(), |pt| Coord { x: pt.x, y: pt.y }),
        Shape::PolygonZ(p) => ring_coords(p.into_inner(), |pt| Coord { x: pt.x, y: pt.y }),
        Shape::NullShape => return DecodedShape::Skipped("null geometry", RingStats::default()),
        other => return DecodedShape::Skipped(shape_name(&other), RingStats::default()),
    };
    if !parts
        .iter()
        .all(|(coords, _)| coords.iter().all(|c| c.x.is_finite() && c.y.is_finite()))
    {
        return DecodedShape::NonFinite;
    }
    let mut stats = RingStats::default();
    let geometry = assemble_rings(parts, &mut stats);
    if geometry.0.is_empty() {
        let why = if stats.degenerate > 0 {
            "degenerate geometry"
        } else {
            "empty geometry"
        };
        return DecodedShape::Skipped(why, stats);
    }
    DecodedShape::Polygon(geometry, stats)
}

/// Name of a shape type code of the .shp header.
fn shape_type_name(code: i32) -> String {
    match code {
        0 => "Null".into(),
        1 => "Point".into(),
        3 => "PolyLine".into(),
        5 => "Polygon".into(),
        8 => "MultiPoint".into(),
        11 => "PointZ".into(),
        13 => "PolyLineZ".into(),
        15 => "PolygonZ".into(),
        18 => "MultiPointZ".into(),
        21 => "PointM".into(),
        23 => "PolyLineM".into(),
        25 => "PolygonM".into(),
        28 => "MultiPointM".into(),
        31 => "MultiPatch".into(),
        other => format!("unknown (type {other})"),
    }
}

/// Name of a non-polygon shape, for the skipped counts.
fn shape_name(shape: &Shape) -> &'static str {
    match shape {
        Shape::NullShape => "null geometry",
        Shape::Point(_) => "Point",
        Shape::PointM(_) => "PointM",
        Shape::PointZ(_) => "PointZ",
        Shape::Polyline(_) => "PolyLine",
        Shape::PolylineM(_) => "PolyLineM",
        Shape::PolylineZ(_) => "PolyLineZ",
        Shape::Polygon(_) => "Polygon",
        Shape::PolygonM(_) => "PolygonM",
        Shape::PolygonZ(_) => "PolygonZ",
        Shape::Multipoint(_) => "MultiPoint",
        Shape::MultipointM(_) => "MultiPointM",
        Shape::MultipointZ(_) => "MultiPointZ",
        Shape::Multipatch(_) => "MultiPatch",
    }
}

/// A ring's coordinates and whether the file winds it as an outer ring (clockwise).
type RingPart = (Vec<Coord<f64>>, bool);

fn ring_coords<P>(rings: Vec<PolygonRing<P>>, xy: impl Fn(&P) -> Coord<f64>) -> Vec<RingPart> {
    rings
        .into_iter()
        .map(|ring| match ring {
            PolygonRing::Outer(points) => (points.iter().map(&xy).collect(), true),
            PolygonRing::Inner(points) => (points.iter().map(&xy).collect(), false),
        })
        .collect()
}

/// Counts of ring repairs over a whole layer.
#[derive(Debug, Default)]
struct RingStats {
    /// Rings with fewer than 3 distinct positions, dropped.
    degenerate: usize,
    /// Holes in no outer ring, read as polygons.
    orphan_holes: usize,
    /// Shapes whose rings were all counter-clockwise, grouped by nesting.
    rewound_shapes: usize,
    /// Rings whose last point did not repeat the first, closed.
    unclosed: usize,
}

impl RingStats {
    fn add(&mut self, other: &RingStats) {
        self.degenerate += other.degenerate;
        self.orphan_holes += other.orphan_holes;
        self.rewound_shapes += other.rewound_shapes;
        self.unclosed += other.unclosed;
    }

    fn report(&self, warnings: &mut Vec<String>) {
        if self.degenerate > 0 {
            warnings.push(format!(
                "{} rings with fewer than 3 points were dropped",
                self.degenerate
            ));
        }
        if self.orphan_holes > 0 {
            warnings.push(format!(
                "{} holes (counter-clockwise rings) lie in no outer ring and were read as separate polygons",
                self.orphan_holes
            ));
        }
        if self.unclosed > 0 {
            warnings.push(format!(
                "{} rings were not closed (the last point did not repeat the first); they were closed",
                self.unclosed
            ));
        }
        if self.rewound_shapes > 0 {
            warnings.push(format!(
                "{} shapes had only counter-clockwise rings; outer rings and holes were told apart by nesting",
                self.rewound_shapes
            ));
        }
    }
}

/// Bounding box `[min_x, min_y, max_x, max_y]`.
type Bbox = [f64; 4];

fn bbox_of(coords: &[Coord<f64>]) -> Bbox {
    coords.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |b, c| [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)],
    )
}

fn bbox_contains(outer: &Bbox, inner: &Bbox) -> bool {
    outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3]
}

/// Absolute area (shoelace) of a ring.
fn ring_area(coords: &[Coord<f64>]) -> f64 {
    let n = coords.len();
    let mut twice = 0.0;
    for i in 0..n {
        let a = coords[i];
        let b = coords[(i + 1) % n];
        twice += a.x * b.y - b.x * a.y;
    }
    (twice / 2.0).abs()
}

/// Where a point lies relative to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    Inside,
    Outside,
    Boundary,
}

/// Crossing-number point-in-ring test with an exact on-edge check.
fn locate(p: Coord<f64>, ring: &[Coord<f64>]) -> Location {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + 1) % n];
        let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        if cross == 0.0
            && p.x >= a.x.min(b.x)
            && p.x <= a.x.max(b.x)
            && p.y >= a.y.min(b.y)
            && p.y <= a.y.max(b.y)
        {
            return Location::Boundary;
        }
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    if inside {
        Location::Inside
    } else {
        Location::Outside
    }
}

/// True when `inner` lies inside `outer` (decided by its first vertex not on `outer`'s edge).
fn ring_inside(inner: &[Coord<f64>], outer: &[Coord<f64>]) -> bool {
    for &p in inner {
        match locate(p, outer) {
            Location::Inside => return true,
            Location::Outside => return false,
            Location::Boundary => {}
        }
    }
    true
}

/// One ring prepared for grouping.
struct Ring {
    coords: Vec<Coord<f64>>,
    bbox: Bbox,
    area: f64,
    outer: bool,
}

/// Groups the rings of one shape into polygons (see the module docs).
fn assemble_rings(parts: Vec<RingPart>, stats: &mut RingStats) -> MultiPolygon<f64> {
    let mut rings: Vec<Ring> = Vec::with_capacity(parts.len());
    for (coords, outer) in parts {
        let closed = coords.len() > 1 && coords.first() == coords.last();
        let distinct = coords.len() - usize::from(closed);
        if distinct < 3 {
            stats.degenerate += 1;
            continue;
        }
        if !closed {
            stats.unclosed += 1; // Polygon::new closes it
        }
        let bbox = bbox_of(&coords);
        let area = ring_area(&coords);
        rings.push(Ring {
            coords,
            bbox,
            area,
            outer,
        });
    }
    if rings.is_empty() {
        return MultiPolygon(Vec::new());
    }
    if !rings.iter().any(|r| r.outer) && rings.len() > 1 {
        // Wrongly wound: outer rings are those nested in an even number of others.
        stats.rewound_shapes += 1;
        let depth: Vec<usize> = (0..rings.len())
            .map(|i| {
                (0..rings.len())
                    .filter(|&j| {
                        j != i
                            && rings[j].area > rings[i].area
                            && bbox_contains(&rings[j].bbox, &rings[i].bbox)
                            && ring_inside(&rings[i].coords, &rings[j].coords)
                    })
                    .count()
            })
            .collect();
        for (ring, d) in rings.iter_mut().zip(depth) {
            ring.outer = d % 2 == 0;
        }
    } else if !rings.iter().any(|r| r.outer) {
        // A single counter-clockwise ring: read it as an outer ring.
        for ring in &mut rings {
            ring.outer = true;
        }
    }

    let (outers, holes): (Vec<Ring>, Vec<Ring>) = rings.into_iter().partition(|r| r.outer);
    let mut interiors: Vec<Vec<LineString<f64>>> = vec![Vec::new(); outers.len()];
    let mut extra: Vec<Polygon<f64>> = Vec::new();
    for hole in holes {
        let home = outers
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                bbox_contains(&o.bbox, &hole.bbox) && ring_inside(&hole.coords, &o.coords)
            })
            .min_by(|(_, a), (_, b)| a.area.total_cmp(&b.area))
            .map(|(i, _)| i);
        match home.and_then(|i| interiors.get_mut(i)) {
            Some(list) => list.push(LineString::from(hole.coords)),
            None => {
                stats.orphan_holes += 1;
                extra.push(Polygon::new(LineString::from(hole.coords), Vec::new()));
            }
        }
    }
    let mut polygons: Vec<Polygon<f64>> = outers
        .into_iter()
        .zip(interiors)
        .map(|(o, holes)| Polygon::new(LineString::from(o.coords), holes))
        .collect();
    polygons.extend(extra);
    MultiPolygon(polygons)
}

/// One DBF record as read.
enum Record {
    /// Marked deleted (`*`).
    Deleted,
    /// The attribute values, aligned with the decoded field names.
    Values(Vec<Value>),
}

/// Counts of value repairs over a whole table.
#[derive(Debug, Default)]
struct ValueStats {
    cut_text: usize,
    lossy_text: usize,
    bad_numbers: usize,
    unread_fields: BTreeSet<String>,
}

impl ValueStats {
    fn report(&self, enc: &'static Encoding, warnings: &mut Vec<String>) {
        if self.cut_text > 0 {
            warnings.push(format!(
                "{} text values were cut mid-character by their field width; the incomplete bytes were dropped",
                self.cut_text
            ));
        }
        if self.lossy_text > 0 {
            warnings.push(format!(
                "{} text values hold bytes that are not valid {}; they were replaced by �",
                self.lossy_text,
                display_name(enc)
            ));
        }
        if self.bad_numbers > 0 {
            warnings.push(format!(
                "{} numbers could not be parsed and were read as empty",
                self.bad_numbers
            ));
        }
        if !self.unread_fields.is_empty() {
            let names: Vec<&str> = self.unread_fields.iter().map(String::as_str).collect();
            warnings.push(format!(
                "memo/binary fields are not read (left empty): {}",
                names.join(", ")
            ));
        }
    }
}

/// Sequential reader of DBF records.
struct DbfReader {
    path: PathBuf,
    reader: BufReader<File>,
    header: DbfHeader,
    /// Indices into `header.fields` of the fields that become attributes.
    columns: Vec<usize>,
    encoding: &'static Encoding,
    record: Vec<u8>,
    next: usize,
    /// Records that can be read (the header's count, all present).
    available: usize,
    stats: ValueStats,
}

impl DbfReader {
    fn open(path: &Path, encoding: &'static Encoding) -> Result<Self, ReadError> {
        let header = read_dbf_header(path)?;
        let present = header.records_present();
        if present < header.num_records {
            return Err(ReadError::invalid(
                path,
                format!(
                    "truncated: the header declares {} records but the file holds only {present}",
                    header.num_records
                ),
            ));
        }
        let file = File::open(path).map_err(|source| ReadError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        reader
            .seek(SeekFrom::Start(header.header_len as u64))
            .map_err(|source| ReadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        // `0` is the hidden _NullFlags field of Visual FoxPro.
        let columns = (0..header.fields.len())
            .filter(|&i| header.fields[i].kind != b'0')
            .collect();
        Ok(DbfReader {
            path: path.to_path_buf(),
            reader,
            record: vec![0u8; header.record_len],
            available: header.num_records,
            header,
            columns,
            encoding,
            next: 0,
            stats: ValueStats::default(),
        })
    }

    /// Decodes the field names; names cut mid-character, undecodable, empty or duplicated are
    /// repaired with a warning each.
    fn decode_field_names(&self, warnings: &mut Vec<String>) -> Vec<String> {
        let mut names: Vec<String> = Vec::with_capacity(self.columns.len());
        for (position, &i) in self.columns.iter().enumerate() {
            let Some(field) = self.header.fields.get(i) else {
                continue;
            };
            let raw = trim_text(&field.name);
            let (mut name, how) = decode_text(raw, self.encoding);
            match how {
                Decoded::Clean => {}
                Decoded::CutMidCharacter => warnings.push(format!(
                    "field name bytes {} cut mid-character; read as “{name}”",
                    hex_bytes(raw)
                )),
                Decoded::Lossy => warnings.push(format!(
                    "field name bytes {} are not valid {}; read as “{name}”",
                    hex_bytes(raw),
                    display_name(self.encoding)
                )),
            }
            if name.trim().is_empty() {
                name = format!("field_{}", position + 1);
                warnings.push(format!(
                    "field {} has no name; called it “{name}”",
                    position + 1
                ));
            }
            if names.contains(&name) {
                let base = name.clone();
                let mut n = 2;
                while names.contains(&format!("{base}_{n}")) {
                    n += 1;
                }
                name = format!("{base}_{n}");
                warnings.push(format!("duplicate field name “{base}” renamed “{name}”"));
            }
            names.push(name);
        }
        names
    }

    /// The next record, or `None` after the last one.
    fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        if self.next >= self.available {
            return Ok(None);
        }
        self.next += 1;
        if let Err(e) = self.reader.read_exact(&mut self.record) {
            return Err(if e.kind() == ErrorKind::UnexpectedEof {
                ReadError::invalid(
                    &self.path,
                    format!("truncated: record {} is incomplete", self.next),
                )
            } else {
                ReadError::Io {
                    path: self.path.clone(),
                    source: e,
                }
            });
        }
        if self.record.first() == Some(&b'*') {
            return Ok(Some(Record::Deleted));
        }
        let mut values = Vec::with_capacity(self.columns.len());
        for &i in &self.columns {
            let Some(field) = self.header.fields.get(i) else {
                values.push(Value::Null);
                continue;
            };
            let bytes = self
                .record
                .get(field.offset..field.offset + field.length)
                .unwrap_or(&[]);
            values.push(field_value(field, bytes, self.encoding, &mut self.stats));
        }
        Ok(Some(Record::Values(values)))
    }
}

/// Converts the bytes of one field to a value.
fn field_value(
    field: &DbfField,
    bytes: &[u8],
    enc: &'static Encoding,
    stats: &mut ValueStats,
) -> Value {
    match field.kind {
        b'C' | b'V' => text_value(bytes, enc, stats),
        b'N' | b'F' => number_value(bytes, field.decimals, stats),
        b'L' => match trim_text(bytes).first() {
            Some(b'T' | b't' | b'Y' | b'y') => Value::Bool(true),
            Some(b'F' | b'f' | b'N' | b'n') => Value::Bool(false),
            _ => Value::Null,
        },
        b'D' => date_value(trim_text(bytes)),
        b'I' | b'+' => match bytes.get(..4) {
            Some(b) => Value::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            None => Value::Null,
        },
        b'O' | b'B' if bytes.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(bytes);
            let v = f64::from_le_bytes(b);
            if v.is_finite() {
                Value::Real(v)
            } else {
                Value::Null
            }
        }
        b'Y' if bytes.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(bytes);
            Value::Real(i64::from_le_bytes(b) as f64 / 10_000.0)
        }
        b'T' if bytes.len() == 8 => {
            let day = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            let ms = i32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            datetime_value(day, ms)
        }
        b'M' | b'G' | b'P' | b'W' | b'B' | b'@' => {
            let (name, _) = decode_text(trim_text(&field.name), enc);
            stats.unread_fields.insert(name);
            Value::Null
        }
        _ => text_value(bytes, enc, stats),
    }
}

fn text_value(bytes: &[u8], enc: &'static Encoding, stats: &mut ValueStats) -> Value {
    let trimmed = trim_text(bytes);
    if trimmed.is_empty() {
        return Value::Null;
    }
    let (text, how) = decode_text(trimmed, enc);
    match how {
        Decoded::Clean => {}
        Decoded::CutMidCharacter => stats.cut_text += 1,
        Decoded::Lossy => stats.lossy_text += 1,
    }
    let text = text.trim();
    if text.is_empty() {
        Value::Null
    } else {
        Value::Text(text.to_string())
    }
}

/// Largest integer an f64 holds exactly (2^53).
const EXACT_F64_INT: f64 = 9_007_199_254_740_992.0;

fn number_value(bytes: &[u8], decimals: u8, stats: &mut ValueStats) -> Value {
    let trimmed = trim_text(bytes);
    if trimmed.is_empty() || trimmed.iter().all(|b| *b == b'*') {
        return Value::Null;
    }
    let Ok(text) = std::str::from_utf8(trimmed) else {
        stats.bad_numbers += 1;
        return Value::Null;
    };
    let text = text.trim_start_matches('+');
    if decimals == 0
        && let Ok(i) = text.parse::<i64>()
    {
        return Value::Int(i);
    }
    let parsed = text
        .parse::<f64>()
        .or_else(|_| text.replace(',', ".").parse::<f64>());
    match parsed {
        Ok(v) if v.is_finite() => {
            if decimals == 0 && v.fract() == 0.0 && v.abs() < EXACT_F64_INT {
                Value::Int(v as i64)
            } else {
                Value::Real(v)
            }
        }
        _ => {
            stats.bad_numbers += 1;
            Value::Null
        }
    }
}

/// `YYYYMMDD` → `YYYY-MM-DD`; blank or zero dates are empty; anything else is kept as text.
fn date_value(trimmed: &[u8]) -> Value {
    if trimmed.is_empty() || trimmed.iter().all(|b| *b == b'0') {
        return Value::Null;
    }
    let text = String::from_utf8_lossy(trimmed).into_owned();
    if trimmed.len() == 8 && trimmed.iter().all(u8::is_ascii_digit) {
        let month: u32 = text.get(4..6).and_then(|s| s.parse().ok()).unwrap_or(0);
        let day: u32 = text.get(6..8).and_then(|s| s.parse().ok()).unwrap_or(0);
        if (1..=12).contains(&month) && (1..=31).contains(&day) {
            return Value::Text(format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..8]));
        }
    }
    Value::Text(text)
}

/// Visual FoxPro date-time: Julian day number and milliseconds since midnight.
fn datetime_value(julian_day: i32, ms: i32) -> Value {
    if julian_day <= 0 {
        return Value::Null;
    }
    // Richards' algorithm, Julian day number → proleptic Gregorian date.
    let j = i64::from(julian_day);
    let f = j + 1401 + (((4 * j + 274_277) / 146_097) * 3) / 4 - 38;
    let e = 4 * f + 3;
    let g = (e % 1461) / 4;
    let h = 5 * g + 2;
    let day = (h % 153) / 5 + 1;
    let month = ((h / 153 + 2) % 12) + 1;
    let year = e / 1461 - 4716 + (12 + 2 - month) / 12;
    let secs = i64::from(ms.max(0)) / 1000;
    Value::Text(format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::CoordsIter;

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel)
    }

    fn text(v: &Value) -> &str {
        match v {
            Value::Text(t) => t,
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn gbk_without_cpg() {
        let layer = read_shapefile(&data("odd/gbk_no_cpg/面84.shp"), None).expect("read");
        assert_eq!(layer.name, "面84");
        assert_eq!(
            layer.encoding.as_deref(),
            Some("GBK (DBF language driver 0x4D)")
        );
        assert_eq!(layer.features.len(), 1);
        let name = layer.field_index("NAME").expect("NAME field");
        assert_eq!(text(&layer.features[0].attrs[name]), "湖北省");
        let vertices = layer.features[0].geometry.coords_count();
        assert!((21_700..=21_800).contains(&vertices), "{vertices} vertices");
        assert!(
            matches!(&layer.declared_crs, Some(DeclaredCrs::Wkt(w)) if w.starts_with("GEOGCS[\"GCS_WGS_1984\""))
        );
        assert_eq!(layer.skipped_total(), 0);
        assert!(layer.warnings.is_empty(), "{:?}", layer.warnings);
        let code = layer.field_index("CODE_1").expect("CODE_1");
        assert!(matches!(
            layer.features[0].attrs[code],
            Value::Int(_) | Value::Null
        ));
    }

    #[test]
    fn utf8_without_cpg() {
        let layer =
            read_shapefile(&data("odd/utf8_no_cpg/ningxia_district.shp"), None).expect("read");
        assert_eq!(layer.features.len(), 22);
        assert_eq!(layer.declared_crs, None);
        assert!(
            layer
                .encoding
                .as_deref()
                .is_some_and(|e| e.starts_with("UTF-8"))
        );
        let name = layer.field_index("name").expect("name");
        let names: Vec<&str> = layer
            .features
            .iter()
            .map(|f| text(&f.attrs[name]))
            .collect();
        assert!(
            names.contains(&"银川市") || names.iter().any(|n| n.contains("县") || n.contains("区")),
            "{names:?}"
        );
        assert!(names.iter().all(|n| !n.contains('\u{fffd}')));
        let lat = layer.field_index("centerlat").expect("centerlat");
        assert!(
            matches!(layer.features[0].attrs[lat], Value::Real(v) if (35.0..40.0).contains(&v))
        );
        // Several features have more than one part.
        assert!(
            layer
                .features
                .iter()
                .any(|f| f.geometry.0.len() > 1 || !f.geometry.0[0].interiors().is_empty())
        );
    }

    #[test]
    fn utf8_with_cut_field_names() {
        let layer = read_shapefile(&data("odd/utf8_truncated_fieldnames/面albers.shp"), None)
            .expect("read");
        assert_eq!(layer.features.len(), 21);
        assert_eq!(layer.field_names[0], "图斑编");
        assert_eq!(layer.field_names[1], "坡度");
        assert!(
            layer
                .warnings
                .iter()
                .any(|w| w.contains("e5 9b be e6 96 91 e7 bc 96 e7") && w.contains("“图斑编”")),
            "{:?}",
            layer.warnings
        );
        assert!(matches!(&layer.declared_crs, Some(DeclaredCrs::Wkt(w)) if w.contains("Albers")));
        assert_eq!(layer.encoding.as_deref(), Some("UTF-8 (.cpg)"));
        // 坡度 is N(24,15): a real number.
        assert!(
            layer
                .features
                .iter()
                .all(|f| matches!(f.attrs[1], Value::Real(_) | Value::Null))
        );
    }

    #[test]
    fn shp_without_shx_and_dbf_is_a_clear_outcome() {
        let layer = read_shapefile(&data("odd/shp_without_shx_dbf/china.shp"), None).expect("read");
        assert!(layer.features.is_empty());
        assert_eq!(layer.skipped.get("PolyLine"), Some(&2301));
        assert!(layer.field_names.is_empty());
        assert!(layer.warnings.iter().any(|w| w.contains("no .shx")));
        assert!(layer.warnings.iter().any(|w| w.contains("no .dbf")));
        assert!(layer.warnings.iter().any(|w| w.contains("PolyLine")));
    }

    fn copy_albers(dir: &Path) -> PathBuf {
        for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
            let from = data(&format!("odd/utf8_truncated_fieldnames/面albers.{ext}"));
            std::fs::copy(&from, dir.join(format!("面albers.{ext}"))).expect("copy");
        }
        dir.join("面albers.shp")
    }

    #[test]
    fn zero_length_and_garbage_shp_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("empty.shp");
        std::fs::write(&p, b"").expect("write");
        let err = read_shapefile(&p, None).expect_err("empty");
        assert!(err.to_string().contains("empty.shp"), "{err}");
        std::fs::write(&p, vec![7u8; 300]).expect("write");
        let err = read_shapefile(&p, None).expect_err("garbage");
        assert!(err.to_string().contains("not a shapefile"), "{err}");
        let err = read_shapefile(&dir.path().join("missing.shp"), None).expect_err("missing");
        assert!(matches!(err, ReadError::Open { .. }), "{err}");
    }

    #[test]
    fn truncated_shp_never_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shp = copy_albers(dir.path());
        let full = std::fs::read(&shp).expect("read");
        for cut in [
            1usize,
            50,
            99,
            100,
            101,
            108,
            150,
            500,
            5000,
            full.len() - 1,
        ] {
            std::fs::write(&shp, &full[..cut]).expect("write");
            let result = read_shapefile(&shp, None);
            let err = result.expect_err("truncated file must fail");
            assert!(err.to_string().contains("面albers.shp"), "{cut}: {err}");
        }
        // The .shx gone as well: still an error, not a panic.
        std::fs::remove_file(dir.path().join("面albers.shx")).expect("rm");
        std::fs::write(&shp, &full[..full.len() / 2]).expect("write");
        assert!(read_shapefile(&shp, None).is_err());
        // Header length patched to the cut size: the reader meets a cut record.
        let mut cut = full[..full.len() / 2].to_vec();
        let words = i32::try_from(cut.len() / 2).expect("fits");
        cut[24..28].copy_from_slice(&words.to_be_bytes());
        std::fs::write(&shp, &cut).expect("write");
        let err = read_shapefile(&shp, None).expect_err("cut record");
        assert!(
            err.to_string().contains("truncated") || err.to_string().contains("面albers"),
            "{err}"
        );
    }

    #[test]
    fn missing_companions_and_short_dbf() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shp = copy_albers(dir.path());
        // No .shx: sequential read, same features.
        std::fs::remove_file(dir.path().join("面albers.shx")).expect("rm");
        let layer = read_shapefile(&shp, None).expect("read");
        assert_eq!(layer.features.len(), 21);
        assert!(layer.warnings.iter().any(|w| w.contains("no .shx")));

        // A .dbf whose header claims fewer records: the last shapes have no attributes.
        let dbf = dir.path().join("面albers.dbf");
        let mut bytes = std::fs::read(&dbf).expect("read");
        bytes[4..8].copy_from_slice(&20u32.to_le_bytes());
        std::fs::write(&dbf, &bytes).expect("write");
        let layer = read_shapefile(&shp, None).expect("read");
        assert_eq!(layer.features.len(), 21);
        assert!(layer.features[20].attrs.iter().all(Value::is_null));
        assert!(
            layer
                .warnings
                .iter()
                .any(|w| w.contains("20 records") && w.contains("21 shapes")),
            "{:?}",
            layer.warnings
        );

        // A .dbf cut short is a clear error naming the .dbf.
        bytes[4..8].copy_from_slice(&21u32.to_le_bytes());
        std::fs::write(&dbf, &bytes[..bytes.len() - 500]).expect("write");
        let err = read_shapefile(&shp, None).expect_err("truncated dbf");
        assert!(
            err.to_string().contains("面albers.dbf") && err.to_string().contains("truncated"),
            "{err}"
        );

        // No .dbf at all.
        std::fs::remove_file(&dbf).expect("rm");
        let layer = read_shapefile(&shp, None).expect("read");
        assert_eq!(layer.features.len(), 21);
        assert!(layer.field_names.is_empty() && layer.features[0].attrs.is_empty());
        assert!(layer.encoding.is_none());
    }

    #[test]
    fn upper_case_companions_are_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shp = copy_albers(dir.path());
        std::fs::rename(
            dir.path().join("面albers.dbf"),
            dir.path().join("面albers.DBF"),
        )
        .expect("mv");
        std::fs::rename(
            dir.path().join("面albers.prj"),
            dir.path().join("面albers.Prj"),
        )
        .expect("mv");
        let layer = read_shapefile(&shp, None).expect("read");
        assert_eq!(layer.field_names.len(), 6);
        assert!(layer.declared_crs.is_some());
    }

    fn square(x0: f64, y0: f64, size: f64, clockwise: bool) -> Vec<Coord<f64>> {
        let mut c = vec![
            Coord { x: x0, y: y0 },
            Coord {
                x: x0,
                y: y0 + size,
            },
            Coord {
                x: x0 + size,
                y: y0 + size,
            },
            Coord {
                x: x0 + size,
                y: y0,
            },
            Coord { x: x0, y: y0 },
        ];
        if !clockwise {
            c.reverse();
        }
        c
    }

    #[test]
    fn holes_go_to_the_outer_ring_that_contains_them() {
        let mut stats = RingStats::default();
        // Two outer rings, the hole listed first and belonging to the second one.
        let parts = vec![
            (square(12.0, 2.0, 2.0, false), false),
            (square(0.0, 0.0, 5.0, true), true),
            (square(10.0, 0.0, 5.0, true), true),
            (square(1.0, 1.0, 1.0, false), false),
        ];
        let mp = assemble_rings(parts, &mut stats);
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[0].interiors()[0].0[0], Coord { x: 1.0, y: 1.0 });
        assert_eq!(mp.0[1].interiors().len(), 1);
        assert_eq!(mp.0[1].interiors()[0].0[0].x, 12.0);
        assert_eq!(stats.orphan_holes, 0);

        // An orphan hole becomes a polygon; a degenerate ring is dropped.
        let parts = vec![
            (square(0.0, 0.0, 5.0, true), true),
            (square(20.0, 20.0, 1.0, false), false),
            (
                vec![Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 }],
                true,
            ),
        ];
        let mp = assemble_rings(parts, &mut stats);
        assert_eq!(mp.0.len(), 2);
        assert_eq!((stats.orphan_holes, stats.degenerate), (1, 1));

        // All counter-clockwise: grouped by nesting.
        let parts = vec![
            (square(0.0, 0.0, 5.0, false), false),
            (square(1.0, 1.0, 1.0, false), false),
        ];
        let mp = assemble_rings(parts, &mut stats);
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(stats.rewound_shapes, 1);
    }

    #[test]
    fn values_are_typed() {
        let mut stats = ValueStats::default();
        let field = |kind: u8, decimals: u8| DbfField {
            name: b"X".to_vec(),
            kind,
            offset: 1,
            length: 10,
            decimals,
        };
        let utf8 = encoding_rs::UTF_8;
        assert_eq!(
            field_value(&field(b'N', 0), b"      42  ", utf8, &mut stats),
            Value::Int(42)
        );
        assert_eq!(
            field_value(&field(b'N', 0), b"  4.0e1   ", utf8, &mut stats),
            Value::Int(40)
        );
        assert_eq!(
            field_value(&field(b'N', 2), b"     42.00", utf8, &mut stats),
            Value::Real(42.0)
        );
        assert_eq!(
            field_value(&field(b'N', 0), b"          ", utf8, &mut stats),
            Value::Null
        );
        assert_eq!(
            field_value(&field(b'N', 0), b"**********", utf8, &mut stats),
            Value::Null
        );
        assert_eq!(
            field_value(&field(b'N', 0), b"   abc    ", utf8, &mut stats),
            Value::Null
        );
        assert_eq!(stats.bad_numbers, 1);
        assert_eq!(
            field_value(&field(b'F', 3), b"    -1.500", utf8, &mut stats),
            Value::Real(-1.5)
        );
        assert_eq!(
            field_value(&field(b'L', 0), b"T", utf8, &mut stats),
            Value::Bool(true)
        );
        assert_eq!(
            field_value(&field(b'L', 0), b"?", utf8, &mut stats),
            Value::Null
        );
        assert_eq!(
            field_value(&field(b'D', 0), b"20240601", utf8, &mut stats),
            Value::Text("2024-06-01".into())
        );
        assert_eq!(
            field_value(&field(b'D', 0), b"        ", utf8, &mut stats),
            Value::Null
        );
        assert_eq!(
            field_value(&field(b'C', 0), "  图斑  ".as_bytes(), utf8, &mut stats),
            Value::Text("图斑".into())
        );
        assert_eq!(
            field_value(&field(b'C', 0), b"     ", utf8, &mut stats),
            Value::Null
        );
        assert_eq!(
            field_value(&field(b'C', 0), &[0xe5, 0x9b, 0xbe, 0xe6], utf8, &mut stats),
            Value::Text("图".into())
        );
        assert_eq!(stats.cut_text, 1);
        assert_eq!(
            field_value(&field(b'I', 0), &7i32.to_le_bytes(), utf8, &mut stats),
            Value::Int(7)
        );
        assert_eq!(
            field_value(&field(b'M', 0), b"        12", utf8, &mut stats),
            Value::Null
        );
        assert_eq!(
            field_value(
                &field(b'T', 0),
                &[0x59, 0x68, 0x25, 0x00, 0, 0, 0, 0],
                utf8,
                &mut stats
            ),
            Value::Text("2000-01-01 00:00:00".into())
        );
        assert_eq!(
            field_value(&field(b'T', 0), &[0u8; 8], utf8, &mut stats),
            Value::Null
        );
    }
}
