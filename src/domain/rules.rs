//! State rules of the survey (DESIGN §3), enforced on every edit and shown in the UI:
//! - a parcel marked 已排查 needs its surveyor, its date, and the mandatory fields of every
//!   house in it (用途, 地上层数, 结构类型, 隐患初判);
//! - appraisal grade C/D or 存在严重安全隐患 forces 整治状态 ≠ 无需整治;
//! - 已整治 needs at least one measure and the completion date;
//! - 回头看 done needs its date.

use std::fmt;

use super::codes::{AppraisalGrade, PrelimHazard, RectStatus, SurveyStatus};
use super::fields::Field;
use super::records::{Building, Parcel};

/// A rule of the survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// 已排查 requires 排查人.
    SurveyedNeedsSurveyor,
    /// 已排查 requires 排查日期.
    SurveyedNeedsDate,
    /// 已排查 requires the mandatory fields of every house in the parcel.
    SurveyedNeedsHouseData,
    /// C/D grade or severe hazard forces 整治状态 ≠ 无需整治.
    DangerNeedsRectification,
    /// 已整治 requires a measure.
    RectifiedNeedsMeasure,
    /// 已整治 requires the completion date.
    RectifiedNeedsDate,
    /// 回头看 done requires its date.
    LookbackNeedsDate,
}

impl Rule {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Rule::SurveyedNeedsSurveyor => "surveyed_needs_surveyor",
            Rule::SurveyedNeedsDate => "surveyed_needs_date",
            Rule::SurveyedNeedsHouseData => "surveyed_needs_house_data",
            Rule::DangerNeedsRectification => "danger_needs_rectification",
            Rule::RectifiedNeedsMeasure => "rectified_needs_measure",
            Rule::RectifiedNeedsDate => "rectified_needs_date",
            Rule::LookbackNeedsDate => "lookback_needs_date",
        }
    }
    /// Chinese statement of the rule.
    pub fn message_zh(self) -> &'static str {
        match self {
            Rule::SurveyedNeedsSurveyor => "已排查的图斑须填写排查人",
            Rule::SurveyedNeedsDate => "已排查的图斑须填写排查日期",
            Rule::SurveyedNeedsHouseData => {
                "已排查的图斑内每栋房屋须填写用途、地上层数、结构类型和隐患初判"
            }
            Rule::DangerNeedsRectification => {
                "C/D级或存在严重安全隐患的房屋，整治状态不能为无需整治"
            }
            Rule::RectifiedNeedsMeasure => "已整治的房屋须选择整治措施",
            Rule::RectifiedNeedsDate => "已整治的房屋须填写整治完成日期",
            Rule::LookbackNeedsDate => "回头看完成须填写回头看日期",
        }
    }
    /// English statement of the rule.
    pub fn message_en(self) -> &'static str {
        match self {
            Rule::SurveyedNeedsSurveyor => "a surveyed parcel needs its surveyor",
            Rule::SurveyedNeedsDate => "a surveyed parcel needs its survey date",
            Rule::SurveyedNeedsHouseData => {
                "every house of a surveyed parcel needs use class, floors, structure type and preliminary hazard"
            }
            Rule::DangerNeedsRectification => {
                "a grade C/D or severely hazardous house cannot have rectification status 'not needed'"
            }
            Rule::RectifiedNeedsMeasure => "a rectified house needs at least one measure",
            Rule::RectifiedNeedsDate => "a rectified house needs the completion date",
            Rule::LookbackNeedsDate => "a finished look-back needs its date",
        }
    }
}

/// A broken rule on one record, with the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The field the user should fill or change.
    pub field: Field,
    /// Code of the house concerned, for parcel rules about its houses.
    pub building_code: Option<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}; field {}",
            self.rule.message_zh(),
            self.rule.message_en(),
            self.field.key()
        )?;
        if let Some(code) = &self.building_code {
            write!(f, ", house {code}")?;
        }
        f.write_str(")")
    }
}

/// The mandatory fields of a house once its parcel is surveyed.
pub const MANDATORY_HOUSE_FIELDS: [Field; 4] = [
    Field::UseClass,
    Field::FloorsAbove,
    Field::StructureType,
    Field::PrelimHazard,
];

/// Violations of one house on its own.
pub fn check_building(b: &Building) -> Vec<Violation> {
    let mut out = Vec::new();
    let v = |rule, field| Violation {
        rule,
        field,
        building_code: None,
    };
    let dangerous = matches!(
        b.appraisal_grade,
        Some(AppraisalGrade::C | AppraisalGrade::D)
    ) || b.prelim_hazard == Some(PrelimHazard::Severe);
    if dangerous && b.rect_status == Some(RectStatus::NotNeeded) {
        out.push(v(Rule::DangerNeedsRectification, Field::RectStatus));
    }
    if b.rect_status == Some(RectStatus::Done) {
        if b.measures.is_empty() {
            out.push(v(Rule::RectifiedNeedsMeasure, Field::Measures));
        }
        if b.rect_done_at.is_none() {
            out.push(v(Rule::RectifiedNeedsDate, Field::RectDoneAt));
        }
    }
    if b.lookback_done && b.lookback_at.is_none() {
        out.push(v(Rule::LookbackNeedsDate, Field::LookbackAt));
    }
    out
}

/// Violations of a parcel given the houses in it.
pub fn check_parcel<'a>(
    p: &Parcel,
    houses: impl IntoIterator<Item = &'a Building>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    if p.survey_status != SurveyStatus::Surveyed {
        return out;
    }
    if p.surveyor.as_deref().is_none_or(|s| s.trim().is_empty()) {
        out.push(Violation {
            rule: Rule::SurveyedNeedsSurveyor,
            field: Field::Surveyor,
            building_code: None,
        });
    }
    if p.surveyed_at.is_none() {
        out.push(Violation {
            rule: Rule::SurveyedNeedsDate,
            field: Field::SurveyedAt,
            building_code: None,
        });
    }
    for b in houses {
        for field in MANDATORY_HOUSE_FIELDS {
            if field.get_building(b).is_null() {
                out.push(Violation {
                    rule: Rule::SurveyedNeedsHouseData,
                    field,
                    building_code: Some(b.code.clone()),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::admin::VillageId;
    use crate::domain::codes::{Measure, StructureType, UseClass};
    use crate::domain::date::SurveyDate;

    #[test]
    fn surveyed_parcel_needs_surveyor_date_and_house_data() {
        let mut p = Parcel::new("P1", VillageId(1));
        let mut b = Building::new("B1");
        assert!(check_parcel(&p, [&b]).is_empty());
        p.survey_status = SurveyStatus::Surveyed;
        let v = check_parcel(&p, [&b]);
        assert_eq!(v.len(), 2 + 4);
        p.surveyor = Some("张三".into());
        p.surveyed_at = SurveyDate::from_ymd(2024, 5, 1);
        b.use_class = Some(UseClass::Residential);
        b.floors_above = Some(2);
        b.structure_type = Some(StructureType::Masonry);
        b.prelim_hazard = Some(PrelimHazard::None);
        assert!(check_parcel(&p, [&b]).is_empty());
    }

    #[test]
    fn dangerous_house_must_be_rectified_and_rectification_needs_measure_and_date() {
        let mut b = Building::new("B1");
        b.appraisal_grade = Some(AppraisalGrade::D);
        b.rect_status = Some(RectStatus::NotNeeded);
        assert_eq!(check_building(&b)[0].rule, Rule::DangerNeedsRectification);
        b.rect_status = Some(RectStatus::Done);
        let rules: Vec<Rule> = check_building(&b).into_iter().map(|v| v.rule).collect();
        assert_eq!(
            rules,
            vec![Rule::RectifiedNeedsMeasure, Rule::RectifiedNeedsDate]
        );
        b.measures.insert(Measure::Reinforce);
        b.rect_done_at = SurveyDate::from_ymd(2024, 6, 1);
        assert!(check_building(&b).is_empty());
    }
}
