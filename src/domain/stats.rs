//! Coverage statistics (DESIGN §4) with the exact definitions of the campaign's bulletins.
//!
//! Counters are kept per village and updated by each edit's delta; [`recompute`] builds them
//! from scratch and the two always agree (tested). Rates are exact integer arithmetic, rounded
//! half away from zero to 2 decimals; a rate with denominator 0 is `None` ("—", empty in CSV).

use std::collections::BTreeMap;
use std::fmt;

use super::admin::{AdminLevel, Village, VillageId};
use super::codes::{AppraisalGrade, RectStatus, SurveyStatus, UseClass};
use super::records::{Building, Parcel};

/// Counters of one unit (village, township, county or the whole project).
/// Signed so that an edit's delta can be subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// 图斑总数.
    pub parcels_total: i64,
    /// 未排查.
    pub not_surveyed: i64,
    /// 排查中.
    pub in_progress: i64,
    /// 已排查.
    pub surveyed: i64,
    /// 自建房总数.
    pub buildings_total: i64,
    /// 经营性自建房 (use class commercial only).
    pub use_commercial: i64,
    /// 住宅兼经营性.
    pub use_mixed: i64,
    /// 其他自建房.
    pub use_residential: i64,
    /// Use class not recorded yet.
    pub use_unknown: i64,
    /// 经营性自建房 in the report sense: commercial + mixed.
    pub commercial: i64,
    /// Commercial houses whose 回头看 is done.
    pub lookback_done: i64,
    /// 存在安全隐患的经营性自建房.
    pub hazardous_commercial: i64,
    /// Of those, 已整治.
    pub rectified: i64,
    /// Houses of appraisal grade A, B, C, D.
    pub grade: [i64; 4],
    /// Houses without an appraisal grade.
    pub unappraised: i64,
    /// 重点 (priority) houses.
    pub priority: i64,
    /// Sum of 建筑面积 in hundredths of m² (exact under edits).
    pub floor_area_cm2x100: i64,
}

impl Counts {
    /// Contribution of one parcel.
    pub fn of_parcel(p: &Parcel) -> Counts {
        let mut c = Counts {
            parcels_total: 1,
            ..Default::default()
        };
        match p.survey_status {
            SurveyStatus::NotSurveyed => c.not_surveyed = 1,
            SurveyStatus::InProgress => c.in_progress = 1,
            SurveyStatus::Surveyed => c.surveyed = 1,
        }
        c
    }

    /// Contribution of one house.
    pub fn of_building(b: &Building) -> Counts {
        let mut c = Counts {
            buildings_total: 1,
            ..Default::default()
        };
        match b.use_class {
            Some(UseClass::Commercial) => c.use_commercial = 1,
            Some(UseClass::Mixed) => c.use_mixed = 1,
            Some(UseClass::Residential) => c.use_residential = 1,
            None => c.use_unknown = 1,
        }
        let d = b.derived();
        if d.commercial {
            c.commercial = 1;
            c.lookback_done = i64::from(b.lookback_done);
            if d.hazardous {
                c.hazardous_commercial = 1;
                c.rectified = i64::from(b.rect_status == Some(RectStatus::Done));
            }
        }
        match b.appraisal_grade {
            Some(g) => {
                c.grade[match g {
                    AppraisalGrade::A => 0,
                    AppraisalGrade::B => 1,
                    AppraisalGrade::C => 2,
                    AppraisalGrade::D => 3,
                }] = 1
            }
            None => c.unappraised = 1,
        }
        c.priority = i64::from(d.priority);
        c.floor_area_cm2x100 = b.floor_area_m2.map_or(0, |a| (a * 100.0).round() as i64);
        c
    }

    /// Adds `other` times `sign` (+1 or −1).
    pub fn add(&mut self, other: &Counts, sign: i64) {
        self.parcels_total += sign * other.parcels_total;
        self.not_surveyed += sign * other.not_surveyed;
        self.in_progress += sign * other.in_progress;
        self.surveyed += sign * other.surveyed;
        self.buildings_total += sign * other.buildings_total;
        self.use_commercial += sign * other.use_commercial;
        self.use_mixed += sign * other.use_mixed;
        self.use_residential += sign * other.use_residential;
        self.use_unknown += sign * other.use_unknown;
        self.commercial += sign * other.commercial;
        self.lookback_done += sign * other.lookback_done;
        self.hazardous_commercial += sign * other.hazardous_commercial;
        self.rectified += sign * other.rectified;
        for i in 0..4 {
            self.grade[i] += sign * other.grade[i];
        }
        self.unappraised += sign * other.unappraised;
        self.priority += sign * other.priority;
        self.floor_area_cm2x100 += sign * other.floor_area_cm2x100;
    }

    /// 排查完成率 = 已排查 / 图斑总数 (exclusive convention), or under the census-bulletin
    /// convention (排查中 + 已排查) / 图斑总数.
    pub fn completion_rate(&self, conv: Convention) -> Option<Rate> {
        Rate::new(self.started_or_surveyed(conv), self.parcels_total)
    }

    /// 已排查 (exclusive) or 正在调查 = 排查中 + 已排查 (census convention).
    pub fn started_or_surveyed(&self, conv: Convention) -> i64 {
        match conv {
            Convention::Exclusive => self.surveyed,
            Convention::Census => self.in_progress + self.surveyed,
        }
    }

    /// 回头看完成率 = commercial with look-back done / commercial.
    pub fn lookback_rate(&self) -> Option<Rate> {
        Rate::new(self.lookback_done, self.commercial)
    }

    /// 整改完成率 = rectified / hazardous commercial.
    pub fn rectification_rate(&self) -> Option<Rate> {
        Rate::new(self.rectified, self.hazardous_commercial)
    }

    /// Floor area in m².
    pub fn floor_area_m2(&self) -> f64 {
        self.floor_area_cm2x100 as f64 / 100.0
    }
}

/// Which statuses count as covered in the completion rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convention {
    /// 排查完成率 = 已排查 / total (the campaign's reports).
    #[default]
    Exclusive,
    /// 正在调查 = 排查中 + 已排查 (the census bulletins' convention).
    Census,
}

/// A percentage with exactly two decimals, stored as hundredths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(i64);

impl Rate {
    /// `num / den` in percent rounded half away from zero to 2 decimals; `None` when `den == 0`.
    /// Exact: computed on integers, so 559823 / 587209 gives exactly 95.34.
    pub fn new(num: i64, den: i64) -> Option<Rate> {
        if den == 0 {
            return None;
        }
        let scaled = i128::from(num) * 10_000;
        let den = i128::from(den);
        let q = (2 * scaled.abs() + den.abs()) / (2 * den.abs());
        let negative = (scaled < 0) != (den < 0);
        let q = i64::try_from(q).unwrap_or(i64::MAX);
        Some(Rate(if negative { -q } else { q }))
    }
    /// Hundredths of a percent (9534 for 95.34%).
    pub fn hundredths(self) -> i64 {
        self.0
    }
    /// The percentage as a float (for charts only).
    pub fn percent(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Rate {
    /// `95.34` (no percent sign).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

/// Formats an optional rate: `95.34%`, or `—` when the denominator is 0.
pub fn rate_text(r: Option<Rate>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{r}%"))
}

/// Per-village counters of a project, indexed by [`VillageId`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VillageCounts {
    /// Counters of village i at index i.
    pub by_village: Vec<Counts>,
}

impl VillageCounts {
    /// Zero counters for `n` villages.
    pub fn new(n: usize) -> Self {
        VillageCounts {
            by_village: vec![Counts::default(); n],
        }
    }
    /// Adds (`sign` = 1) or removes (−1) a contribution to a village, growing the table if needed.
    pub fn add(&mut self, village: VillageId, c: &Counts, sign: i64) {
        let i = village.index();
        if i >= self.by_village.len() {
            self.by_village.resize(i + 1, Counts::default());
        }
        self.by_village[i].add(c, sign);
    }
    /// Sum over all villages.
    pub fn total(&self) -> Counts {
        let mut t = Counts::default();
        for c in &self.by_village {
            t.add(c, 1);
        }
        t
    }
}

/// Full recomputation from the records (the reference the incremental counters must equal).
pub fn recompute(n_villages: usize, parcels: &[Parcel], buildings: &[Building]) -> VillageCounts {
    let mut vc = VillageCounts::new(n_villages);
    for p in parcels {
        vc.add(p.village, &Counts::of_parcel(p), 1);
    }
    for b in buildings {
        vc.add(b.village, &Counts::of_building(b), 1);
    }
    vc
}

/// One row of a statistics table.
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    /// Level of the unit.
    pub level: AdminLevel,
    /// Division code of the unit ("" for unassigned and for the total).
    pub code: String,
    /// Name of the unit.
    pub name: String,
    /// Its counters.
    pub counts: Counts,
}

/// Columns of the statistics CSV/JSON output, in order (a contract relied on by scripts).
pub const STAT_COLUMNS: [&str; 21] = [
    "level",
    "code",
    "name",
    "parcels_total",
    "not_surveyed",
    "in_progress",
    "surveyed",
    "completion_rate",
    "buildings_total",
    "commercial",
    "lookback_done",
    "lookback_rate",
    "hazardous_commercial",
    "rectified",
    "rectification_rate",
    "grade_a",
    "grade_b",
    "grade_c",
    "grade_d",
    "priority",
    "floor_area_m2",
];

/// A cell of a statistics record.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (level, code, name).
    Text(String),
    /// A count.
    Count(i64),
    /// A rate (None = denominator 0).
    Rate(Option<Rate>),
    /// Floor area in m², 2 decimals.
    Area(i64),
}

impl fmt::Display for Cell {
    /// CSV form: rates as `95.34` (empty when the denominator is 0), areas with 2 decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Text(t) => f.write_str(t),
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Rate(None) => Ok(()),
            Cell::Rate(Some(r)) => write!(f, "{r}"),
            Cell::Area(centi) => {
                let sign = if *centi < 0 { "-" } else { "" };
                write!(f, "{sign}{}.{:02}", centi.abs() / 100, centi.abs() % 100)
            }
        }
    }
}

impl StatRow {
    /// The row's cells in [`STAT_COLUMNS`] order.
    pub fn cells(&self, conv: Convention) -> Vec<Cell> {
        let c = &self.counts;
        vec![
            Cell::Text(self.level.code().to_string()),
            Cell::Text(self.code.clone()),
            Cell::Text(self.name.clone()),
            Cell::Count(c.parcels_total),
            Cell::Count(c.not_surveyed),
            Cell::Count(c.in_progress),
            Cell::Count(c.surveyed),
            Cell::Rate(c.completion_rate(conv)),
            Cell::Count(c.buildings_total),
            Cell::Count(c.commercial),
            Cell::Count(c.lookback_done),
            Cell::Rate(c.lookback_rate()),
            Cell::Count(c.hazardous_commercial),
            Cell::Count(c.rectified),
            Cell::Rate(c.rectification_rate()),
            Cell::Count(c.grade[0]),
            Cell::Count(c.grade[1]),
            Cell::Count(c.grade[2]),
            Cell::Count(c.grade[3]),
            Cell::Count(c.priority),
            Cell::Area(c.floor_area_cm2x100),
        ]
    }
}

/// Rolls village counters up to `level`, sorted by code; features in no village form their
/// own row (code "", name 未分配) at every level but the total.
pub fn rollup(villages: &[Village], counts: &VillageCounts, level: AdminLevel) -> Vec<StatRow> {
    let mut rows: BTreeMap<String, StatRow> = BTreeMap::new();
    for (i, c) in counts.by_village.iter().enumerate() {
        let fallback = Village::unassigned();
        let v = villages.get(i).unwrap_or(&fallback);
        if level != AdminLevel::Total
            && i == VillageId::UNASSIGNED.index()
            && c == &Counts::default()
        {
            continue;
        }
        let code = v.code_at(level).to_string();
        let name = match level {
            AdminLevel::Total => "合计".to_string(),
            _ if v.code.is_empty() => "未分配".to_string(),
            AdminLevel::Village => v.name.clone(),
            AdminLevel::Township => v.township_name.clone(),
            AdminLevel::County => v.county_name.clone(),
        };
        let row = rows.entry(code.clone()).or_insert_with(|| StatRow {
            level,
            code,
            name: name.clone(),
            counts: Counts::default(),
        });
        if row.name.is_empty() {
            row.name = name;
        }
        row.counts.add(c, 1);
    }
    if level == AdminLevel::Total && rows.is_empty() {
        rows.insert(
            String::new(),
            StatRow {
                level,
                code: String::new(),
                name: "合计".into(),
                counts: Counts::default(),
            },
        );
    }
    rows.into_values().collect()
}

/// Ranks rows by completion rate, highest first; rows without a rate go last; ties by code.
pub fn rank_by_completion(rows: &mut [StatRow], conv: Convention) {
    rows.sort_by(|a, b| {
        let ra = a.counts.completion_rate(conv);
        let rb = b.counts.completion_rate(conv);
        rb.cmp(&ra).then_with(|| a.code.cmp(&b.code))
    });
}

/// The bulletin sentence (通报) in the campaign's form, e.g.
/// "图斑587209个，未排查20051个，排查中7335个，已排查559823个，排查完成率95.34%；经营性自建房
/// 14634栋，回头看完成14108栋，完成率96.41%；存在安全隐患的经营性自建房213栋，已整治33栋，整改完成率15.49%。"
/// Under the census convention the first clause reads "正在调查N个（含已排查M个）".
pub fn bulletin(unit_name: &str, c: &Counts, conv: Convention) -> String {
    let prefix = if unit_name.is_empty() {
        String::new()
    } else {
        format!("{unit_name}：")
    };
    let first = match conv {
        Convention::Exclusive => format!(
            "图斑{}个，未排查{}个，排查中{}个，已排查{}个，排查完成率{}",
            c.parcels_total,
            c.not_surveyed,
            c.in_progress,
            c.surveyed,
            rate_text(c.completion_rate(conv))
        ),
        Convention::Census => format!(
            "图斑{}个，未排查{}个，正在调查{}个（含已排查{}个），调查完成率{}",
            c.parcels_total,
            c.not_surveyed,
            c.started_or_surveyed(conv),
            c.surveyed,
            rate_text(c.completion_rate(conv))
        ),
    };
    format!(
        "{prefix}{first}；经营性自建房{}栋，回头看完成{}栋，完成率{}；存在安全隐患的经营性自建房{}栋，已整治{}栋，整改完成率{}。",
        c.commercial,
        c.lookback_done,
        rate_text(c.lookback_rate()),
        c.hazardous_commercial,
        c.rectified,
        rate_text(c.rectification_rate())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_figures() {
        assert_eq!(
            Rate::new(559_823, 587_209).map(|r| r.to_string()),
            Some("95.34".into())
        );
        assert_eq!(
            Rate::new(14_108, 14_634).map(|r| r.to_string()),
            Some("96.41".into())
        );
        assert_eq!(
            Rate::new(33, 213).map(|r| r.to_string()),
            Some("15.49".into())
        );
        assert_eq!(Rate::new(5, 0), None);
        assert_eq!(rate_text(Rate::new(0, 0)), "—");
        assert_eq!(587_209 - 20_051 - 7_335, 559_823);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        // 1/8 = 12.5% exactly; 1/16 = 6.25%; 1/32 = 3.125% → 3.13; 1/800 = 0.125% → 0.13
        assert_eq!(Rate::new(1, 32).map(|r| r.to_string()), Some("3.13".into()));
        assert_eq!(
            Rate::new(1, 800).map(|r| r.to_string()),
            Some("0.13".into())
        );
        assert_eq!(
            Rate::new(-1, 800).map(|r| r.to_string()),
            Some("-0.13".into())
        );
        assert_eq!(Rate::new(2, 3).map(|r| r.to_string()), Some("66.67".into()));
        assert_eq!(
            Rate::new(1, 1).map(|r| r.to_string()),
            Some("100.00".into())
        );
    }

    #[test]
    fn seed_bulletin_sentence() {
        let c = Counts {
            parcels_total: 587_209,
            not_surveyed: 20_051,
            in_progress: 7_335,
            surveyed: 559_823,
            commercial: 14_634,
            lookback_done: 14_108,
            hazardous_commercial: 213,
            rectified: 33,
            ..Default::default()
        };
        assert_eq!(
            bulletin("", &c, Convention::Exclusive),
            "图斑587209个，未排查20051个，排查中7335个，已排查559823个，排查完成率95.34%；经营性自建房14634栋，\
             回头看完成14108栋，完成率96.41%；存在安全隐患的经营性自建房213栋，已整治33栋，整改完成率15.49%。"
        );
        assert!(bulletin("", &c, Convention::Census).contains("正在调查567158个"));
        assert!(bulletin("x", &Counts::default(), Convention::Exclusive).contains("排查完成率—"));
    }

    #[test]
    fn rollup_groups_by_prefix_and_keeps_unassigned() {
        let villages = vec![
            Village::unassigned(),
            Village {
                code: "640324100001".into(),
                name: "富兴".into(),
                township_name: "豫海镇".into(),
                county_name: "同心县".into(),
            },
            Village {
                code: "640324100002".into(),
                name: "豫园".into(),
                township_name: "豫海镇".into(),
                county_name: "同心县".into(),
            },
            Village {
                code: "640324101001".into(),
                name: "甲".into(),
                township_name: "河西镇".into(),
                county_name: "同心县".into(),
            },
        ];
        let mut p = Parcel::new("a", VillageId(1));
        let mut vc = VillageCounts::new(4);
        vc.add(VillageId(1), &Counts::of_parcel(&p), 1);
        p.survey_status = SurveyStatus::Surveyed;
        vc.add(VillageId(2), &Counts::of_parcel(&p), 1);
        vc.add(VillageId(3), &Counts::of_parcel(&p), 1);
        vc.add(VillageId(0), &Counts::of_parcel(&p), 1);
        let t = rollup(&villages, &vc, AdminLevel::Township);
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].code.as_str(), t[0].name.as_str()), ("", "未分配"));
        assert_eq!(
            (
                t[1].code.as_str(),
                t[1].counts.parcels_total,
                t[1].counts.surveyed
            ),
            ("640324100", 2, 1)
        );
        let total = rollup(&villages, &vc, AdminLevel::Total);
        assert_eq!(total.len(), 1);
        assert_eq!(total[0].counts.parcels_total, 4);
        let mut villages_rows = rollup(&villages, &vc, AdminLevel::Village);
        rank_by_completion(&mut villages_rows, Convention::Exclusive);
        assert_eq!(
            villages_rows.last().map(|r| r.code.as_str()),
            Some("640324100001")
        );
    }
}
