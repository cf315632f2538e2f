//! Coordinate reference systems (坐标系): detection of the source CRS of an input layer and
//! reprojection with PROJ into the project CRS, CGCS2000 geographic EPSG:4490 with axis order
//! (lon, lat) in degrees.
//!
//! Handled: EPSG codes (`--crs EPSG:4527`), WKT from .prj files (ESRI or OGC) and GeoPackage
//! definitions, the GeoJSON CRS84 default, and the 3° Gauss-Krüger zones of CGCS2000
//! (EPSG:4513–4533 with the zone number prefixed to the easting, EPSG:4534–4554 without it):
//! when the eastings contradict the declared variant the matching code is used with a warning.
//! WGS84 (EPSG:4326) and CGCS2000 differ by less than 0.1 m and are treated as equal.

use std::fmt;

use geo_types::MultiPolygon;
use proj::Proj;

use crate::io::source::DeclaredCrs;

use super::geometry::Bbox;

/// The project CRS: CGCS2000 geographic, lon/lat degrees.
pub const PROJECT_EPSG: u32 = 4490;

/// CRS errors.
#[derive(Debug, thiserror::Error)]
pub enum CrsError {
    /// The layer declares no CRS and its coordinates are not lon/lat.
    #[error(
        "no coordinate reference system found (no .prj / crs member) and the coordinates \
         (x {min_x:.4e}…{max_x:.4e}, y {min_y:.4e}…{max_y:.4e}) are not longitude/latitude; pass --crs EPSG:N, \
         e.g. --crs EPSG:4527 for CGCS2000 3° Gauss-Krüger zone 39 with zone prefix, --crs EPSG:4545 for CM 117°E \
         without prefix"
    )]
    Missing {
        /// Extent of the data.
        min_x: f64,
        /// Extent of the data.
        min_y: f64,
        /// Extent of the data.
        max_x: f64,
        /// Extent of the data.
        max_y: f64,
    },
    /// `--crs` text is not understood.
    #[error("--crs “{0}” is not understood; use EPSG:N (e.g. EPSG:4490, EPSG:4527)")]
    BadSpec(String),
    /// PROJ cannot build the transformation.
    #[error("PROJ cannot transform from {from} to EPSG:4490: {message}")]
    Proj {
        /// Source CRS description.
        from: String,
        /// PROJ's message.
        message: String,
    },
}

/// A source CRS, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceCrs {
    /// An EPSG code.
    Epsg(u32),
    /// WKT text (PROJ reads ESRI and OGC WKT).
    Wkt(String),
}

impl SourceCrs {
    /// The text given to PROJ.
    pub fn proj_definition(&self) -> String {
        match self {
            SourceCrs::Epsg(c) => format!("EPSG:{c}"),
            SourceCrs::Wkt(w) => w.clone(),
        }
    }
    /// True for lon/lat CRSs treated as identical to the project CRS (EPSG:4490, 4326, CRS84).
    pub fn is_project_lonlat(&self) -> bool {
        matches!(self, SourceCrs::Epsg(4490 | 4326))
    }
}

impl fmt::Display for SourceCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceCrs::Epsg(c) => write!(
                f,
                "EPSG:{c}{}",
                epsg_name(*c).map(|n| format!(" ({n})")).unwrap_or_default()
            ),
            SourceCrs::Wkt(w) => write!(f, "WKT “{}”", wkt_name(w).unwrap_or("unnamed")),
        }
    }
}

/// Short names of the CRSs the survey meets most.
pub fn epsg_name(code: u32) -> Option<String> {
    Some(match code {
        4490 => "CGCS2000".into(),
        4326 => "WGS 84".into(),
        3857 => "WGS 84 / Pseudo-Mercator".into(),
        4513..=4533 => format!("CGCS2000 / 3-degree Gauss-Kruger zone {}", code - 4513 + 25),
        4534..=4554 => format!(
            "CGCS2000 / 3-degree Gauss-Kruger CM {}E",
            75 + 3 * (code - 4534)
        ),
        _ => return None,
    })
}

/// The name inside the first `[`"…"` of a WKT text (PROJCS["name", or GEOGCS["name").
pub fn wkt_name(wkt: &str) -> Option<&str> {
    let start = wkt.find("[\"")? + 2;
    let rest = wkt.get(start..)?;
    let end = rest.find('"')?;
    rest.get(..end)
}

/// Parses `EPSG:4527`, `epsg:4527`, `4527` or `urn:ogc:def:crs:EPSG::4527`.
pub fn parse_crs_spec(text: &str) -> Result<SourceCrs, CrsError> {
    let t = text.trim();
    let digits = t.rsplit(':').next().unwrap_or(t);
    let upper = t.to_ascii_uppercase();
    if (upper.starts_with("EPSG:") || upper.starts_with("URN:OGC:DEF:CRS:EPSG:") || t == digits)
        && let Ok(code) = digits.parse::<u32>()
    {
        return Ok(SourceCrs::Epsg(code));
    }
    if upper.contains("CRS84") {
        return Ok(SourceCrs::Epsg(4326));
    }
    if t.starts_with("PROJCS[")
        || t.starts_with("GEOGCS[")
        || t.starts_with("PROJCRS[")
        || t.starts_with("GEOGCRS[")
    {
        return Ok(SourceCrs::Wkt(t.to_string()));
    }
    Err(CrsError::BadSpec(t.to_string()))
}

/// True when the extent fits longitude/latitude degrees.
pub fn looks_like_lonlat(extent: &Bbox) -> bool {
    !extent.is_empty()
        && extent.min_x >= -180.0
        && extent.max_x <= 180.0
        && extent.min_y >= -90.0
        && extent.max_y <= 90.0
}

/// Decides the source CRS of a layer: `--crs` first, then the declared CRS, else lon/lat data
/// is read as EPSG:4326 with a warning, else an error that says how to pass `--crs`.
/// For the CGCS2000 3° GK zones the eastings are checked against the zone-prefix variant.
/// Returns the CRS and warnings.
pub fn resolve(
    declared: Option<&DeclaredCrs>,
    override_spec: Option<&str>,
    extent: &Bbox,
) -> Result<(SourceCrs, Vec<String>), CrsError> {
    let mut warnings = Vec::new();
    let crs = match (override_spec, declared) {
        (Some(spec), _) => parse_crs_spec(spec)?,
        (None, Some(DeclaredCrs::Epsg(c))) => SourceCrs::Epsg(*c),
        (None, Some(DeclaredCrs::Crs84)) => SourceCrs::Epsg(4326),
        (None, Some(DeclaredCrs::Wkt(w))) => match wkt_epsg(w) {
            Some(code) => SourceCrs::Epsg(code),
            None => SourceCrs::Wkt(w.clone()),
        },
        (None, None) => {
            if looks_like_lonlat(extent) {
                warnings.push(
                    "no CRS declared; coordinates look like longitude/latitude and are read as EPSG:4326 \
                     (WGS 84); pass --crs to override"
                        .to_string(),
                );
                SourceCrs::Epsg(4326)
            } else {
                return Err(CrsError::Missing {
                    min_x: extent.min_x,
                    min_y: extent.min_y,
                    max_x: extent.max_x,
                    max_y: extent.max_y,
                });
            }
        }
    };
    let crs = match crs {
        SourceCrs::Epsg(code) => {
            let fixed = fix_gk_prefix(code, extent);
            if fixed != code {
                warnings.push(format!(
                    "eastings {:.0}…{:.0} do not fit EPSG:{code}; using EPSG:{fixed} ({})",
                    extent.min_x,
                    extent.max_x,
                    epsg_name(fixed).unwrap_or_default()
                ));
            }
            SourceCrs::Epsg(fixed)
        }
        other => other,
    };
    Ok((crs, warnings))
}

/// Recognises the CGCS2000 systems by their ESRI/OGC WKT names (the .prj files of Chinese
/// survey data rarely carry an AUTHORITY code), and `AUTHORITY["EPSG","N"]` at the top level.
pub fn wkt_epsg(wkt: &str) -> Option<u32> {
    let name = wkt_name(wkt)?.to_ascii_uppercase().replace(['-', ' '], "_");
    if wkt.trim_start().to_ascii_uppercase().starts_with("GEOGCS") {
        if name.contains("2000") && (name.contains("CHINA") || name.contains("CGCS")) {
            return Some(4490);
        }
        if name == "GCS_WGS_1984" || name == "WGS_84" || name == "WGS84" {
            return Some(4326);
        }
    }
    if name.contains("CGCS2000") && name.contains("3_DEGREE_GK") {
        // CGCS2000_3_Degree_GK_Zone_39 (with prefix) or CGCS2000_3_Degree_GK_CM_117E
        if let Some(z) = name.split("ZONE_").nth(1).and_then(|s| {
            s.trim_matches(|c: char| !c.is_ascii_digit())
                .parse::<u32>()
                .ok()
        }) && (25..=45).contains(&z)
        {
            return Some(4513 + z - 25);
        }
        if let Some(cm) = name.split("CM_").nth(1).and_then(|s| {
            s.trim_end_matches('E')
                .trim_end_matches('_')
                .parse::<u32>()
                .ok()
        }) && (75..=135).contains(&cm)
            && cm % 3 == 0
        {
            return Some(4534 + (cm - 75) / 3);
        }
    }
    // the last AUTHORITY of a WKT1 is the CRS's own
    let upper = wkt.to_ascii_uppercase();
    let pos = upper.rfind("AUTHORITY[\"EPSG\",\"")?;
    let rest = wkt.get(pos + 18..)?;
    let end = rest.find('"')?;
    let code: u32 = rest.get(..end)?.parse().ok()?;
    // only when it closes the whole definition (…AUTHORITY["EPSG","N"]] at the end)
    let tail = rest.get(end..)?.trim();
    (tail == "\"]]").then_some(code)
}

/// For CGCS2000 3° GK codes, picks the with/without-zone-prefix variant that fits the eastings:
/// with the prefix, eastings are zone × 10⁶ + ~500 000 (e.g. 39 500 000); without it, ~500 000.
pub fn fix_gk_prefix(code: u32, extent: &Bbox) -> u32 {
    if extent.is_empty() {
        return code;
    }
    let mid_x = (extent.min_x + extent.max_x) / 2.0;
    match code {
        4513..=4533 if mid_x.abs() < 1_000_000.0 => 4534 + (code - 4513),
        4534..=4554 if mid_x > 1_000_000.0 => {
            let zone = (mid_x / 1_000_000.0).floor() as u32;
            if (25..=45).contains(&zone) {
                4513 + zone - 25
            } else {
                code
            }
        }
        4513..=4533 if mid_x > 1_000_000.0 => {
            let zone = (mid_x / 1_000_000.0).floor() as u32;
            if (25..=45).contains(&zone) {
                4513 + zone - 25
            } else {
                code
            }
        }
        _ => code,
    }
}

/// Reprojects coordinates from a source CRS into EPSG:4490 lon/lat.
#[derive(Debug)]
pub struct Reprojector {
    proj: Option<Proj>,
    source: SourceCrs,
}

impl Reprojector {
    /// Builds the transformation (none for lon/lat sources treated as the project CRS).
    pub fn new(source: &SourceCrs) -> Result<Reprojector, CrsError> {
        if source.is_project_lonlat() {
            return Ok(Reprojector {
                proj: None,
                source: source.clone(),
            });
        }
        let proj =
            Proj::new_known_crs(&source.proj_definition(), "EPSG:4490", None).map_err(|e| {
                CrsError::Proj {
                    from: source.to_string(),
                    message: e.to_string(),
                }
            })?;
        Ok(Reprojector {
            proj: Some(proj),
            source: source.clone(),
        })
    }

    /// The source CRS.
    pub fn source(&self) -> &SourceCrs {
        &self.source
    }

    /// True when no transformation is applied.
    pub fn is_identity(&self) -> bool {
        self.proj.is_none()
    }

    /// Transforms a geometry in place. Returns false (geometry left partly transformed) when
    /// PROJ fails or a result is not finite.
    pub fn transform(&self, mp: &mut MultiPolygon<f64>) -> bool {
        let Some(proj) = &self.proj else {
            return true;
        };
        let mut pts: Vec<(f64, f64)> = Vec::new();
        for poly in &mp.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                pts.extend(ring.0.iter().map(|c| (c.x, c.y)));
            }
        }
        if proj.convert_array(&mut pts).is_err()
            || pts.iter().any(|p| !p.0.is_finite() || !p.1.is_finite())
        {
            return false;
        }
        let mut it = pts.into_iter();
        for poly in &mut mp.0 {
            let mut ok = true;
            poly.exterior_mut(|ext| {
                for c in &mut ext.0 {
                    match it.next() {
                        Some((x, y)) => {
                            c.x = x;
                            c.y = y;
                        }
                        None => ok = false,
                    }
                }
            });
            poly.interiors_mut(|ints| {
                for ring in ints {
                    for c in &mut ring.0 {
                        match it.next() {
                            Some((x, y)) => {
                                c.x = x;
                                c.y = y;
                            }
                            None => ok = false,
                        }
                    }
                }
            });
            if !ok {
                return false;
            }
        }
        true
    }

    /// Transforms one point (x, y) → (lon, lat).
    pub fn transform_point(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match &self.proj {
            None => Some((x, y)),
            Some(p) => p
                .convert((x, y))
                .ok()
                .filter(|r: &(f64, f64)| r.0.is_finite() && r.1.is_finite()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bbox(x0: f64, y0: f64, x1: f64, y1: f64) -> Bbox {
        Bbox {
            min_x: x0,
            min_y: y0,
            max_x: x1,
            max_y: y1,
        }
    }

    #[test]
    fn gk_zone_prefix_is_fixed_both_ways() {
        // zone 39 with prefix = EPSG:4527; CM 117E without prefix = EPSG:4548
        assert_eq!(
            fix_gk_prefix(
                4527,
                &bbox(39_400_000.0, 4_400_000.0, 39_600_000.0, 4_500_000.0)
            ),
            4527
        );
        assert_eq!(
            fix_gk_prefix(4527, &bbox(400_000.0, 4_400_000.0, 600_000.0, 4_500_000.0)),
            4548
        );
        assert_eq!(
            fix_gk_prefix(
                4548,
                &bbox(39_400_000.0, 4_400_000.0, 39_600_000.0, 4_500_000.0)
            ),
            4527
        );
        assert_eq!(
            fix_gk_prefix(4548, &bbox(400_000.0, 4_400_000.0, 600_000.0, 4_500_000.0)),
            4548
        );
    }

    #[test]
    fn gk_both_variants_reproject_to_the_same_place() {
        // Beijing-ish point, CM 117E: (500000, 4400000) ≈ (117.0E, 39.73N)
        let with = Reprojector::new(&SourceCrs::Epsg(4527)).expect("4527");
        let without = Reprojector::new(&SourceCrs::Epsg(4548)).expect("4548");
        let (lon1, lat1) = with.transform_point(39_500_000.0, 4_400_000.0).expect("pt");
        let (lon2, lat2) = without.transform_point(500_000.0, 4_400_000.0).expect("pt");
        assert!((lon1 - 117.0).abs() < 1e-6, "lon {lon1}");
        assert!((lat1 - 39.73).abs() < 0.01, "lat {lat1}");
        assert!((lon1 - lon2).abs() < 1e-9 && (lat1 - lat2).abs() < 1e-9);
    }

    #[test]
    fn esri_names_map_to_epsg() {
        let prj = r#"PROJCS["CGCS2000_3_Degree_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(wkt_epsg(prj), Some(4548));
        assert_eq!(wkt_epsg(&prj.replace("CM_117E", "Zone_39")), Some(4527));
        let geo = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(wkt_epsg(geo), Some(4490));
        assert_eq!(
            parse_crs_spec("EPSG:4527").ok(),
            Some(SourceCrs::Epsg(4527))
        );
        assert!(parse_crs_spec("whatever").is_err());
    }

    #[test]
    fn missing_crs_is_lonlat_or_an_error() {
        let (crs, w) = resolve(None, None, &bbox(105.0, 36.0, 106.0, 37.0)).expect("lonlat");
        assert_eq!(crs, SourceCrs::Epsg(4326));
        assert_eq!(w.len(), 1);
        let err = resolve(
            None,
            None,
            &bbox(39_400_000.0, 4_400_000.0, 39_600_000.0, 4_500_000.0),
        )
        .expect_err("err");
        assert!(err.to_string().contains("--crs"));
    }

    #[test]
    fn web_mercator_reprojects() {
        let r = Reprojector::new(&SourceCrs::Epsg(3857)).expect("3857");
        let (lon, lat) = r.transform_point(1_605_000.0, 6_465_000.0).expect("pt");
        assert!(
            (lon - 14.418).abs() < 0.01 && (lat - 50.10).abs() < 0.05,
            "{lon} {lat}"
        );
    }
}
