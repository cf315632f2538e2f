//! Export of parcels or houses, optionally filtered, as RFC 7946 GeoJSON with every survey field
//! under its stable code (and, for houses, the derived flags and the parcel's survey status).

use std::path::Path;

use geojson::JsonObject;
use serde_json::Value as Json;

use crate::domain::fields::{Field, Layer, Value};
use crate::domain::filter::{Expr, FilterContext};
use crate::io::geojson_out::{WriteError, write_feature_collection};
use crate::store::ProjectData;

/// Which records to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportLayer {
    /// 图斑
    Parcels,
    /// 自建房
    Buildings,
}

impl ExportLayer {
    /// Parses `parcels` or `buildings`.
    pub fn parse(text: &str) -> Option<ExportLayer> {
        match text.trim() {
            "parcels" | "parcel" | "图斑" => Some(ExportLayer::Parcels),
            "buildings" | "building" | "houses" | "自建房" => Some(ExportLayer::Buildings),
            _ => None,
        }
    }
}

fn json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
        Value::Text(t) => Json::String(t.clone()),
    }
}

/// Indices of the records of `layer` matching `filter` (all when `None`).
pub fn select(data: &ProjectData, layer: ExportLayer, filter: Option<&Expr>) -> Vec<u32> {
    let s = &data.survey;
    let village_code = |v: crate::domain::admin::VillageId| {
        s.villages.get(v.index()).map_or("", |v| v.code.as_str())
    };
    match layer {
        ExportLayer::Parcels => (0..s.parcels.len() as u32)
            .filter(|&i| {
                let p = &s.parcels[i as usize];
                filter.is_none_or(|e| {
                    e.eval(&FilterContext {
                        parcel: Some(p),
                        building: None,
                        village_code: village_code(p.village),
                    })
                })
            })
            .collect(),
        ExportLayer::Buildings => (0..s.buildings.len() as u32)
            .filter(|&i| {
                let b = &s.buildings[i as usize];
                let p = b.parcel.and_then(|p| s.parcels.get(p as usize));
                filter.is_none_or(|e| {
                    e.eval(&FilterContext {
                        parcel: p,
                        building: Some(b),
                        village_code: village_code(b.village),
                    })
                })
            })
            .collect(),
    }
}

/// The properties of one exported record.
pub fn properties(data: &ProjectData, layer: ExportLayer, i: u32) -> JsonObject {
    let s = &data.survey;
    let mut o = JsonObject::new();
    let admin = |o: &mut JsonObject, v: crate::domain::admin::VillageId| {
        let fallback = crate::domain::admin::Village::unassigned();
        let v = s.villages.get(v.index()).unwrap_or(&fallback);
        let opt = |t: &str| {
            if t.is_empty() {
                Json::Null
            } else {
                Json::String(t.to_string())
            }
        };
        o.insert("village_code".into(), opt(&v.code));
        o.insert(
            "village_name".into(),
            opt(if v.code.is_empty() { "" } else { &v.name }),
        );
        o.insert("township_code".into(), opt(v.code.get(..9).unwrap_or("")));
        o.insert("township_name".into(), opt(&v.township_name));
    };
    match layer {
        ExportLayer::Parcels => {
            let Some(p) = s.parcels.get(i as usize) else {
                return o;
            };
            for f in Field::of_layer(Layer::Parcel) {
                o.insert(f.key().into(), json(&f.get_parcel(p)));
            }
            admin(&mut o, p.village);
            o.insert("building_count".into(), Json::from(s.houses_of(i).len()));
        }
        ExportLayer::Buildings => {
            let Some(b) = s.buildings.get(i as usize) else {
                return o;
            };
            let parcel = b.parcel.and_then(|p| s.parcels.get(p as usize));
            o.insert("building_code".into(), Json::String(b.code.clone()));
            o.insert(
                "parcel_code".into(),
                parcel.map_or(Json::Null, |p| Json::String(p.code.clone())),
            );
            o.insert(
                "survey_status".into(),
                parcel.map_or(Json::Null, |p| json(&Field::SurveyStatus.get_parcel(p))),
            );
            admin(&mut o, b.village);
            for f in Field::of_layer(Layer::Building).filter(|f| *f != Field::BuildingCode) {
                o.insert(f.key().into(), json(&f.get_building(b)));
            }
            let d = b.derived();
            for (k, v) in [
                ("three_plus_floors", d.three_plus_floors),
                ("crowded", d.crowded),
                ("illegal_alteration", d.illegal_alteration),
                ("hazardous", d.hazardous),
                ("commercial", d.commercial),
                ("priority", d.priority),
            ] {
                o.insert(k.into(), Json::Bool(v));
            }
        }
    }
    o
}

/// Adds the imported source attributes of a record as `src:<name>` properties, with personal
/// data (owner ID numbers, phone numbers) masked unless `include_personal` is set.
pub fn add_source_attrs(props: &mut JsonObject, source_json: Option<&str>, include_personal: bool) {
    let Some(text) = source_json else { return };
    let Ok(Json::Object(obj)) = serde_json::from_str::<Json>(text) else {
        return;
    };
    for (k, v) in obj {
        let masked = match (&v, include_personal) {
            (Json::String(t), false) => crate::domain::privacy::mask(&k, t).map(Json::String),
            (Json::Number(n), false) => {
                crate::domain::privacy::mask(&k, &n.to_string()).map(Json::String)
            }
            _ => None,
        };
        props.insert(format!("src:{k}"), masked.unwrap_or(v));
    }
}

/// Source attributes to add to an export, by record index (empty = none).
#[derive(Debug, Clone, Default)]
pub struct SourceColumns {
    /// JSON object text per record.
    pub attrs: Vec<Option<String>>,
    /// Keep personal data unmasked (`--include-personal-data`).
    pub include_personal: bool,
}

/// Writes the selected records as GeoJSON; returns how many were written.
pub fn export_geojson(
    data: &ProjectData,
    layer: ExportLayer,
    indices: &[u32],
    path: &Path,
) -> Result<usize, WriteError> {
    export_geojson_with(data, layer, indices, path, &SourceColumns::default())
}

/// Like [`export_geojson`], adding the imported source attributes as `src:<name>` (personal
/// data masked unless `source.include_personal`).
pub fn export_geojson_with(
    data: &ProjectData,
    layer: ExportLayer,
    indices: &[u32],
    path: &Path,
    source: &SourceColumns,
) -> Result<usize, WriteError> {
    let geoms = match layer {
        ExportLayer::Parcels => &data.parcel_geoms,
        ExportLayer::Buildings => &data.building_geoms,
    };
    write_feature_collection(
        path,
        indices.iter().map(|&i| {
            let mut props = properties(data, layer, i);
            let src = source.attrs.get(i as usize).and_then(|a| a.as_deref());
            add_source_attrs(&mut props, src, source.include_personal);
            (geoms.to_multipolygon(i), props)
        }),
    )
}
