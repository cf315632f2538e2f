//! The field registry: every survey field of a parcel (图斑) or building (自建房) with its stable
//! key, Chinese and English labels, value kind, and typed get/set on the records.
//!
//! One registry serves editing (`--set key=value`), filters, import field mapping, the project
//! file's columns and export properties, so a field is named the same everywhere.

use std::fmt;

use super::codes::{
    AlterationKind, AppraisalGrade, AppraisalStatus, CodeSet, Coded, InspectionRound, Measure,
    PrelimHazard, RectStatus, StructureType, SurveyStatus, UseClass,
};
use super::date::SurveyDate;
use super::records::{Building, Parcel};

/// A field value as stored and exported: enums are their stable code (`Text`), code sets are
/// comma-joined codes, dates are `YYYY-MM-DD`, booleans are `Bool`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (空).
    Null,
    /// Yes/no.
    Bool(bool),
    /// Whole number.
    Int(i64),
    /// Real number.
    Real(f64),
    /// Text, codes and dates.
    Text(String),
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// The text form used in the edit log and CSV ("" for null, `true`/`false` for booleans).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Text(t) => t.clone(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("∅"),
            other => f.write_str(&other.to_text()),
        }
    }
}

/// Which record a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// 图斑
    Parcel,
    /// 自建房
    Building,
}

impl Layer {
    /// Stable code: `parcels` or `buildings` (also the project table names).
    pub fn code(self) -> &'static str {
        match self {
            Layer::Parcel => "parcels",
            Layer::Building => "buildings",
        }
    }
}

/// The kind of value a field takes.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// Whole number within an inclusive range.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// Non-negative real number.
    Real,
    /// Yes/no (是/否).
    Bool,
    /// A date.
    Date,
    /// One coded value; the list of `(code, zh, en)`.
    Enum(fn() -> Vec<(&'static str, &'static str, &'static str)>),
    /// A set of coded values.
    Set(fn() -> Vec<(&'static str, &'static str, &'static str)>),
}

fn options<T: Coded>() -> Vec<(&'static str, &'static str, &'static str)> {
    T::ALL
        .iter()
        .map(|v| (v.code(), v.label_zh(), v.label_en()))
        .collect()
}

macro_rules! fields {
    ( $( $(#[$m:meta])* $v:ident => $layer:ident, $key:literal, $zh:literal, $en:literal, $kind:expr ; )+ ) => {
        /// A survey field. See the module docs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field { $( $(#[$m])* $v, )+ }

        impl Field {
            /// Every field in form order.
            pub const ALL: &'static [Field] = &[ $( Field::$v, )+ ];
            /// Stable key (column name, CLI and filter name).
            pub fn key(self) -> &'static str { match self { $( Field::$v => $key, )+ } }
            /// Official Chinese label.
            pub fn label_zh(self) -> &'static str { match self { $( Field::$v => $zh, )+ } }
            /// English label.
            pub fn label_en(self) -> &'static str { match self { $( Field::$v => $en, )+ } }
            /// The record it belongs to.
            pub fn layer(self) -> Layer { match self { $( Field::$v => Layer::$layer, )+ } }
            /// The kind of value.
            pub fn kind(self) -> FieldKind { match self { $( Field::$v => $kind, )+ } }
        }
    };
}

fields! {
    /// 图斑编码
    ParcelCode => Parcel, "parcel_code", "图斑编码", "Parcel code", FieldKind::Text;
    /// 排查状态
    SurveyStatus => Parcel, "survey_status", "排查状态", "Survey status", FieldKind::Enum(options::<SurveyStatus>);
    /// 排查人
    Surveyor => Parcel, "surveyor", "排查人", "Surveyor", FieldKind::Text;
    /// 排查日期
    SurveyedAt => Parcel, "surveyed_at", "排查日期", "Survey date", FieldKind::Date;
    /// 房屋编码
    BuildingCode => Building, "building_code", "房屋编码", "Building code", FieldKind::Text;
    /// 房屋用途
    UseClass => Building, "use_class", "房屋用途", "Use class", FieldKind::Enum(options::<UseClass>);
    /// 地上层数
    FloorsAbove => Building, "floors_above", "地上层数", "Floors above ground", FieldKind::Int { min: 1, max: 200 };
    /// 建筑面积 (m²)
    FloorAreaM2 => Building, "floor_area_m2", "建筑面积(㎡)", "Floor area (m²)", FieldKind::Real;
    /// 建成年份
    BuiltYear => Building, "built_year", "建成年份", "Year built", FieldKind::Int { min: 1800, max: 2100 };
    /// 结构类型
    StructureType => Building, "structure_type", "结构类型", "Structure type", FieldKind::Enum(options::<StructureType>);
    /// 使用人数
    Occupants => Building, "occupants", "使用人数", "Occupants", FieldKind::Int { min: 0, max: 1_000_000 };
    /// 人员密集场所
    CrowdedUse => Building, "crowded_use", "人员密集场所", "Crowded business use", FieldKind::Bool;
    /// 是否改扩建
    Altered => Building, "altered", "是否改扩建", "Altered or extended", FieldKind::Bool;
    /// 改扩建类型
    Alterations => Building, "alterations", "改扩建类型", "Alteration kinds", FieldKind::Set(options::<AlterationKind>);
    /// 改扩建是否审批
    AlterationApproved => Building, "alteration_approved", "改扩建是否审批", "Alteration approved", FieldKind::Bool;
    /// 擅自改变用途
    UseChanged => Building, "use_changed", "擅自改变用途", "Use changed without approval", FieldKind::Bool;
    /// 轮次
    Round => Building, "round", "排查轮次", "Round", FieldKind::Enum(options::<InspectionRound>);
    /// 隐患初判
    PrelimHazard => Building, "prelim_hazard", "隐患初判", "Preliminary hazard", FieldKind::Enum(options::<PrelimHazard>);
    /// 鉴定状态
    AppraisalStatus => Building, "appraisal_status", "鉴定状态", "Appraisal status", FieldKind::Enum(options::<AppraisalStatus>);
    /// 鉴定等级
    AppraisalGrade => Building, "appraisal_grade", "鉴定等级", "Appraisal grade", FieldKind::Enum(options::<AppraisalGrade>);
    /// 整治状态
    RectStatus => Building, "rect_status", "整治状态", "Rectification status", FieldKind::Enum(options::<RectStatus>);
    /// 整治措施
    Measures => Building, "measures", "整治措施", "Rectification measures", FieldKind::Set(options::<Measure>);
    /// 整治完成日期
    RectDoneAt => Building, "rect_done_at", "整治完成日期", "Rectified on", FieldKind::Date;
    /// 围护警示
    WarningPosted => Building, "warning_posted", "围护警示", "Warning posted", FieldKind::Bool;
    /// 回头看完成
    LookbackDone => Building, "lookback_done", "回头看完成", "Look-back done", FieldKind::Bool;
    /// 回头看日期
    LookbackAt => Building, "lookback_at", "回头看日期", "Look-back date", FieldKind::Date;
}

/// Why a value does not fit a field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FieldError {
    /// No field has that key or label.
    #[error("unknown field “{0}”")]
    UnknownField(String),
    /// The text is not a value of the field.
    #[error("{field}: “{text}” is not a valid value{hint}")]
    BadValue {
        /// Field key.
        field: &'static str,
        /// The offending text.
        text: String,
        /// A hint listing accepted values (may be empty).
        hint: String,
    },
    /// The field cannot be changed by an edit.
    #[error("{0} cannot be edited")]
    ReadOnly(&'static str),
}

impl Field {
    /// Looks a field up by key, Chinese or English label (case-insensitive for ASCII).
    pub fn parse(text: &str) -> Result<Field, FieldError> {
        let t = text.trim();
        Field::ALL
            .iter()
            .copied()
            .find(|f| {
                f.key().eq_ignore_ascii_case(t)
                    || f.label_zh() == t
                    || f.label_en().eq_ignore_ascii_case(t)
            })
            .ok_or_else(|| FieldError::UnknownField(t.to_string()))
    }

    /// Fields of one record, in form order.
    pub fn of_layer(layer: Layer) -> impl Iterator<Item = Field> {
        Field::ALL
            .iter()
            .copied()
            .filter(move |f| f.layer() == layer)
    }

    /// True when an edit may change the field (codes are identities and are not editable).
    pub fn editable(self) -> bool {
        !matches!(self, Field::ParcelCode | Field::BuildingCode)
    }

    /// Parses user text into a checked value of this field. Empty text is [`Value::Null`]
    /// (for booleans: false). Enum fields accept codes, numeric codes and labels
    /// ([`Coded::parse`]); booleans accept 是/否, yes/no, true/false, 1/0, Y/N.
    pub fn parse_value(self, text: &str) -> Result<Value, FieldError> {
        let t = text.trim();
        let bad = |hint: String| FieldError::BadValue {
            field: self.key(),
            text: t.to_string(),
            hint,
        };
        if t.is_empty() {
            return Ok(if matches!(self.kind(), FieldKind::Bool) {
                Value::Bool(false)
            } else {
                Value::Null
            });
        }
        match self.kind() {
            FieldKind::Text => Ok(Value::Text(t.to_string())),
            FieldKind::Int { min, max } => {
                let n: i64 = match t.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => match t.parse::<f64>() {
                        Ok(f) if f.fract() == 0.0 && f.is_finite() => f as i64,
                        _ => return Err(bad(format!(" (a whole number {min}–{max})"))),
                    },
                };
                if (min..=max).contains(&n) {
                    Ok(Value::Int(n))
                } else {
                    Err(bad(format!(" (must be {min}–{max})")))
                }
            }
            FieldKind::Real => match t.parse::<f64>() {
                Ok(f) if f.is_finite() && f >= 0.0 => Ok(Value::Real(f)),
                _ => Err(bad(" (a non-negative number)".into())),
            },
            FieldKind::Bool => parse_bool(t)
                .map(Value::Bool)
                .ok_or_else(|| bad(" (是/否, yes/no, 1/0)".into())),
            FieldKind::Date => SurveyDate::parse(t)
                .map(|d| Value::Text(d.to_string()))
                .map_err(|e| bad(format!(" ({e})"))),
            FieldKind::Enum(opts) => {
                let code = match self {
                    Field::SurveyStatus => SurveyStatus::parse(t).map(Coded::code),
                    Field::UseClass => UseClass::parse(t).map(Coded::code),
                    Field::StructureType => StructureType::parse(t).map(Coded::code),
                    Field::Round => InspectionRound::parse(t).map(Coded::code),
                    Field::PrelimHazard => PrelimHazard::parse(t).map(Coded::code),
                    Field::AppraisalStatus => AppraisalStatus::parse(t).map(Coded::code),
                    Field::AppraisalGrade => AppraisalGrade::parse(t).map(Coded::code),
                    Field::RectStatus => RectStatus::parse(t).map(Coded::code),
                    _ => None,
                };
                code.map(|c| Value::Text(c.to_string())).ok_or_else(|| {
                    let list: Vec<String> = opts()
                        .iter()
                        .map(|(c, zh, _)| format!("{c}={zh}"))
                        .collect();
                    bad(format!(" (one of {})", list.join(", ")))
                })
            }
            FieldKind::Set(opts) => {
                let res = match self {
                    Field::Alterations => {
                        CodeSet::<AlterationKind>::parse_list(t).map(|s| s.to_codes())
                    }
                    Field::Measures => CodeSet::<Measure>::parse_list(t).map(|s| s.to_codes()),
                    _ => Err(t.to_string()),
                };
                res.map(|codes| {
                    if codes.is_empty() {
                        Value::Null
                    } else {
                        Value::Text(codes)
                    }
                })
                .map_err(|part| {
                    let list: Vec<String> = opts()
                        .iter()
                        .map(|(c, zh, _)| format!("{c}={zh}"))
                        .collect();
                    FieldError::BadValue {
                        field: self.key(),
                        text: part,
                        hint: format!(" (any of {})", list.join(", ")),
                    }
                })
            }
        }
    }

    /// The value of this parcel field (`Null` for building fields).
    pub fn get_parcel(self, p: &Parcel) -> Value {
        match self {
            Field::ParcelCode => Value::Text(p.code.clone()),
            Field::SurveyStatus => code_value(Some(p.survey_status)),
            Field::Surveyor => p.surveyor.clone().map_or(Value::Null, Value::Text),
            Field::SurveyedAt => date_value(p.surveyed_at),
            _ => Value::Null,
        }
    }

    /// Sets this parcel field from a value produced by [`Field::parse_value`] or read back from
    /// the project file.
    pub fn set_parcel(self, p: &mut Parcel, v: &Value) -> Result<(), FieldError> {
        match self {
            Field::SurveyStatus => {
                p.survey_status = enum_of(self, v)?.unwrap_or(SurveyStatus::NotSurveyed);
            }
            Field::Surveyor => p.surveyor = text_of(v),
            Field::SurveyedAt => p.surveyed_at = date_of(self, v)?,
            Field::ParcelCode => p.code = text_of(v).unwrap_or_default(),
            _ => return Err(FieldError::ReadOnly(self.key())),
        }
        Ok(())
    }

    /// The value of this building field (`Null` for parcel fields).
    pub fn get_building(self, b: &Building) -> Value {
        match self {
            Field::BuildingCode => Value::Text(b.code.clone()),
            Field::UseClass => code_value(b.use_class),
            Field::FloorsAbove => b
                .floors_above
                .map_or(Value::Null, |v| Value::Int(i64::from(v))),
            Field::FloorAreaM2 => b.floor_area_m2.map_or(Value::Null, Value::Real),
            Field::BuiltYear => b
                .built_year
                .map_or(Value::Null, |v| Value::Int(i64::from(v))),
            Field::StructureType => code_value(b.structure_type),
            Field::Occupants => b
                .occupants
                .map_or(Value::Null, |v| Value::Int(i64::from(v))),
            Field::CrowdedUse => Value::Bool(b.crowded_use),
            Field::Altered => Value::Bool(b.altered),
            Field::Alterations => set_value(b.alterations),
            Field::AlterationApproved => b.alteration_approved.map_or(Value::Null, Value::Bool),
            Field::UseChanged => Value::Bool(b.use_changed),
            Field::Round => code_value(b.round),
            Field::PrelimHazard => code_value(b.prelim_hazard),
            Field::AppraisalStatus => code_value(b.appraisal_status),
            Field::AppraisalGrade => code_value(b.appraisal_grade),
            Field::RectStatus => code_value(b.rect_status),
            Field::Measures => set_value(b.measures),
            Field::RectDoneAt => date_value(b.rect_done_at),
            Field::WarningPosted => Value::Bool(b.warning_posted),
            Field::LookbackDone => Value::Bool(b.lookback_done),
            Field::LookbackAt => date_value(b.lookback_at),
            Field::ParcelCode | Field::SurveyStatus | Field::Surveyor | Field::SurveyedAt => {
                Value::Null
            }
        }
    }

    /// Sets this building field from a value produced by [`Field::parse_value`] or read back from
    /// the project file.
    pub fn set_building(self, b: &mut Building, v: &Value) -> Result<(), FieldError> {
        match self {
            Field::BuildingCode => b.code = text_of(v).unwrap_or_default(),
            Field::UseClass => b.use_class = enum_of(self, v)?,
            Field::FloorsAbove => b.floors_above = int_of(self, v)?,
            Field::FloorAreaM2 => b.floor_area_m2 = real_of(self, v)?,
            Field::BuiltYear => b.built_year = int_of(self, v)?,
            Field::StructureType => b.structure_type = enum_of(self, v)?,
            Field::Occupants => b.occupants = int_of(self, v)?,
            Field::CrowdedUse => b.crowded_use = bool_of(self, v)?.unwrap_or(false),
            Field::Altered => b.altered = bool_of(self, v)?.unwrap_or(false),
            Field::Alterations => b.alterations = set_of(self, v)?,
            Field::AlterationApproved => b.alteration_approved = bool_of(self, v)?,
            Field::UseChanged => b.use_changed = bool_of(self, v)?.unwrap_or(false),
            Field::Round => b.round = enum_of(self, v)?,
            Field::PrelimHazard => b.prelim_hazard = enum_of(self, v)?,
            Field::AppraisalStatus => b.appraisal_status = enum_of(self, v)?,
            Field::AppraisalGrade => b.appraisal_grade = enum_of(self, v)?,
            Field::RectStatus => b.rect_status = enum_of(self, v)?,
            Field::Measures => b.measures = set_of(self, v)?,
            Field::RectDoneAt => b.rect_done_at = date_of(self, v)?,
            Field::WarningPosted => b.warning_posted = bool_of(self, v)?.unwrap_or(false),
            Field::LookbackDone => b.lookback_done = bool_of(self, v)?.unwrap_or(false),
            Field::LookbackAt => b.lookback_at = date_of(self, v)?,
            Field::ParcelCode | Field::SurveyStatus | Field::Surveyor | Field::SurveyedAt => {
                return Err(FieldError::ReadOnly(self.key()));
            }
        }
        Ok(())
    }

    /// Human-readable form of a value of this field: enum codes become labels in `lang`.
    pub fn display_value(self, v: &Value, lang: super::codes::Lang) -> String {
        let pick = |opts: Vec<(&'static str, &'static str, &'static str)>, code: &str| {
            opts.iter()
                .find(|(c, _, _)| *c == code)
                .map(|(_, zh, en)| {
                    if lang == super::codes::Lang::Zh {
                        zh.to_string()
                    } else {
                        en.to_string()
                    }
                })
                .unwrap_or_else(|| code.to_string())
        };
        match (self.kind(), v) {
            (_, Value::Null) => String::new(),
            (FieldKind::Enum(opts), Value::Text(code)) => pick(opts(), code),
            (FieldKind::Set(opts), Value::Text(codes)) => {
                let sep = if lang == super::codes::Lang::Zh {
                    "、"
                } else {
                    ", "
                };
                codes
                    .split(',')
                    .map(|c| pick(opts(), c))
                    .collect::<Vec<_>>()
                    .join(sep)
            }
            (FieldKind::Bool, Value::Bool(b)) => match (lang, b) {
                (super::codes::Lang::Zh, true) => "是".into(),
                (super::codes::Lang::Zh, false) => "否".into(),
                (super::codes::Lang::En, true) => "yes".into(),
                (super::codes::Lang::En, false) => "no".into(),
            },
            (_, other) => other.to_text(),
        }
    }
}

/// Parses 是/否, yes/no, true/false, 1/0, y/n, t/f, 有/无.
pub fn parse_bool(t: &str) -> Option<bool> {
    match t.trim().to_ascii_lowercase().as_str() {
        "是" | "yes" | "y" | "true" | "t" | "1" | "有" | "已" => Some(true),
        "否" | "no" | "n" | "false" | "f" | "0" | "无" | "未" => Some(false),
        _ => None,
    }
}

fn code_value<T: Coded>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |v| Value::Text(v.code().to_string()))
}

fn set_value<T: Coded>(s: CodeSet<T>) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::Text(s.to_codes())
    }
}

fn date_value(d: Option<SurveyDate>) -> Value {
    d.map_or(Value::Null, |d| Value::Text(d.to_string()))
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Text(t) if t.trim().is_empty() => None,
        other => Some(other.to_text()),
    }
}

fn bad(field: Field, v: &Value) -> FieldError {
    FieldError::BadValue {
        field: field.key(),
        text: v.to_text(),
        hint: String::new(),
    }
}

fn enum_of<T: Coded>(field: Field, v: &Value) -> Result<Option<T>, FieldError> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) => T::parse(t).map(Some).ok_or_else(|| bad(field, v)),
        Value::Int(i) => u8::try_from(*i)
            .ok()
            .and_then(T::from_index)
            .map(Some)
            .ok_or_else(|| bad(field, v)),
        _ => Err(bad(field, v)),
    }
}

fn int_of<T: TryFrom<i64>>(field: Field, v: &Value) -> Result<Option<T>, FieldError> {
    let n = match v {
        Value::Null => return Ok(None),
        Value::Int(i) => *i,
        Value::Real(r) if r.fract() == 0.0 && r.is_finite() => *r as i64,
        Value::Text(t) => match field.parse_value(t)? {
            Value::Int(i) => i,
            _ => return Ok(None),
        },
        _ => return Err(bad(field, v)),
    };
    if let FieldKind::Int { min, max } = field.kind()
        && !(min..=max).contains(&n)
    {
        return Err(bad(field, v));
    }
    T::try_from(n).map(Some).map_err(|_| bad(field, v))
}

fn real_of(field: Field, v: &Value) -> Result<Option<f64>, FieldError> {
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i as f64)),
        Value::Real(r) if r.is_finite() && *r >= 0.0 => Ok(Some(*r)),
        Value::Text(t) => match field.parse_value(t)? {
            Value::Real(r) => Ok(Some(r)),
            _ => Ok(None),
        },
        _ => Err(bad(field, v)),
    }
}

fn bool_of(field: Field, v: &Value) -> Result<Option<bool>, FieldError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::Int(i) => Ok(Some(*i != 0)),
        Value::Text(t) => parse_bool(t).map(Some).ok_or_else(|| bad(field, v)),
        Value::Real(_) => Err(bad(field, v)),
    }
}

fn date_of(field: Field, v: &Value) -> Result<Option<SurveyDate>, FieldError> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) => SurveyDate::parse(t).map(Some).map_err(|_| bad(field, v)),
        _ => Err(bad(field, v)),
    }
}

fn set_of<T: Coded>(field: Field, v: &Value) -> Result<CodeSet<T>, FieldError> {
    match v {
        Value::Null => Ok(CodeSet::empty()),
        Value::Text(t) => CodeSet::parse_list(t).map_err(|part| FieldError::BadValue {
            field: field.key(),
            text: part,
            hint: String::new(),
        }),
        _ => Err(bad(field, v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_parse_back() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.key()), Ok(*f));
            assert_eq!(Field::parse(f.label_zh()), Ok(*f));
        }
    }

    #[test]
    fn every_building_field_round_trips_through_its_value() {
        let mut b = Building::new("B1");
        let samples = [
            (Field::UseClass, "经营性自建房"),
            (Field::FloorsAbove, "4"),
            (Field::FloorAreaM2, "320.5"),
            (Field::BuiltYear, "1998"),
            (Field::StructureType, "砖混"),
            (Field::Occupants, "12"),
            (Field::CrowdedUse, "是"),
            (Field::Altered, "yes"),
            (Field::Alterations, "加层,夹层"),
            (Field::AlterationApproved, "否"),
            (Field::UseChanged, "1"),
            (Field::Round, "回头看"),
            (Field::PrelimHazard, "存在一定安全隐患"),
            (Field::AppraisalStatus, "已鉴定"),
            (Field::AppraisalGrade, "C"),
            (Field::RectStatus, "整治中"),
            (Field::Measures, "停止使用"),
            (Field::RectDoneAt, "2024/6/1"),
            (Field::WarningPosted, "是"),
            (Field::LookbackDone, "是"),
            (Field::LookbackAt, "2024-07-01"),
        ];
        for (f, text) in samples {
            let v = f.parse_value(text).expect(text);
            f.set_building(&mut b, &v).expect("set");
            assert_eq!(f.get_building(&b), v, "{f:?}");
        }
        assert_eq!(b.floors_above, Some(4));
        assert!(b.derived().priority);
    }

    #[test]
    fn bad_values_are_rejected_with_the_field_named() {
        let e = Field::FloorsAbove.parse_value("0").expect_err("range");
        assert!(e.to_string().contains("floors_above"));
        assert!(Field::AppraisalGrade.parse_value("E").is_err());
        assert!(Field::RectDoneAt.parse_value("soon").is_err());
        assert!(Field::Measures.parse_value("停止使用,飞走").is_err());
        assert_eq!(
            Field::SurveyStatus.parse_value("2"),
            Ok(Value::Text("surveyed".into()))
        );
    }
}
