//! Import field mapping: which source attribute feeds which survey field. Common names of
//! Chinese survey data are recognised (图斑编码, TBBH, BSM, 村代码, CJQYDM, 排查状态, 用途, 层数 …);
//! `--field KEY=SRC` overrides, `--field KEY=` turns a detection off.
//! Field names cut at 10 bytes by the DBF format (图斑编码 → 图斑编) still match by prefix.

use std::fmt;

use super::fields::{Field, Layer};

/// What an import can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportKey {
    /// 图斑编码 (parcels).
    ParcelCode,
    /// 房屋编码 (buildings).
    BuildingCode,
    /// 村代码: 12-digit village code (parcels, buildings, villages).
    VillageCode,
    /// 村名称 (villages layer).
    VillageName,
    /// Parcel code written on a house record: links the house to its parcel by attribute.
    BuildingParcelCode,
    /// A survey field of the registry.
    Field(Field),
}

impl ImportKey {
    /// Key text used by `--field`.
    pub fn key(self) -> &'static str {
        match self {
            ImportKey::ParcelCode => "parcel_code",
            ImportKey::BuildingCode => "building_code",
            ImportKey::VillageCode => "village_code",
            ImportKey::VillageName => "village_name",
            ImportKey::BuildingParcelCode => "building_parcel_code",
            ImportKey::Field(f) => f.key(),
        }
    }

    /// Parses a `--field` key (keys of the registry, its Chinese labels, or the keys above).
    pub fn parse(text: &str) -> Option<ImportKey> {
        match text.trim() {
            "parcel_code" | "图斑编码" => Some(ImportKey::ParcelCode),
            "building_code" | "房屋编码" => Some(ImportKey::BuildingCode),
            "village_code" | "村代码" => Some(ImportKey::VillageCode),
            "village_name" | "村名称" => Some(ImportKey::VillageName),
            "building_parcel_code" => Some(ImportKey::BuildingParcelCode),
            t => Field::parse(t).ok().map(ImportKey::Field),
        }
    }

    /// Names recognised automatically, best first (compared case-insensitively).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            ImportKey::ParcelCode => &[
                "parcel_code",
                "图斑编码",
                "图斑编号",
                "图斑号",
                "TBBH",
                "TBBM",
                "TBH",
                "BSM",
                "标识码",
                "PARCEL_ID",
            ],
            ImportKey::BuildingCode => &[
                "building_code",
                "房屋编码",
                "房屋编号",
                "FWBH",
                "FWBM",
                "FWDM",
                "BUILDING_ID",
            ],
            ImportKey::VillageCode => &[
                "village_code",
                "村代码",
                "村级代码",
                "村级区域代码",
                "CJQYDM",
                "CJDM",
                "CDM",
                "VILLAGE_CODE",
            ],
            ImportKey::VillageName => &[
                "village_name",
                "村名称",
                "村级区域名称",
                "村名",
                "CJQYMC",
                "CMC",
            ],
            ImportKey::BuildingParcelCode => &["building_parcel_code", "所在图斑编码", "SZTBBH"],
            ImportKey::Field(f) => match f {
                Field::SurveyStatus => &["排查状态", "调查状态", "PCZT", "DCZT", "status"],
                Field::Surveyor => &["排查人", "调查人", "PCR", "DCR", "DCRY"],
                Field::SurveyedAt => &[
                    "排查日期",
                    "调查日期",
                    "排查时间",
                    "调查时间",
                    "PCRQ",
                    "DCRQ",
                ],
                Field::UseClass => &["用途", "房屋用途", "FWYT", "YT", "use"],
                Field::FloorsAbove => &[
                    "层数",
                    "地上层数",
                    "CS",
                    "DSCS",
                    "floors",
                    "levels",
                    "building:levels",
                ],
                Field::FloorAreaM2 => &["建筑面积", "JZMJ", "floor_area"],
                Field::BuiltYear => &[
                    "建成年份",
                    "建造年代",
                    "建成年代",
                    "JCNF",
                    "JZND",
                    "year_built",
                ],
                Field::StructureType => &["结构类型", "结构", "JGLX", "structure"],
                Field::Occupants => &["使用人数", "居住人数", "SYRS", "JZRS"],
                Field::PrelimHazard => &["隐患初判", "安全隐患", "YHCP", "hazard"],
                Field::AppraisalStatus => &["鉴定状态", "JDZT"],
                Field::AppraisalGrade => {
                    &["鉴定等级", "危险等级", "危房等级", "JDDJ", "WXDJ", "grade"]
                }
                Field::RectStatus => &["整治状态", "整改状态", "ZZZT", "ZGZT"],
                Field::Measures => &["整治措施", "整改措施", "ZZCS"],
                Field::RectDoneAt => &[
                    "整治完成日期",
                    "整改完成日期",
                    "整改日期",
                    "整治日期",
                    "ZZWCRQ",
                ],
                Field::LookbackDone => &["回头看", "HTK"],
                Field::LookbackAt => &["回头看日期", "HTKRQ"],
                Field::Round => &["轮次", "排查轮次", "LC"],
                Field::Altered => &["是否改扩建", "改扩建", "GKJ"],
                Field::UseChanged => &["改变用途", "擅自改变用途", "GBYT"],
                Field::CrowdedUse => &["人员密集场所", "人员密集", "RYMJ"],
                Field::WarningPosted => &["围护警示", "WHJS"],
                _ => &[],
            },
        }
    }

    /// Keys an import fills on a layer.
    pub fn for_layer(layer: MappedLayer) -> Vec<ImportKey> {
        match layer {
            MappedLayer::Parcels => {
                let mut v = vec![ImportKey::ParcelCode, ImportKey::VillageCode];
                v.extend(
                    Field::of_layer(Layer::Parcel)
                        .filter(|f| f.editable())
                        .map(ImportKey::Field),
                );
                v
            }
            MappedLayer::Buildings => {
                let mut v = vec![
                    ImportKey::BuildingCode,
                    ImportKey::VillageCode,
                    ImportKey::BuildingParcelCode,
                ];
                v.extend(
                    Field::of_layer(Layer::Building)
                        .filter(|f| f.editable())
                        .map(ImportKey::Field),
                );
                v
            }
            MappedLayer::Villages => vec![ImportKey::VillageCode, ImportKey::VillageName],
        }
    }
}

impl fmt::Display for ImportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The input layers of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedLayer {
    /// 图斑
    Parcels,
    /// 自建房
    Buildings,
    /// 村界
    Villages,
}

/// How a key found its source attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// `--field KEY=SRC`.
    Explicit,
    /// Recognised name.
    Detected,
    /// Recognised by prefix of a name cut at 10 bytes.
    Truncated,
}

/// One mapping entry: key ← source attribute index (into the layer's field names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingEntry {
    /// What is filled.
    pub key: ImportKey,
    /// Index of the source attribute.
    pub source: usize,
    /// The source attribute's name.
    pub source_name: String,
    /// How it was found.
    pub how: MatchKind,
}

/// The mapping of one layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMapping {
    /// Entries, one per mapped key.
    pub entries: Vec<MappingEntry>,
}

impl FieldMapping {
    /// The source index of a key.
    pub fn source_of(&self, key: ImportKey) -> Option<usize> {
        self.entries.iter().find(|e| e.key == key).map(|e| e.source)
    }
}

/// A `--field` override: `KEY=SRC`, or `KEY=` to turn detection off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOverride {
    /// The key.
    pub key: ImportKey,
    /// The source attribute, `None` = do not map.
    pub source: Option<String>,
}

/// Why a mapping cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// `--field` text is not KEY=SRC.
    #[error("--field “{0}” is not KEY=SRC (e.g. --field parcel_code=TBBH)")]
    Syntax(String),
    /// Unknown key.
    #[error(
        "--field: unknown key “{0}”; keys are parcel_code, building_code, village_code, village_name and the survey fields (survey_status, use_class, floors_above, appraisal_grade …)"
    )]
    UnknownKey(String),
}

impl FieldOverride {
    /// Parses `KEY=SRC`.
    pub fn parse(text: &str) -> Result<FieldOverride, MappingError> {
        let (k, v) = text
            .split_once('=')
            .ok_or_else(|| MappingError::Syntax(text.to_string()))?;
        let key =
            ImportKey::parse(k).ok_or_else(|| MappingError::UnknownKey(k.trim().to_string()))?;
        let v = v.trim();
        Ok(FieldOverride {
            key,
            source: (!v.is_empty()).then(|| v.to_string()),
        })
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Builds the mapping of a layer from its attribute names: overrides first (a source missing
/// from this layer is returned in the second value so the caller can report it), then
/// recognised names. A source attribute feeds at most one key.
pub fn detect(
    layer: MappedLayer,
    field_names: &[String],
    overrides: &[FieldOverride],
) -> (FieldMapping, Vec<String>) {
    let mut m = FieldMapping::default();
    let mut missing = Vec::new();
    let keys = ImportKey::for_layer(layer);
    let mut used = vec![false; field_names.len()];
    for o in overrides.iter().filter(|o| keys.contains(&o.key)) {
        if let Some(src) = &o.source {
            match field_names
                .iter()
                .position(|n| n == src)
                .or_else(|| field_names.iter().position(|n| norm(n) == norm(src)))
            {
                Some(i) => {
                    used[i] = true;
                    m.entries.push(MappingEntry {
                        key: o.key,
                        source: i,
                        source_name: field_names[i].clone(),
                        how: MatchKind::Explicit,
                    });
                }
                None => missing.push(src.clone()),
            }
        }
    }
    for key in keys {
        if overrides.iter().any(|o| o.key == key) {
            continue;
        }
        let mut aliases: Vec<String> = key.aliases().iter().map(|a| norm(a)).collect();
        if let ImportKey::Field(f) = key {
            aliases.push(norm(f.key()));
            aliases.push(norm(f.label_zh()));
        }
        let exact = aliases.iter().find_map(|a| {
            (0..field_names.len()).find(|&i| !used[i] && norm(&field_names[i]) == *a)
        });
        let found = match exact {
            Some(i) => Some((i, MatchKind::Detected)),
            None => aliases
                .iter()
                .find_map(|a| {
                    (0..field_names.len()).find(|&i| {
                        let n = norm(&field_names[i]);
                        !used[i]
                            && n.chars().count() >= 2
                            && !n.is_ascii()
                            && a.starts_with(&n)
                            && a != &n
                    })
                })
                .map(|i| (i, MatchKind::Truncated)),
        };
        if let Some((i, how)) = found {
            used[i] = true;
            m.entries.push(MappingEntry {
                key,
                source: i,
                source_name: field_names[i].clone(),
                how,
            });
        }
    }
    (m, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_common_chinese_and_pinyin_names() {
        let (m, missing) = detect(
            MappedLayer::Parcels,
            &names(&["OBJECTID", "TBBH", "CJQYDM", "排查状态"]),
            &[],
        );
        assert!(missing.is_empty());
        assert_eq!(m.source_of(ImportKey::ParcelCode), Some(1));
        assert_eq!(m.source_of(ImportKey::VillageCode), Some(2));
        assert_eq!(m.source_of(ImportKey::Field(Field::SurveyStatus)), Some(3));
        let (m, _) = detect(
            MappedLayer::Buildings,
            &names(&["房屋编码", "用途", "层数", "鉴定等级"]),
            &[],
        );
        assert_eq!(m.source_of(ImportKey::Field(Field::FloorsAbove)), Some(2));
        assert_eq!(
            m.source_of(ImportKey::Field(Field::AppraisalGrade)),
            Some(3)
        );
    }

    #[test]
    fn truncated_names_match_by_prefix() {
        let (m, _) = detect(MappedLayer::Parcels, &names(&["图斑编", "面积"]), &[]);
        let e = &m.entries[0];
        assert_eq!(
            (e.key, e.source, e.how),
            (ImportKey::ParcelCode, 0, MatchKind::Truncated)
        );
    }

    #[test]
    fn overrides_win_and_missing_sources_are_reported() {
        let o = vec![
            FieldOverride::parse("parcel_code=uID").expect("ok"),
            FieldOverride::parse("survey_status=").expect("ok"),
            FieldOverride::parse("village_code=NOPE").expect("ok"),
        ];
        let (m, missing) = detect(MappedLayer::Parcels, &names(&["uID", "TBBH", "status"]), &o);
        assert_eq!(m.source_of(ImportKey::ParcelCode), Some(0));
        assert_eq!(m.source_of(ImportKey::Field(Field::SurveyStatus)), None);
        assert_eq!(missing, vec!["NOPE".to_string()]);
        assert!(FieldOverride::parse("nonsense").is_err());
        assert!(FieldOverride::parse("bogus=X").is_err());
    }
}
