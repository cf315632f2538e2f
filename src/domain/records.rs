//! Survey records: the parcel (图斑) and the self-built house (自建房), with the derived flags
//! of DESIGN §3. Records are compact (enums are one byte) so that a million fit in memory.

use super::admin::VillageId;
use super::codes::{
    AlterationKind, AppraisalGrade, AppraisalStatus, CodeSet, InspectionRound, Measure,
    PrelimHazard, RectStatus, StructureType, SurveyStatus, UseClass,
};
use super::date::SurveyDate;

/// 图斑 — a survey task polygon. Coverage (排查完成率) is counted on parcels.
/// The geometry lives in the spatial layer under the same dense index.
#[derive(Debug, Clone, PartialEq)]
pub struct Parcel {
    /// 图斑编码 — unique within the project.
    pub code: String,
    /// The village (村/社区) the parcel belongs to.
    pub village: VillageId,
    /// 排查状态.
    pub survey_status: SurveyStatus,
    /// 排查人.
    pub surveyor: Option<String>,
    /// 排查日期.
    pub surveyed_at: Option<SurveyDate>,
}

impl Parcel {
    /// A parcel not surveyed yet.
    pub fn new(code: impl Into<String>, village: VillageId) -> Self {
        Parcel {
            code: code.into(),
            village,
            survey_status: SurveyStatus::NotSurveyed,
            surveyor: None,
            surveyed_at: None,
        }
    }
}

/// Index of a parcel in its project (dense, 0-based).
pub type ParcelIdx = u32;

/// 自建房 — a self-built house: a footprint inside a parcel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Building {
    /// 房屋编码 — unique within the project.
    pub code: String,
    /// The parcel whose polygon holds the footprint's point-on-surface; `None` = in no parcel.
    pub parcel: Option<ParcelIdx>,
    /// The village (that of the parcel, else from the village polygons).
    pub village: VillageId,
    // 基本情况
    /// 房屋用途.
    pub use_class: Option<UseClass>,
    /// 地上层数 (storeys above ground).
    pub floors_above: Option<u16>,
    /// 建筑面积 in m².
    pub floor_area_m2: Option<f64>,
    /// 建成年份.
    pub built_year: Option<u16>,
    /// 结构类型.
    pub structure_type: Option<StructureType>,
    /// 使用人数 (people using the house).
    pub occupants: Option<u32>,
    /// 人员密集场所: the business gathers people (hostel, restaurant, school, clinic ...).
    pub crowded_use: bool,
    // 建设情况
    /// 是否改扩建.
    pub altered: bool,
    /// 改扩建类型.
    pub alterations: CodeSet<AlterationKind>,
    /// 改扩建是否依法审批 (approved by the planning/building authority); `None` = unknown.
    pub alteration_approved: Option<bool>,
    /// 擅自改变用途.
    pub use_changed: bool,
    // 排查情况
    /// 轮次.
    pub round: Option<InspectionRound>,
    /// 隐患初判.
    pub prelim_hazard: Option<PrelimHazard>,
    /// 鉴定状态.
    pub appraisal_status: Option<AppraisalStatus>,
    /// 鉴定等级 (JGJ 125-2016 §6.1.4).
    pub appraisal_grade: Option<AppraisalGrade>,
    // 整治情况
    /// 整治状态.
    pub rect_status: Option<RectStatus>,
    /// 整治措施 (管理措施, 工程措施, 违法建设查处).
    pub measures: CodeSet<Measure>,
    /// 整治完成日期.
    pub rect_done_at: Option<SurveyDate>,
    /// 围护警示 posted.
    pub warning_posted: bool,
    // 回头看
    /// 回头看 done.
    pub lookback_done: bool,
    /// 回头看日期.
    pub lookback_at: Option<SurveyDate>,
}

/// Derived flags of a building (computed, never typed in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DerivedFlags {
    /// 三层及以上: `floors_above >= 3`.
    pub three_plus_floors: bool,
    /// 人员密集: `occupants >= 10` or a crowded business use.
    pub crowded: bool,
    /// 违规改扩建: altered and the alteration not approved (unknown counts as not approved).
    pub illegal_alteration: bool,
    /// 存在安全隐患: preliminary judgement 严重/一定隐患, or appraisal grade C or D.
    pub hazardous: bool,
    /// 经营性 (commercial or mixed use).
    pub commercial: bool,
    /// 重点 (priority): commercial (incl. mixed) and (≥3 floors or crowded or illegal
    /// alteration or use changed without approval).
    pub priority: bool,
}

/// People count from which a house counts as crowded (人员密集).
pub const CROWDED_OCCUPANTS: u32 = 10;

impl Building {
    /// A building with no survey data yet.
    pub fn new(code: impl Into<String>) -> Self {
        Building {
            code: code.into(),
            ..Default::default()
        }
    }

    /// 经营性自建房 in the statistics sense: commercial or mixed use.
    pub fn is_commercial(&self) -> bool {
        matches!(self.use_class, Some(UseClass::Commercial | UseClass::Mixed))
    }

    /// 存在安全隐患 (DESIGN §3).
    pub fn is_hazardous(&self) -> bool {
        matches!(
            self.prelim_hazard,
            Some(PrelimHazard::Severe | PrelimHazard::Some)
        ) || matches!(
            self.appraisal_grade,
            Some(AppraisalGrade::C | AppraisalGrade::D)
        )
    }

    /// The derived flags (DESIGN §3).
    pub fn derived(&self) -> DerivedFlags {
        let three_plus_floors = self.floors_above.is_some_and(|f| f >= 3);
        let crowded = self.crowded_use || self.occupants.is_some_and(|n| n >= CROWDED_OCCUPANTS);
        let illegal_alteration = self.altered && self.alteration_approved != Some(true);
        let commercial = self.is_commercial();
        DerivedFlags {
            three_plus_floors,
            crowded,
            illegal_alteration,
            hazardous: self.is_hazardous(),
            commercial,
            priority: commercial
                && (three_plus_floors || crowded || illegal_alteration || self.use_changed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_flags() {
        let mut b = Building::new("B1");
        assert_eq!(b.derived(), DerivedFlags::default());
        b.use_class = Some(UseClass::Mixed);
        b.floors_above = Some(3);
        let d = b.derived();
        assert!(d.three_plus_floors && d.commercial && d.priority && !d.hazardous);
        b.use_class = Some(UseClass::Residential);
        assert!(!b.derived().priority);
        b.occupants = Some(10);
        assert!(b.derived().crowded);
        b.prelim_hazard = Some(PrelimHazard::None);
        assert!(!b.derived().hazardous);
        b.appraisal_grade = Some(AppraisalGrade::C);
        assert!(b.derived().hazardous);
        b.appraisal_grade = Some(AppraisalGrade::B);
        b.prelim_hazard = Some(PrelimHazard::Some);
        assert!(b.derived().hazardous);
        b.altered = true;
        assert!(b.derived().illegal_alteration);
        b.alteration_approved = Some(true);
        assert!(!b.derived().illegal_alteration);
    }
}
