//! GeoJSON reader (RFC 7946, plus the legacy 2008 `crs` member).
//!
//! The document is deserialized in one pass with serde: the outer structure by small types of
//! our own (so that property keys keep their order in the file), each geometry by
//! [`geojson::Geometry`]. A `FeatureCollection`, a single `Feature` and a bare geometry are
//! accepted.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{GeometryValue, Position};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::error::ReadError;
use super::source::{DeclaredCrs, RawFeature, RawLayer};
use crate::domain::fields::Value;

/// Reads the polygon features of a GeoJSON file.
///
/// Polygon and MultiPolygon geometries are kept (as multipolygons, coordinates as in the file:
/// x = longitude/easting); a GeometryCollection is kept when all its members are polygonal.
/// Other geometry types are counted in [`RawLayer::skipped`] by type name, features without a
/// geometry as "null geometry", empty polygons as "empty geometry", polygons with no ring of at
/// least 3 distinct positions as "degenerate geometry" (such rings are dropped, with a warning),
/// positions with fewer than two numbers as "invalid coordinates". Rings whose last position
/// does not repeat the first are closed, with a warning.
///
/// Attributes: the union of the property keys in first-seen order; numbers become `Int` when
/// written as integers (fitting i64), otherwise `Real`; arrays and objects become their JSON text.
///
/// CRS: the legacy `crs` member (`EPSG:4490`, `urn:ogc:def:crs:EPSG::4490` → `Epsg(4490)`;
/// `urn:ogc:def:crs:OGC:1.3:CRS84` → `Crs84`); without one, RFC 7946's default `Crs84`.
/// A file that is not UTF-8 but valid GBK is read as GBK, with a warning.
///
/// # Errors
/// [`ReadError::Open`]/[`ReadError::Io`] for file system errors, [`ReadError::Json`] when the
/// text is not JSON, [`ReadError::GeoJson`] or [`ReadError::Invalid`] when it is JSON but not
/// GeoJSON (no `type`, TopoJSON, malformed geometry ...).
pub fn read_geojson(path: &Path) -> Result<RawLayer, ReadError> {
    let mut file = File::open(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;

    let mut layer = RawLayer {
        path: path.to_path_buf(),
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..RawLayer::default()
    };
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(body) {
        Ok(t) => {
            layer.encoding = Some("UTF-8 (GeoJSON)".to_string());
            t.into()
        }
        Err(_) => {
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(body) {
                Some(t) => {
                    layer.encoding = Some("GBK (the file is not valid UTF-8)".to_string());
                    layer.warnings.push(
                        "the file is not UTF-8 as GeoJSON requires; it was read as GBK".to_string(),
                    );
                    t
                }
                None => {
                    return Err(ReadError::invalid(
                        path,
                        "not UTF-8 text (GeoJSON must be UTF-8)",
                    ));
                }
            }
        }
    };
    if text.trim().is_empty() {
        return Err(ReadError::invalid(path, "empty file: not GeoJSON"));
    }

    let top: TopLevel = serde_json::from_str(&text).map_err(|e| json_error(path, &text, e))?;
    let features: Vec<FeatureIn> = match top.kind.as_deref() {
        Some("FeatureCollection") => top.features.ok_or_else(|| {
            ReadError::invalid(path, "a FeatureCollection without a \"features\" array")
        })?,
        Some("Feature") => vec![FeatureIn {
            geometry: top.geometry,
            properties: top.properties,
        }],
        Some(
            "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
            | "GeometryCollection",
        ) => {
            let geometry: geojson::Geometry =
                serde_json::from_str(&text).map_err(|e| ReadError::GeoJson {
                    path: path.to_path_buf(),
                    source: geojson::Error::MalformedGeoJson(e),
                })?;
            vec![FeatureIn {
                geometry: Some(geometry),
                properties: None,
            }]
        }
        Some("Topology") => {
            return Err(ReadError::invalid(
                path,
                "this is TopoJSON, not GeoJSON; convert it to GeoJSON first",
            ));
        }
        Some(other) => {
            return Err(ReadError::invalid(
                path,
                format!("type “{other}” is not a GeoJSON object type"),
            ));
        }
        None => {
            return Err(ReadError::invalid(
                path,
                "the JSON object has no \"type\" member: not GeoJSON",
            ));
        }
    };
    layer.declared_crs = declared_crs(top.crs.as_ref(), &mut layer.warnings);

    // Field names: union of keys in first-seen order.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for feature in &features {
        for (key, _) in feature.properties.iter().flat_map(|p| p.0.iter()) {
            if !index.contains_key(key) {
                index.insert(key.clone(), layer.field_names.len());
                layer.field_names.push(key.clone());
            }
        }
    }

    let mut degenerate = 0usize;
    let mut unclosed = 0usize;
    for (source_index, feature) in features.into_iter().enumerate() {
        let Some(geometry) = feature.geometry else {
            *layer
                .skipped
                .entry("null geometry".to_string())
                .or_default() += 1;
            continue;
        };
        let degenerate_before = degenerate;
        let polygons = match polygons_of(&geometry.value, &mut degenerate, &mut unclosed) {
            Ok(p) if p.is_empty() && degenerate > degenerate_before => Err(Skip::Degenerate),
            Ok(p) if p.is_empty() => Err(Skip::Empty),
            other => other,
        };
        let polygons = match polygons {
            Ok(p) => p,
            Err(skip) => {
                *layer.skipped.entry(skip.to_string()).or_default() += 1;
                continue;
            }
        };
        let mut attrs = vec![Value::Null; layer.field_names.len()];
        for (key, value) in feature.properties.iter().flat_map(|p| p.0.iter()) {
            if let Some(slot) = index.get(key).and_then(|&i| attrs.get_mut(i)) {
                *slot = json_value(value);
            }
        }
        layer.features.push(RawFeature {
            geometry: MultiPolygon(polygons),
            attrs,
            source_index,
        });
    }
    if degenerate > 0 {
        layer.warnings.push(format!(
            "{degenerate} rings with fewer than 3 positions were dropped"
        ));
    }
    if unclosed > 0 {
        layer.warnings.push(format!(
            "{unclosed} rings were not closed (the last position did not repeat the first); they were closed"
        ));
    }
    Ok(layer)
}

/// The outer object of a GeoJSON document (whatever its type).
#[derive(Deserialize)]
struct TopLevel {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    features: Option<Vec<FeatureIn>>,
    #[serde(default)]
    geometry: Option<geojson::Geometry>,
    #[serde(default)]
    properties: Option<Properties>,
    #[serde(default)]
    crs: Option<serde_json::Value>,
}

/// One feature of a collection.
#[derive(Deserialize)]
struct FeatureIn {
    #[serde(default)]
    geometry: Option<geojson::Geometry>,
    #[serde(default)]
    properties: Option<Properties>,
}

/// Feature properties in file order.
struct Properties(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PropertiesVisitor;
        impl<'de> Visitor<'de> for PropertiesVisitor {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a properties object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    entries.push((key, value));
                }
                Ok(Properties(entries))
            }
        }
        deserializer.deserialize_map(PropertiesVisitor)
    }
}

/// Turns a serde error on the whole document into a [`ReadError`] with a helpful message.
fn json_error(path: &Path, text: &str, error: serde_json::Error) -> ReadError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof => ReadError::Json {
            path: path.to_path_buf(),
            source: error,
        },
        Category::Io => ReadError::Io {
            path: path.to_path_buf(),
            source: error.into(),
        },
        Category::Data => {
            let top = serde_json::from_str::<serde_json::Value>(text).ok();
            let kind = match &top {
                Some(serde_json::Value::Array(_)) => Some("an array"),
                Some(serde_json::Value::String(_)) => Some("a string"),
                Some(serde_json::Value::Number(_)) => Some("a number"),
                Some(serde_json::Value::Bool(_)) => Some("a boolean"),
                Some(serde_json::Value::Null) => Some("null"),
                _ => None,
            };
            match kind {
                Some(kind) => ReadError::invalid(
                    path,
                    format!("the JSON document is {kind}, not a GeoJSON object"),
                ),
                None => ReadError::GeoJson {
                    path: path.to_path_buf(),
                    source: geojson::Error::MalformedGeoJson(error),
                },
            }
        }
    }
}

/// Reads the legacy `crs` member (GeoJSON 2008). Absent → CRS84, the RFC 7946 default.
fn declared_crs(
    crs: Option<&serde_json::Value>,
    warnings: &mut Vec<String>,
) -> Option<DeclaredCrs> {
    let Some(crs) = crs else {
        return Some(DeclaredCrs::Crs84);
    };
    let kind = crs
        .get("type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let props = crs.get("properties");
    let found = match kind.to_ascii_lowercase().as_str() {
        "name" => props
            .and_then(|p| p.get("name"))
            .and_then(serde_json::Value::as_str)
            .and_then(crs_from_name),
        "epsg" => props
            .and_then(|p| p.get("code"))
            .and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .and_then(|c| u32::try_from(c).ok())
            .map(DeclaredCrs::Epsg),
        _ => None,
    };
    if found.is_none() {
        warnings.push(format!(
            "the crs member {crs} is not understood: no CRS declared"
        ));
    }
    found
}

/// `EPSG:4490`, `urn:ogc:def:crs:EPSG::4490`, `http://www.opengis.net/def/crs/EPSG/0/4490`
/// → EPSG 4490; `urn:ogc:def:crs:OGC:1.3:CRS84`, `CRS:84` → CRS84.
fn crs_from_name(name: &str) -> Option<DeclaredCrs> {
    let upper = name.trim().to_ascii_uppercase();
    if upper.ends_with("CRS84") || upper.ends_with("CRS:84") {
        return Some(DeclaredCrs::Crs84);
    }
    if upper.contains("EPSG") {
        let code = upper.rsplit([':', '/']).next()?;
        return code.trim().parse::<u32>().ok().map(DeclaredCrs::Epsg);
    }
    None
}

/// Why a geometry was not kept.
#[derive(Debug, Clone, PartialEq)]
enum Skip {
    /// A non-polygonal type (its GeoJSON name).
    Type(&'static str),
    /// No polygon.
    Empty,
    /// No polygon left once rings with fewer than 3 positions were dropped.
    Degenerate,
    /// A position with fewer than two numbers.
    BadPosition,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Type(name) => f.write_str(name),
            Skip::Empty => f.write_str("empty geometry"),
            Skip::Degenerate => f.write_str("degenerate geometry"),
            Skip::BadPosition => f.write_str("invalid coordinates"),
        }
    }
}

/// The polygons of a geometry value, or why it is skipped.
fn polygons_of(
    value: &GeometryValue,
    degenerate: &mut usize,
    unclosed: &mut usize,
) -> Result<Vec<Polygon<f64>>, Skip> {
    match value {
        GeometryValue::Polygon { coordinates } => Ok(polygon(coordinates, degenerate, unclosed)?
            .into_iter()
            .collect()),
        GeometryValue::MultiPolygon { coordinates } => {
            let mut out = Vec::with_capacity(coordinates.len());
            for rings in coordinates {
                out.extend(polygon(rings, degenerate, unclosed)?);
            }
            Ok(out)
        }
        GeometryValue::GeometryCollection { geometries } => {
            let mut out = Vec::new();
            for member in geometries {
                match polygons_of(&member.value, degenerate, unclosed) {
                    Ok(p) => out.extend(p),
                    Err(Skip::Empty | Skip::Degenerate) => {}
                    Err(Skip::BadPosition) => return Err(Skip::BadPosition),
                    Err(Skip::Type(_)) => return Err(Skip::Type("GeometryCollection")),
                }
            }
            Ok(out)
        }
        other => Err(Skip::Type(other.type_name())),
    }
}

/// One polygon from its rings; `None` when it has no usable exterior ring. Rings that are not
/// closed are counted in `unclosed` (`Polygon::new` closes them).
fn polygon(
    rings: &[Vec<Position>],
    degenerate: &mut usize,
    unclosed: &mut usize,
) -> Result<Option<Polygon<f64>>, Skip> {
    let mut iter = rings.iter();
    let Some(exterior) = iter.next() else {
        return Ok(None);
    };
    if exterior.is_empty() {
        return Ok(None);
    }
    let exterior = ring(exterior)?;
    if !usable(&exterior) {
        *degenerate += 1;
        return Ok(None);
    }
    *unclosed += usize::from(exterior.first() != exterior.last());
    let mut holes = Vec::with_capacity(rings.len().saturating_sub(1));
    for hole in iter {
        let hole = ring(hole)?;
        if usable(&hole) {
            *unclosed += usize::from(hole.first() != hole.last());
            holes.push(LineString::from(hole));
        } else {
            *degenerate += 1;
        }
    }
    Ok(Some(Polygon::new(LineString::from(exterior), holes)))
}

fn ring(positions: &[Position]) -> Result<Vec<Coord<f64>>, Skip> {
    positions
        .iter()
        .map(|p| match p.as_slice() {
            [x, y, ..] => Ok(Coord { x: *x, y: *y }),
            _ => Err(Skip::BadPosition),
        })
        .collect()
}

/// At least 3 distinct positions (the closing one not counted).
fn usable(coords: &[Coord<f64>]) -> bool {
    let closed = coords.len() > 1 && coords.first() == coords.last();
    coords.len() - usize::from(closed) >= 3
}

/// A JSON property value as an attribute value.
fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map_or(Value::Null, Value::Real),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
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

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn shanghai_buildings() {
        let layer = read_geojson(&data("real/shanghai_buildings.geojson")).expect("read");
        assert_eq!(layer.features.len(), 1572);
        assert_eq!(layer.declared_crs, Some(DeclaredCrs::Crs84));
        assert!(layer.warnings.is_empty(), "{:?}", layer.warnings);
        assert!(layer.field_index("id").is_some() && layer.field_index("height").is_some());
        assert_eq!(layer.name, "shanghai_buildings");
    }

    #[test]
    fn china_counties_with_legacy_crs() {
        let started = std::time::Instant::now();
        let layer = read_geojson(&data("admin/china_counties_4490.geojson")).expect("read");
        assert_eq!(layer.features.len(), 2891);
        assert_eq!(layer.skipped.get("MultiLineString"), Some(&7));
        assert_eq!(layer.skipped_total(), 7);
        assert_eq!(layer.declared_crs, Some(DeclaredCrs::Epsg(4490)));
        assert_eq!(
            layer.field_names,
            vec!["name".to_string(), "gb".to_string()]
        );
        let gb = layer.field_index("gb").expect("gb");
        assert!(layer.features.iter().all(|f| !f.attrs[gb].is_null()));
        assert!(
            started.elapsed().as_secs() < 20,
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn property_order_and_value_types() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "t.geojson",
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},
               "features":[
                {"type":"Feature","properties":{"村名":"南关村","b":1,"a":2.5},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
                {"type":"Feature","properties":{"z":true,"a":3,"arr":[1,2],"n":null},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}},
                {"type":"Feature","properties":null,"geometry":null},
                {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}},
                {"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}]}},
                {"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]}]}},
                {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[]}},
                {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0,0]]]}},
                {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}}
               ]}"#,
        );
        let layer = read_geojson(&p).expect("read");
        assert_eq!(layer.field_names, vec!["村名", "b", "a", "z", "arr", "n"]);
        assert_eq!(layer.declared_crs, Some(DeclaredCrs::Crs84));
        assert_eq!(layer.features.len(), 3);
        let f0 = &layer.features[0];
        assert_eq!(f0.attrs[0], Value::Text("南关村".into()));
        assert_eq!(f0.attrs[1], Value::Int(1));
        assert_eq!(f0.attrs[2], Value::Real(2.5));
        assert_eq!(f0.attrs[3], Value::Null);
        let f1 = &layer.features[1];
        assert_eq!(f1.geometry.0.len(), 2);
        assert_eq!(f1.attrs[2], Value::Int(3));
        assert_eq!(f1.attrs[3], Value::Bool(true));
        assert_eq!(f1.attrs[4], Value::Text("[1,2]".into()));
        assert_eq!(f1.source_index, 1);
        assert_eq!(layer.features[2].source_index, 4);
        assert_eq!(layer.skipped.get("null geometry"), Some(&1));
        assert_eq!(layer.skipped.get("Point"), Some(&1));
        assert_eq!(layer.skipped.get("GeometryCollection"), Some(&1));
        assert_eq!(layer.skipped.get("empty geometry"), Some(&1));
        assert_eq!(layer.skipped.get("invalid coordinates"), Some(&1));
        assert_eq!(layer.skipped.get("degenerate geometry"), Some(&1));
        assert_eq!(layer.warnings.len(), 1, "{:?}", layer.warnings);
    }

    #[test]
    fn single_feature_bare_geometry_and_crs_forms() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "f.json",
            r#"{"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:4490"}},"properties":{"k":"v"},
                "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#,
        );
        let layer = read_geojson(&p).expect("read");
        assert_eq!(layer.features.len(), 1);
        assert_eq!(layer.declared_crs, Some(DeclaredCrs::Epsg(4490)));
        assert_eq!(layer.field_names, vec!["k"]);

        let p = write(
            dir.path(),
            "g.geojson",
            r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}"#,
        );
        let layer = read_geojson(&p).expect("read");
        assert_eq!(layer.features.len(), 1);
        assert!(layer.field_names.is_empty() && layer.features[0].attrs.is_empty());

        assert_eq!(
            crs_from_name("urn:ogc:def:crs:EPSG::4490"),
            Some(DeclaredCrs::Epsg(4490))
        );
        assert_eq!(
            crs_from_name("http://www.opengis.net/def/crs/EPSG/0/4527"),
            Some(DeclaredCrs::Epsg(4527))
        );
        assert_eq!(
            crs_from_name("urn:ogc:def:crs:OGC::CRS84"),
            Some(DeclaredCrs::Crs84)
        );
        assert_eq!(crs_from_name("something"), None);
    }

    #[test]
    fn gbk_geojson_is_read_with_a_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = r#"{"type":"Feature","properties":{"名称":"湖北省"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#;
        let p = dir.path().join("gbk.geojson");
        std::fs::write(&p, encoding_rs::GBK.encode(text).0).expect("write");
        let layer = read_geojson(&p).expect("read");
        assert_eq!(layer.field_names, vec!["名称"]);
        assert_eq!(layer.features[0].attrs[0], Value::Text("湖北省".into()));
        assert_eq!(layer.warnings.len(), 1);
        // A UTF-8 BOM is accepted.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        std::fs::write(&p, bom).expect("write");
        assert_eq!(read_geojson(&p).expect("read").features.len(), 1);
    }

    #[test]
    fn not_json_and_not_geojson_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            ("a.geojson", "this is not json", "not valid JSON"),
            (
                "b.geojson",
                r#"{"type":"FeatureCollection","features":[{"type":"Feature""#,
                "not valid JSON",
            ),
            ("c.geojson", r#"{"name":"x","value":3}"#, "no \"type\""),
            ("d.geojson", r#"[1,2,3]"#, "an array"),
            (
                "e.geojson",
                r#"{"type":"Topology","objects":{}}"#,
                "TopoJSON",
            ),
            ("f.geojson", r#"{"type":"Banana"}"#, "Banana"),
            ("g.geojson", r#"{"type":"FeatureCollection"}"#, "features"),
            ("h.geojson", "", "empty"),
            (
                "i.geojson",
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":7}}]}"#,
                "not valid GeoJSON",
            ),
        ];
        for (name, text, expected) in cases {
            let p = write(dir.path(), name, text);
            let err = read_geojson(&p).expect_err(name);
            let msg = err.to_string();
            assert!(
                msg.contains(name) && msg.contains(expected),
                "{name}: {msg}"
            );
            assert!(!msg.contains('\n'), "{msg}");
        }
        let p = dir.path().join("bin.geojson");
        std::fs::write(&p, [0xff, 0xfe, 0x00, 0x81]).expect("write");
        assert!(read_geojson(&p).is_err());
        assert!(matches!(
            read_geojson(&dir.path().join("none.geojson")),
            Err(ReadError::Open { .. })
        ));
    }
}
