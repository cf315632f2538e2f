//! Coded values of the survey (枚举代码): every enum keeps a stable ASCII code used in storage
//! and export, a numeric code (the order of the official form, used by spreadsheets that send
//! 0/1/2), a Chinese label (the official term) and an English label.
//!
//! Sources: 全国自建房安全专项整治 排查信息归集表 (2022) and the housing part of the 第一次全国
//! 自然灾害综合风险普查 房屋建筑调查 technical rules; grades from JGJ 125-2016 §6.1.4.

use std::fmt;

/// A coded value: stable code, Chinese and English labels, and a parser that accepts any of them.
pub trait Coded: Sized + Copy + 'static {
    /// Every value, in the order of the official form.
    const ALL: &'static [Self];
    /// Stable ASCII code (storage, export, CLI).
    fn code(self) -> &'static str;
    /// Official Chinese label.
    fn label_zh(self) -> &'static str;
    /// English label.
    fn label_en(self) -> &'static str;
    /// Position in [`Coded::ALL`]; the numeric code accepted on input and the u8 kept in memory.
    fn index(self) -> u8;
    /// Value at a position of [`Coded::ALL`].
    fn from_index(i: u8) -> Option<Self> {
        Self::ALL.get(usize::from(i)).copied()
    }
    /// Extra spellings seen in real ledgers (e.g. `已完成` for 已排查).
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }
    /// Parses a stable code, a numeric code, a Chinese or English label or an alias.
    /// Surrounding white space and ASCII case are ignored; `None` when nothing matches.
    fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(n) = t.parse::<u8>() {
            return Self::from_index(n);
        }
        // Exact spellings first (what imports mostly hold), then the loose comparison.
        if let Some(v) = Self::ALL
            .iter()
            .copied()
            .find(|v| v.label_zh() == t || v.code() == t)
        {
            return Some(v);
        }
        Self::ALL.iter().copied().find(|v| {
            loose_eq(v.code(), t)
                || loose_eq(v.label_en(), t)
                || v.aliases().iter().any(|a| *a == t || loose_eq(a, t))
        })
    }
    /// The label in the requested language.
    fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.label_zh(),
            Lang::En => self.label_en(),
        }
    }
}

/// Equal after trimming, ASCII lower-casing and reading ' ' and '-' as '_' (no allocation).
fn loose_eq(a: &str, b: &str) -> bool {
    let fold = |c: char| match c {
        ' ' | '-' => '_',
        c => c.to_ascii_lowercase(),
    };
    a.trim().chars().map(fold).eq(b.trim().chars().map(fold))
}

/// User-interface and report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal $(, [$($alias:literal),*])? ; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl Coded for $name {
            const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];
            fn code(self) -> &'static str {
                match self { $( Self::$variant => $code, )+ }
            }
            fn label_zh(self) -> &'static str {
                match self { $( Self::$variant => $zh, )+ }
            }
            fn label_en(self) -> &'static str {
                match self { $( Self::$variant => $en, )+ }
            }
            fn index(self) -> u8 {
                self as u8
            }
            fn aliases(self) -> &'static [&'static str] {
                match self { $( Self::$variant => &[ $( $($alias),* )? ], )+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label_zh())
            }
        }
    };
}

coded_enum! {
    /// 排查状态 — survey status of a parcel (图斑). Exclusive.
    SurveyStatus {
        /// 未排查
        NotSurveyed = "not_surveyed", "未排查", "Not surveyed", ["未调查", "待排查"];
        /// 排查中
        InProgress = "in_progress", "排查中", "In progress", ["调查中", "正在排查"];
        /// 已排查
        Surveyed = "surveyed", "已排查", "Surveyed", ["已调查", "已完成", "完成", "done"];
    }
}

coded_enum! {
    /// 房屋用途 — use class of a self-built house.
    UseClass {
        /// 经营性自建房 (shops, restaurants, hostels, workshops ...)
        Commercial = "commercial", "经营性自建房", "Commercial", ["经营性", "经营"];
        /// 住宅兼经营性 (dwelling with a business on a floor); counted as commercial in reports.
        Mixed = "mixed", "住宅兼经营性", "Residential with business", ["住宅兼经营", "居住兼经营", "兼营"];
        /// 其他自建房 (purely residential)
        Residential = "residential", "其他自建房", "Residential", ["住宅", "居住", "非经营性", "其他"];
    }
}

coded_enum! {
    /// 结构类型 — structure type (房屋建筑调查 结构类型).
    StructureType {
        /// 砌体结构
        Masonry = "masonry", "砌体结构", "Masonry", ["砌体", "砖混", "砖混结构"];
        /// 底部框架-抗震墙砌体
        FrameMasonry = "frame_masonry", "底部框架-抗震墙砌体", "Bottom frame masonry", ["底框", "底部框架"];
        /// 钢筋混凝土结构
        ReinforcedConcrete = "reinforced_concrete", "钢筋混凝土结构", "Reinforced concrete", ["钢筋混凝土", "框架", "框架结构", "混凝土"];
        /// 钢结构
        Steel = "steel", "钢结构", "Steel", ["钢"];
        /// 木(竹)结构
        Timber = "timber", "木(竹)结构", "Timber or bamboo", ["木结构", "木(竹)", "木竹结构", "木"];
        /// 土木/石木结构
        EarthStone = "earth_stone", "土木/石木结构", "Earth-timber or stone-timber", ["土木", "石木", "土木结构", "石木结构"];
        /// 混杂结构
        Mixed = "mixed", "混杂结构", "Mixed", ["混杂", "混合结构"];
        /// 其他结构
        Other = "other", "其他结构", "Other", ["其他"];
    }
}

coded_enum! {
    /// 轮次 — inspection round.
    InspectionRound {
        /// 首次排查
        First = "first", "首次排查", "First survey", ["首次", "初查"];
        /// 回头看
        Lookback = "lookback", "回头看", "Look-back";
        /// 复排查
        Recheck = "recheck", "复排查", "Re-check", ["复查"];
    }
}

coded_enum! {
    /// 隐患初判 — preliminary hazard judgement by the surveyor.
    PrelimHazard {
        /// 存在严重安全隐患
        Severe = "severe", "存在严重安全隐患", "Severe hazard", ["严重隐患", "严重"];
        /// 存在一定安全隐患
        Some = "some", "存在一定安全隐患", "Some hazard", ["一定隐患", "一般隐患", "一般"];
        /// 未发现安全隐患
        None = "none", "未发现安全隐患", "No hazard found", ["无隐患", "未发现", "无"];
    }
}

coded_enum! {
    /// 鉴定状态 — appraisal (safety assessment) status.
    AppraisalStatus {
        /// 待鉴定
        Pending = "pending", "待鉴定", "Pending", ["未鉴定"];
        /// 鉴定中
        InProgress = "in_progress", "鉴定中", "In progress";
        /// 已鉴定
        Done = "done", "已鉴定", "Appraised";
    }
}

coded_enum! {
    /// 鉴定等级 — danger grade of a house, JGJ 125-2016 (危险房屋鉴定标准) §6.1.4.
    AppraisalGrade {
        /// A级: no dangerous members; meets safe-use requirements.
        A = "A", "A级", "Grade A", ["a", "A级（安全）"];
        /// B级: individual dangerous members, main structure safe.
        B = "B", "B级", "Grade B", ["b"];
        /// C级 局部危房: some load-bearing members dangerous.
        C = "C", "C级", "Grade C (partly dangerous)", ["c", "局部危房", "C级危房"];
        /// D级 整幢危房: the whole building is dangerous.
        D = "D", "D级", "Grade D (whole building dangerous)", ["d", "整幢危房", "D级危房"];
    }
}

coded_enum! {
    /// 整治状态 — rectification status.
    RectStatus {
        /// 无需整治
        NotNeeded = "not_needed", "无需整治", "Not needed", ["不需整治"];
        /// 待整治
        Pending = "pending", "待整治", "Pending", ["未整治", "未整改", "待整改"];
        /// 整治中
        InProgress = "in_progress", "整治中", "In progress", ["整改中"];
        /// 已整治
        Done = "done", "已整治", "Rectified", ["已整改", "整改完成"];
    }
}

coded_enum! {
    /// 改扩建类型 — kinds of alteration (建设情况).
    AlterationKind {
        /// 加层
        AddedStorey = "added_storey", "加层", "Added storey";
        /// 扩建
        Extension = "extension", "扩建", "Extension";
        /// 夹层
        Mezzanine = "mezzanine", "夹层", "Mezzanine";
        /// 地下开挖
        Excavation = "excavation", "地下开挖", "Basement excavation";
        /// 改变主体结构
        StructuralChange = "structural_change", "改变主体结构", "Structural change", ["拆改承重结构"];
    }
}

coded_enum! {
    /// 整治措施 — rectification measures: 管理措施, 工程措施 and 违法建设查处.
    Measure {
        /// 停止使用 (管理措施)
        StopUse = "stop_use", "停止使用", "Stop use";
        /// 停止经营 (管理措施)
        StopBusiness = "stop_business", "停止经营", "Stop business";
        /// 封控警示 (管理措施)
        Cordon = "cordon", "封控警示", "Cordon and warning";
        /// 人员撤离 (管理措施)
        Evacuation = "evacuation", "人员撤离", "Evacuation";
        /// 维修加固 (工程措施)
        Reinforce = "reinforce", "维修加固", "Repair and reinforce";
        /// 拆除重建 (工程措施)
        Rebuild = "rebuild", "拆除重建", "Demolish and rebuild";
        /// 拆除 (工程措施)
        Demolish = "demolish", "拆除", "Demolish";
        /// 全部拆除 (违法建设查处)
        IllegalFullDemolition = "illegal_full_demolition", "全部拆除", "Illegal part: full demolition";
        /// 部分拆除 (违法建设查处)
        IllegalPartDemolition = "illegal_part_demolition", "部分拆除", "Illegal part: partial demolition";
        /// 补办手续 (违法建设查处)
        Permit = "permit", "补办手续", "Retroactive permit";
        /// 罚款 (违法建设查处)
        Fine = "fine", "罚款", "Fine";
    }
}

/// A set of coded values stored as a bit mask (at most 16 values), e.g. alteration kinds or
/// rectification measures. Text form: codes joined with `,`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeSet<T: Coded> {
    bits: u16,
    _marker: std::marker::PhantomData<T>,
}

impl<T: Coded> Default for CodeSet<T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T: Coded> CodeSet<T> {
    /// The empty set.
    pub fn empty() -> Self {
        Self {
            bits: 0,
            _marker: std::marker::PhantomData,
        }
    }
    /// The raw bit mask (bit i = `T::ALL[i]`).
    pub fn bits(self) -> u16 {
        self.bits
    }
    /// Builds a set from a raw bit mask; unknown bits are dropped.
    pub fn from_bits(bits: u16) -> Self {
        let mask = if T::ALL.len() >= 16 {
            u16::MAX
        } else {
            (1u16 << T::ALL.len()) - 1
        };
        Self {
            bits: bits & mask,
            _marker: std::marker::PhantomData,
        }
    }
    /// True when no value is in the set.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }
    /// True when `v` is in the set.
    pub fn contains(self, v: T) -> bool {
        self.bits & (1 << v.index()) != 0
    }
    /// Adds `v`.
    pub fn insert(&mut self, v: T) {
        self.bits |= 1 << v.index();
    }
    /// The members in form order.
    pub fn iter(self) -> impl Iterator<Item = T> {
        T::ALL.iter().copied().filter(move |v| self.contains(*v))
    }
    /// Codes joined with `,` (empty string for the empty set).
    pub fn to_codes(self) -> String {
        self.iter().map(|v| v.code()).collect::<Vec<_>>().join(",")
    }
    /// Chinese labels joined with `、`.
    pub fn to_labels_zh(self) -> String {
        self.iter()
            .map(|v| v.label_zh())
            .collect::<Vec<_>>()
            .join("、")
    }
    /// Parses a list separated by `,` `，` `、` `;` `/` or white space. Returns the first part that
    /// matches no value as the error.
    pub fn parse_list(text: &str) -> Result<Self, String> {
        let mut set = Self::empty();
        for part in text
            .split([',', '，', '、', ';', '；', '/', ' ', '|'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match T::parse(part) {
                Some(v) => set.insert(v),
                None => return Err(part.to_string()),
            }
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_codes_labels_numbers_and_aliases() {
        assert_eq!(
            SurveyStatus::parse("surveyed"),
            Some(SurveyStatus::Surveyed)
        );
        assert_eq!(SurveyStatus::parse("已排查"), Some(SurveyStatus::Surveyed));
        assert_eq!(SurveyStatus::parse("2"), Some(SurveyStatus::Surveyed));
        assert_eq!(SurveyStatus::parse(" 0 "), Some(SurveyStatus::NotSurveyed));
        assert_eq!(
            SurveyStatus::parse("In progress"),
            Some(SurveyStatus::InProgress)
        );
        assert_eq!(
            SurveyStatus::parse("IN_PROGRESS"),
            Some(SurveyStatus::InProgress)
        );
        assert_eq!(SurveyStatus::parse("3"), None);
        assert_eq!(SurveyStatus::parse(""), None);
        assert_eq!(AppraisalGrade::parse("c"), Some(AppraisalGrade::C));
        assert_eq!(AppraisalGrade::parse("D级"), Some(AppraisalGrade::D));
        assert_eq!(UseClass::parse("经营性自建房"), Some(UseClass::Commercial));
        assert_eq!(UseClass::parse("住宅"), Some(UseClass::Residential));
        assert_eq!(StructureType::parse("砖混"), Some(StructureType::Masonry));
    }

    #[test]
    fn codes_are_unique_and_round_trip() {
        fn check<T: Coded + PartialEq + std::fmt::Debug>() {
            for v in T::ALL {
                assert_eq!(T::parse(v.code()), Some(*v));
                assert_eq!(T::parse(v.label_zh()), Some(*v));
                assert_eq!(T::parse(v.label_en()), Some(*v));
                assert_eq!(T::from_index(v.index()), Some(*v));
            }
        }
        check::<SurveyStatus>();
        check::<UseClass>();
        check::<StructureType>();
        check::<InspectionRound>();
        check::<PrelimHazard>();
        check::<AppraisalStatus>();
        check::<AppraisalGrade>();
        check::<RectStatus>();
        check::<AlterationKind>();
        check::<Measure>();
    }

    #[test]
    fn code_sets_parse_and_print() {
        let set = CodeSet::<Measure>::parse_list("停止使用、维修加固").expect("parse");
        assert!(set.contains(Measure::StopUse));
        assert!(set.contains(Measure::Reinforce));
        assert!(!set.contains(Measure::Fine));
        assert_eq!(set.to_codes(), "stop_use,reinforce");
        assert_eq!(
            CodeSet::<Measure>::parse_list("stop_use,bogus"),
            Err("bogus".to_string())
        );
        assert_eq!(CodeSet::<Measure>::from_bits(set.bits()), set);
    }
}
