//! Thematic classes of the map (DESIGN §5): every parcel and house falls in one class of the
//! chosen theme — survey status (default), appraisal grade, use class or hazard. Parcels take
//! the status of their own record and, for the house themes, the most severe class of their
//! houses. Colours are the UI's business; this is the classification and the legend order.

use crate::domain::codes::{AppraisalGrade, Coded, Lang, SurveyStatus, UseClass};
use crate::domain::records::{Building, Parcel};
use crate::domain::survey::Survey;

/// What the map colours by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Theme {
    /// 排查状态 (default).
    #[default]
    SurveyStatus,
    /// 鉴定等级.
    AppraisalGrade,
    /// 房屋用途.
    UseClass,
    /// 安全隐患.
    Hazard,
}

impl Theme {
    /// Every theme, in menu order.
    pub const ALL: [Theme; 4] = [
        Theme::SurveyStatus,
        Theme::AppraisalGrade,
        Theme::UseClass,
        Theme::Hazard,
    ];

    /// Label in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Theme::SurveyStatus, Lang::Zh) => "排查状态",
            (Theme::AppraisalGrade, Lang::Zh) => "鉴定等级",
            (Theme::UseClass, Lang::Zh) => "房屋用途",
            (Theme::Hazard, Lang::Zh) => "安全隐患",
            (Theme::SurveyStatus, Lang::En) => "Survey status",
            (Theme::AppraisalGrade, Lang::En) => "Appraisal grade",
            (Theme::UseClass, Lang::En) => "Use class",
            (Theme::Hazard, Lang::En) => "Hazard",
        }
    }

    /// Stable code (persisted UI state).
    pub fn code(self) -> &'static str {
        match self {
            Theme::SurveyStatus => "survey_status",
            Theme::AppraisalGrade => "appraisal_grade",
            Theme::UseClass => "use_class",
            Theme::Hazard => "hazard",
        }
    }

    /// Parses [`Theme::code`].
    pub fn parse(text: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.code() == text)
    }

    /// The classes of the theme, legend order: (Chinese, English) labels.
    pub fn classes(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Theme::SurveyStatus => SurveyStatus::ALL
                .iter()
                .map(|s| (s.label_zh(), s.label_en()))
                .collect(),
            Theme::AppraisalGrade => {
                let mut v: Vec<_> = AppraisalGrade::ALL
                    .iter()
                    .map(|g| (g.label_zh(), g.label_en()))
                    .collect();
                v.push(("未鉴定", "Not appraised"));
                v
            }
            Theme::UseClass => {
                let mut v: Vec<_> = UseClass::ALL
                    .iter()
                    .map(|u| (u.label_zh(), u.label_en()))
                    .collect();
                v.push(("未填写", "Not recorded"));
                v
            }
            Theme::Hazard => vec![
                ("存在严重安全隐患/D级", "Severe hazard / grade D"),
                ("存在安全隐患", "Hazardous"),
                ("未发现安全隐患", "No hazard found"),
                ("未判定", "Not judged"),
            ],
        }
    }

    /// Class of a house.
    pub fn building_class(self, b: &Building) -> u8 {
        match self {
            Theme::SurveyStatus => 0,
            Theme::AppraisalGrade => b.appraisal_grade.map_or(4, Coded::index),
            Theme::UseClass => b.use_class.map_or(3, Coded::index),
            Theme::Hazard => {
                use crate::domain::codes::PrelimHazard;
                if b.prelim_hazard == Some(PrelimHazard::Severe)
                    || b.appraisal_grade == Some(AppraisalGrade::D)
                {
                    0
                } else if b.is_hazardous() {
                    1
                } else if b.prelim_hazard.is_some() || b.appraisal_grade.is_some() {
                    2
                } else {
                    3
                }
            }
        }
    }

    /// Class of a parcel: its status, or the most severe class of its houses (the class of a
    /// parcel without houses is the theme's "not recorded" class).
    pub fn parcel_class(self, survey: &Survey, index: u32, p: &Parcel) -> u8 {
        match self {
            Theme::SurveyStatus => p.survey_status.index(),
            other => {
                let houses = survey.houses_of(index);
                let fallback = (other.classes().len() - 1) as u8;
                houses
                    .iter()
                    .filter_map(|&h| survey.buildings.get(h as usize))
                    .map(|b| other.severity_rank(other.building_class(b)))
                    .min()
                    .map_or(fallback, |rank| other.class_of_rank(rank))
            }
        }
    }

    /// Severity order used to summarise houses on their parcel (0 = most severe).
    fn severity_rank(self, class: u8) -> u8 {
        match self {
            // D, C, B, A, none
            Theme::AppraisalGrade => match class {
                3 => 0,
                2 => 1,
                1 => 2,
                0 => 3,
                _ => 4,
            },
            // commercial, mixed, residential, unknown
            _ => class,
        }
    }

    fn class_of_rank(self, rank: u8) -> u8 {
        match self {
            Theme::AppraisalGrade => match rank {
                0 => 3,
                1 => 2,
                2 => 1,
                3 => 0,
                _ => 4,
            },
            _ => rank,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::admin::{Village, VillageId};

    #[test]
    fn parcels_take_the_worst_house() {
        let p = Parcel::new("P", VillageId(1));
        let mut a = Building::new("a");
        a.parcel = Some(0);
        a.appraisal_grade = Some(AppraisalGrade::B);
        let mut d = Building::new("d");
        d.parcel = Some(0);
        d.appraisal_grade = Some(AppraisalGrade::D);
        let s = Survey::new(vec![Village::unassigned()], vec![p.clone()], vec![a, d]);
        assert_eq!(Theme::AppraisalGrade.parcel_class(&s, 0, &p), 3);
        assert_eq!(Theme::Hazard.parcel_class(&s, 0, &p), 0);
        assert_eq!(Theme::SurveyStatus.parcel_class(&s, 0, &p), 0);
        let empty = Survey::new(vec![Village::unassigned()], vec![p.clone()], vec![]);
        assert_eq!(Theme::AppraisalGrade.parcel_class(&empty, 0, &p), 4);
        for t in Theme::ALL {
            assert_eq!(Theme::parse(t.code()), Some(t));
        }
    }
}
