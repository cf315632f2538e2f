//! Filter expressions (筛选条件) that planners use to pick parcels (图斑) and self-built houses
//! (自建房): `fangcha export --where EXPR` and the GUI filter panel. Text is parsed to an
//! [`Expr`] tree; the GUI builds the same tree directly, and [`Expr`]'s `Display` prints text that
//! parses back to the same tree.
//!
//! # Grammar
//! ```text
//! expr       := or
//! or         := and ( ("OR" | "||" | "或") and )*
//! and        := not ( ("AND" | "&&" | "且") not )*
//! not        := ("NOT" | "!" | "非") not | primary
//! primary    := "(" expr ")" | "TRUE" | comparison | flag
//! comparison := name op value
//!             | name ["NOT"] "IN" "(" value ("," value)* ")"
//!             | name ["NOT"] "LIKE" value          (NOT LIKE = IS NOT NULL AND NOT LIKE)
//!             | name "IS" ["NOT"] "NULL"
//! op         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=" | "^="   (also ≠ ≤ ≥)
//! value      := number | 'single-quoted' | "double-quoted" | “中文引号” | bare word | NULL
//! flag       := a yes/no name alone, meaning name = true
//! ```
//! Keywords are case-insensitive. Quotes are escaped by doubling (`'it''s'`). Full-width
//! brackets and commas (`（）`, `，`, `、`) are accepted; `非` may also be written right before a
//! name (`非经营性` = `NOT commercial`). Precedence: NOT binds tighter than AND, AND tighter than
//! OR. An empty filter (only white space) is [`Expr::True`] and matches everything. `且` and `或`
//! separate even without spaces (`隐患且重点`); the keywords themselves (AND, OR, NOT, IN, LIKE,
//! IS, NULL) must be quoted to be used as text values.
//!
//! # Names
//! - every field of the registry ([`Field::parse`]: key or label, e.g. `appraisal_grade`, `鉴定等级`),
//!   with the short aliases `grade`, `status`, `floors`, `use` (and 等级, 层数, 用途);
//! - the derived flags of a house ([`DerivedFlag`]: `hazardous` 隐患, `priority` 重点, `crowded`
//!   人员密集, `three_plus_floors` 三层及以上, `illegal_alteration` 违规改扩建, `commercial` 经营性);
//! - `village_code` (12 digits), `township_code` (9) and `county_code` (6) of the record's village
//!   (统计用区划代码). `=` compares exactly; `^=` (starts with) and `LIKE '440306%'` match prefixes.
//!
//! # Values and comparison
//! Values are read through the field registry ([`Field::parse_value`]), so enum fields accept the
//! stable code, the numeric code, the Chinese or English label and the usual aliases
//! (`survey_status = 2`, `survey_status = 已排查` and `survey_status = surveyed` are the same
//! filter); both sides are compared as the stored code. A value that is not valid is a parse error
//! that names it and lists what the field accepts.
//!
//! - `<`, `<=`, `>`, `>=` work on numbers (Int and Real fields) and dates (compared as
//!   `YYYY-MM-DD` text); on any other name they are a parse error. Numbers are not checked against
//!   the field's range (`floors_above > 0` is a fair question).
//! - `^=` works on text and date fields and on the division codes.
//! - `LIKE` (`%` any run, `_` one character, `\` escapes; ASCII case-insensitive, like SQLite)
//!   works on the text form of any field and on the division codes, not on yes/no names.
//! - On a set field (改扩建类型 `alterations`, 整治措施 `measures`), `=` means "contains every
//!   listed code" (`measures = stop_use` matches a house with 停止使用 among its measures), `!=`
//!   its negation and `IN` "contains any of".
//!
//! # Null (空值)
//! SQL-like: any comparison (`=`, `!=`, `<`, `^=`, `IN`, `NOT IN`, `LIKE`) with a null field value
//! is false, so `rect_status != done` does not match a house without a rectification status; ask
//! for those with `rect_status IS NULL` (`rect_status = NULL` is accepted and means the same).
//! `NOT` then simply negates: unlike SQL's three-valued logic, `NOT rect_status = done` is true for
//! a null status. A field whose record is absent (a building field on a parcel, a parcel field on
//! a building outside any parcel) is null; derived flags of a missing building are false.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use super::codes::{
    AlterationKind, AppraisalGrade, AppraisalStatus, Coded, InspectionRound, Measure, PrelimHazard,
    RectStatus, StructureType, SurveyStatus, UseClass,
};
use super::fields::{Field, FieldError, FieldKind, Layer, Value, parse_bool};
use super::records::{Building, DerivedFlags, Parcel};

/// Deepest nesting of brackets and `NOT` that [`parse`] accepts (guards the stack).
pub const MAX_DEPTH: usize = 100;

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// A derived flag of a house (派生标志), computed by [`Building::derived`], never typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DerivedFlag {
    /// 隐患 — preliminary judgement 严重/一定隐患, or appraisal grade C or D.
    Hazardous,
    /// 重点 — commercial and (≥3 floors or crowded or illegal alteration or use changed).
    Priority,
    /// 人员密集 — ≥10 occupants or a crowded business use.
    Crowded,
    /// 三层及以上 — three or more floors above ground.
    ThreePlusFloors,
    /// 违规改扩建 — altered without approval.
    IllegalAlteration,
    /// 经营性 — commercial or mixed use.
    Commercial,
}

impl DerivedFlag {
    /// Every flag.
    pub const ALL: [DerivedFlag; 6] = [
        DerivedFlag::Hazardous,
        DerivedFlag::Priority,
        DerivedFlag::Crowded,
        DerivedFlag::ThreePlusFloors,
        DerivedFlag::IllegalAlteration,
        DerivedFlag::Commercial,
    ];

    /// Stable key used in filters.
    pub fn key(self) -> &'static str {
        match self {
            DerivedFlag::Hazardous => "hazardous",
            DerivedFlag::Priority => "priority",
            DerivedFlag::Crowded => "crowded",
            DerivedFlag::ThreePlusFloors => "three_plus_floors",
            DerivedFlag::IllegalAlteration => "illegal_alteration",
            DerivedFlag::Commercial => "commercial",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            DerivedFlag::Hazardous => "隐患",
            DerivedFlag::Priority => "重点",
            DerivedFlag::Crowded => "人员密集",
            DerivedFlag::ThreePlusFloors => "三层及以上",
            DerivedFlag::IllegalAlteration => "违规改扩建",
            DerivedFlag::Commercial => "经营性",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            DerivedFlag::Hazardous => "Hazardous",
            DerivedFlag::Priority => "Priority",
            DerivedFlag::Crowded => "Crowded",
            DerivedFlag::ThreePlusFloors => "Three or more floors",
            DerivedFlag::IllegalAlteration => "Illegal alteration",
            DerivedFlag::Commercial => "Commercial",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            DerivedFlag::Hazardous => &["存在安全隐患", "有隐患", "隐患房屋"],
            DerivedFlag::Priority => &["重点房屋", "重点关注"],
            DerivedFlag::Crowded => &[],
            DerivedFlag::ThreePlusFloors => &["3层及以上", "三层以上"],
            DerivedFlag::IllegalAlteration => &["违法改扩建"],
            DerivedFlag::Commercial => &[],
        }
    }

    /// Parses a key, a label or an alias (ASCII case-insensitive).
    pub fn parse(text: &str) -> Option<DerivedFlag> {
        let t = text.trim();
        DerivedFlag::ALL.iter().copied().find(|d| {
            d.key().eq_ignore_ascii_case(t)
                || d.label_zh() == t
                || d.label_en().eq_ignore_ascii_case(t)
                || d.aliases().contains(&t)
        })
    }

    /// The flag's value among a building's derived flags.
    pub fn of(self, flags: &DerivedFlags) -> bool {
        match self {
            DerivedFlag::Hazardous => flags.hazardous,
            DerivedFlag::Priority => flags.priority,
            DerivedFlag::Crowded => flags.crowded,
            DerivedFlag::ThreePlusFloors => flags.three_plus_floors,
            DerivedFlag::IllegalAlteration => flags.illegal_alteration,
            DerivedFlag::Commercial => flags.commercial,
        }
    }
}

/// What a condition tests (条件名): a registry field, a derived flag or a division code of the
/// record's village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Name {
    /// A field of the registry.
    Field(Field),
    /// A derived flag of the house.
    Derived(DerivedFlag),
    /// 村/社区代码 — the 12-digit code of the record's village.
    VillageCode,
    /// 乡镇/街道代码 — the first 9 digits.
    TownshipCode,
    /// 区县代码 — the first 6 digits.
    CountyCode,
}

impl Name {
    /// Every name: fields in form order, then the derived flags, then the division codes.
    pub fn all() -> impl Iterator<Item = Name> {
        Field::ALL
            .iter()
            .copied()
            .map(Name::Field)
            .chain(DerivedFlag::ALL.iter().copied().map(Name::Derived))
            .chain([Name::VillageCode, Name::TownshipCode, Name::CountyCode])
    }

    /// Looks a name up: a field key or label, a derived flag, a division code name, or one of the
    /// short aliases `grade`, `status`, `floors`, `use` (ASCII case-insensitive).
    pub fn parse(text: &str) -> Option<Name> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(f) = Field::parse(t) {
            return Some(Name::Field(f));
        }
        if let Some(d) = DerivedFlag::parse(t) {
            return Some(Name::Derived(d));
        }
        let lower = t.to_ascii_lowercase();
        let name = match lower.as_str() {
            "village_code" | "village" | "村代码" | "村/社区代码" | "村级代码" | "社区代码" => {
                Name::VillageCode
            }
            "township_code" | "township" | "乡镇代码" | "乡镇/街道代码" | "街道代码" => {
                Name::TownshipCode
            }
            "county_code" | "county" | "区县代码" | "县代码" | "县级代码" => {
                Name::CountyCode
            }
            "grade" | "等级" => Name::Field(Field::AppraisalGrade),
            "status" => Name::Field(Field::SurveyStatus),
            "floors" | "层数" => Name::Field(Field::FloorsAbove),
            "use" | "用途" => Name::Field(Field::UseClass),
            _ => return None,
        };
        Some(name)
    }

    /// Stable key (what `Display` prints).
    pub fn key(self) -> &'static str {
        match self {
            Name::Field(f) => f.key(),
            Name::Derived(d) => d.key(),
            Name::VillageCode => "village_code",
            Name::TownshipCode => "township_code",
            Name::CountyCode => "county_code",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Name::Field(f) => f.label_zh(),
            Name::Derived(d) => d.label_zh(),
            Name::VillageCode => "村/社区代码",
            Name::TownshipCode => "乡镇/街道代码",
            Name::CountyCode => "区县代码",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Name::Field(f) => f.label_en(),
            Name::Derived(d) => d.label_en(),
            Name::VillageCode => "Village code",
            Name::TownshipCode => "Township code",
            Name::CountyCode => "County code",
        }
    }

    /// The record the name reads: derived flags are building data; division codes belong to
    /// both (`None`).
    pub fn layer(self) -> Option<Layer> {
        match self {
            Name::Field(f) => Some(f.layer()),
            Name::Derived(_) => Some(Layer::Building),
            Name::VillageCode | Name::TownshipCode | Name::CountyCode => None,
        }
    }

    /// True for yes/no names, which may stand alone as a condition (`hazardous`, `altered`).
    pub fn is_flag(self) -> bool {
        match self {
            Name::Field(f) => matches!(f.kind(), FieldKind::Bool),
            Name::Derived(_) => true,
            Name::VillageCode | Name::TownshipCode | Name::CountyCode => false,
        }
    }

    /// True when `op` may be used on this name: `=` and `!=` everywhere; `<`, `<=`, `>`, `>=` on
    /// numbers and dates; `^=` on text, dates and division codes.
    pub fn supports(self, op: CmpOp) -> bool {
        match op {
            CmpOp::Eq | CmpOp::Ne => true,
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => match self {
                Name::Field(f) => matches!(
                    f.kind(),
                    FieldKind::Int { .. } | FieldKind::Real | FieldKind::Date
                ),
                _ => false,
            },
            CmpOp::StartsWith => match self {
                Name::Field(f) => matches!(f.kind(), FieldKind::Text | FieldKind::Date),
                Name::Derived(_) => false,
                Name::VillageCode | Name::TownshipCode | Name::CountyCode => true,
            },
        }
    }

    /// True when `LIKE` may be used on this name (everything but yes/no names).
    pub fn supports_like(self) -> bool {
        !self.is_flag()
    }

    /// Number of digits of a division code name.
    fn code_digits(self) -> Option<usize> {
        match self {
            Name::VillageCode => Some(12),
            Name::TownshipCode => Some(9),
            Name::CountyCode => Some(6),
            Name::Field(_) | Name::Derived(_) => None,
        }
    }

    /// The operators allowed on this name, for error messages.
    fn allowed_list(self) -> String {
        let mut list: Vec<&str> = CmpOp::ALL
            .iter()
            .filter(|op| self.supports(**op))
            .map(|op| op.symbol())
            .collect();
        list.push("IN");
        if self.supports_like() {
            list.push("LIKE");
        }
        list.push("IS NULL");
        list.join(", ")
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A comparison operator (比较运算符).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=` (also `==`).
    Eq,
    /// `!=` (also `<>`, `≠`).
    Ne,
    /// `<`.
    Lt,
    /// `<=` (also `≤`).
    Le,
    /// `>`.
    Gt,
    /// `>=` (also `≥`).
    Ge,
    /// `^=` — starts with (前缀匹配).
    StartsWith,
}

impl CmpOp {
    /// Every operator.
    pub const ALL: [CmpOp; 7] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::StartsWith,
    ];

    /// The symbol `Display` prints.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::StartsWith => "^=",
        }
    }

    /// True for `<`, `<=`, `>`, `>=`.
    pub fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }

    fn accepts(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
            CmpOp::StartsWith => false,
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

/// A filter expression (筛选表达式). Values in trees made by [`parse`] are normalised (enum values
/// are stored codes, dates `YYYY-MM-DD`); trees built by hand may hold labels too and can be
/// checked and normalised with [`Expr::normalized`].
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All members hold (且). Empty: true.
    And(Vec<Expr>),
    /// At least one member holds (或). Empty: false.
    Or(Vec<Expr>),
    /// The member does not hold (非).
    Not(Box<Expr>),
    /// `name op value`.
    Cmp {
        /// What is compared.
        name: Name,
        /// The operator.
        op: CmpOp,
        /// The value compared with (never null in parsed trees).
        value: Value,
    },
    /// `name IN (values)` or `name NOT IN (values)`.
    In {
        /// What is compared.
        name: Name,
        /// The accepted values.
        values: Vec<Value>,
        /// True for `NOT IN`.
        negated: bool,
    },
    /// `name LIKE pattern`: `%` any run, `_` one character, `\` escapes the next character.
    Like {
        /// What is matched.
        name: Name,
        /// The pattern.
        pattern: String,
    },
    /// `name IS NULL` or `name IS NOT NULL` (为空 / 不为空).
    IsNull {
        /// What is tested.
        name: Name,
        /// True for `IS NOT NULL`.
        negated: bool,
    },
    /// A yes/no name alone: `name = true`.
    Flag(Name),
    /// Matches everything (全部); the empty filter.
    True,
}

/// The record a filter is evaluated on (one parcel or one building).
#[derive(Debug, Clone, Copy)]
pub struct FilterContext<'a> {
    /// The parcel (图斑): the record itself, or the parcel holding the building.
    pub parcel: Option<&'a Parcel>,
    /// The building (自建房); `None` when a parcel is evaluated.
    pub building: Option<&'a Building>,
    /// 12-digit code of the record's village; empty when unassigned.
    pub village_code: &'a str,
}

impl<'a> FilterContext<'a> {
    /// Context of a parcel.
    pub fn for_parcel(parcel: &'a Parcel, village_code: &'a str) -> Self {
        FilterContext {
            parcel: Some(parcel),
            building: None,
            village_code,
        }
    }

    /// Context of a building and the parcel holding it (if any).
    pub fn for_building(
        building: &'a Building,
        parcel: Option<&'a Parcel>,
        village_code: &'a str,
    ) -> Self {
        FilterContext {
            parcel,
            building: Some(building),
            village_code,
        }
    }

    /// The record's value of a name: a field of an absent record is null, derived flags of an
    /// absent building are false, division codes of an unassigned village are null.
    pub fn value(&self, name: Name) -> Value {
        match name {
            Name::Field(f) => match f.layer() {
                Layer::Parcel => self.parcel.map_or(Value::Null, |p| f.get_parcel(p)),
                Layer::Building => self.building.map_or(Value::Null, |b| f.get_building(b)),
            },
            Name::Derived(d) => Value::Bool(self.building.is_some_and(|b| d.of(&b.derived()))),
            Name::VillageCode => {
                let code = self.village_code.trim();
                if code.is_empty() {
                    Value::Null
                } else {
                    Value::Text(code.to_string())
                }
            }
            Name::TownshipCode | Name::CountyCode => {
                let n = name.code_digits().unwrap_or(0);
                match self.village_code.trim().get(..n) {
                    Some(prefix) if n > 0 => Value::Text(prefix.to_string()),
                    _ => Value::Null,
                }
            }
        }
    }
}

impl Expr {
    /// True when the record matches. Never panics; see the module docs for null semantics.
    pub fn eval(&self, ctx: &FilterContext) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.eval(ctx)),
            Expr::Or(items) => items.iter().any(|e| e.eval(ctx)),
            Expr::Not(inner) => !inner.eval(ctx),
            Expr::True => true,
            Expr::Flag(name) => matches!(ctx.value(*name), Value::Bool(true)),
            Expr::IsNull { name, negated } => ctx.value(*name).is_null() != *negated,
            Expr::Cmp { name, op, value } => compare(*name, *op, &ctx.value(*name), value),
            Expr::In {
                name,
                values,
                negated,
            } => {
                let have = ctx.value(*name);
                if have.is_null() {
                    return false;
                }
                values.iter().any(|v| compare(*name, CmpOp::Eq, &have, v)) != *negated
            }
            Expr::Like { name, pattern } => {
                let have = ctx.value(*name);
                !have.is_null() && like_match(&have.to_text(), pattern)
            }
        }
    }

    /// True when the expression reads building data (building fields or derived flags), so that
    /// it selects buildings rather than parcels.
    pub fn uses_building_fields(&self) -> bool {
        self.any_name(&|n| n.layer() == Some(Layer::Building))
    }

    /// True when the expression reads parcel fields.
    pub fn uses_parcel_fields(&self) -> bool {
        self.any_name(&|n| n.layer() == Some(Layer::Parcel))
    }

    fn any_name(&self, pred: &dyn Fn(Name) -> bool) -> bool {
        match self {
            Expr::And(items) | Expr::Or(items) => items.iter().any(|e| e.any_name(pred)),
            Expr::Not(inner) => inner.any_name(pred),
            Expr::Cmp { name, .. }
            | Expr::In { name, .. }
            | Expr::Like { name, .. }
            | Expr::IsNull { name, .. }
            | Expr::Flag(name) => pred(*name),
            Expr::True => false,
        }
    }

    /// Checks a hand-built tree with the rules of [`parse`] and normalises its values (labels
    /// become stored codes, `= NULL` becomes `IS NULL`). Errors carry position 0.
    pub fn normalized(&self) -> Result<Expr, FilterError> {
        let at0 = |kind| FilterError { position: 0, kind };
        Ok(match self {
            Expr::And(items) => Expr::And(
                items
                    .iter()
                    .map(Expr::normalized)
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(items) => Expr::Or(
                items
                    .iter()
                    .map(Expr::normalized)
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(inner) => Expr::Not(Box::new(inner.normalized()?)),
            Expr::Cmp { name, op, value } => {
                check_op(*name, *op).map_err(at0)?;
                build_cmp(*name, *op, &RawValue::of(value)).map_err(at0)?
            }
            Expr::In {
                name,
                values,
                negated,
            } => {
                let mut out = Vec::with_capacity(values.len());
                for v in values {
                    out.push(list_value(*name, &RawValue::of(v)).map_err(at0)?);
                }
                Expr::In {
                    name: *name,
                    values: out,
                    negated: *negated,
                }
            }
            Expr::Like { name, pattern } => {
                check_like(*name).map_err(at0)?;
                Expr::Like {
                    name: *name,
                    pattern: pattern.clone(),
                }
            }
            Expr::Flag(name) => {
                if !name.is_flag() {
                    return Err(at0(FilterErrorKind::NotAFlag { name: name.key() }));
                }
                Expr::Flag(*name)
            }
            Expr::IsNull { .. } | Expr::True => self.clone(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a filter text does not parse, with the position of the offending part.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} (at character {column})", column = .position + 1)]
pub struct FilterError {
    /// Offset of the offending part in characters (not bytes), 0-based.
    pub position: usize,
    /// What is wrong.
    pub kind: FilterErrorKind,
}

impl FilterError {
    fn new(position: usize, kind: FilterErrorKind) -> Self {
        FilterError { position, kind }
    }
}

/// What is wrong with a filter text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterErrorKind {
    /// The text stops in the middle of an expression.
    #[error("the filter ends too early: expected {expected}")]
    UnexpectedEnd {
        /// What was expected.
        expected: &'static str,
    },
    /// A token that does not fit here.
    #[error("expected {expected}, found “{found}”")]
    Unexpected {
        /// The token found.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A quoted text without its closing quote.
    #[error("a quoted text is not closed")]
    UnclosedQuote,
    /// A character that is not part of the language.
    #[error("unexpected character “{ch}”{hint}")]
    BadChar {
        /// The character.
        ch: char,
        /// A hint (may be empty).
        hint: &'static str,
    },
    /// No field, flag or code has that name.
    #[error(
        "unknown name “{name}”{}; use a field key or label, or one of: {}",
        did_you_mean(*.suggestion),
        known_names()
    )]
    UnknownName {
        /// The name as written.
        name: String,
        /// The key of the closest known name, when one is close.
        suggestion: Option<&'static str>,
    },
    /// A closing bracket with no opening one.
    #[error("“)” without a matching “(”")]
    UnmatchedClose,
    /// A name that is not yes/no used alone.
    #[error("“{name}” is not a yes/no name; compare it with a value, e.g. `{name} = …`")]
    NotAFlag {
        /// Key of the name.
        name: &'static str,
    },
    /// An operator that does not apply to the name (e.g. `<` on an enum).
    #[error("{op} cannot be used on {name} (allowed: {allowed})")]
    OperatorNotAllowed {
        /// Key of the name.
        name: &'static str,
        /// The operator.
        op: &'static str,
        /// The operators the name accepts.
        allowed: String,
    },
    /// A value the name does not accept; the message lists what is accepted.
    #[error("{0}")]
    BadValue(FieldError),
    /// NULL with an operator other than `=` / `!=`.
    #[error("NULL cannot be compared with {op}; use IS NULL or IS NOT NULL")]
    NullComparison {
        /// The operator.
        op: &'static str,
    },
    /// NULL inside an IN list.
    #[error("NULL cannot be part of an IN list; add `OR name IS NULL` instead")]
    NullInList,
    /// Brackets or NOTs nested deeper than [`MAX_DEPTH`].
    #[error("the filter is nested more than {} levels deep", MAX_DEPTH)]
    TooDeep,
}

fn known_names() -> String {
    Name::all().map(Name::key).collect::<Vec<_>>().join(", ")
}

fn did_you_mean(suggestion: Option<&'static str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean “{s}”?)"))
        .unwrap_or_default()
}

/// The key closest to `written` (edit distance at most 2, ASCII case ignored), if any.
fn suggest(written: &str) -> Option<&'static str> {
    let w: Vec<char> = written.trim().to_lowercase().chars().collect();
    const ALIASES: [&str; 4] = ["grade", "status", "floors", "use"];
    Name::all()
        .map(Name::key)
        .chain(ALIASES)
        .map(|key| (edit_distance(&w, key), key))
        .filter(|(d, _)| *d <= 2 && *d < w.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, key)| key)
}

/// Levenshtein distance between two short texts.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(usize::from(ca != cb));
            let del = prev
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn bad_value(name: Name, text: &str, hint: String) -> FilterErrorKind {
    FilterErrorKind::BadValue(FieldError::BadValue {
        field: name.key(),
        text: text.to_string(),
        hint,
    })
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Op(CmpOp),
    And,
    Or,
    Not,
    In,
    Like,
    Is,
    Word(String),
    Quoted(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Comma => ",".into(),
        Tok::Op(op) => op.symbol().into(),
        Tok::And => "AND".into(),
        Tok::Or => "OR".into(),
        Tok::Not => "NOT".into(),
        Tok::In => "IN".into(),
        Tok::Like => "LIKE".into(),
        Tok::Is => "IS".into(),
        Tok::Word(w) => w.clone(),
        Tok::Quoted(s) => format!("'{s}'"),
    }
}

/// Characters of a bare word. 且 and 或 always stand alone (no label contains them).
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || matches!(c, '_' | '%' | '.' | '-' | '/')) && !matches!(c, '且' | '或')
}

fn is_word_start(c: char, next: Option<char>) -> bool {
    ((c.is_alphanumeric() || matches!(c, '_' | '%')) && !matches!(c, '且' | '或'))
        || (matches!(c, '-' | '.') && next.is_some_and(|n| n.is_ascii_digit()))
}

fn keyword(word: &str) -> Option<Tok> {
    if word == "非" {
        return Some(Tok::Not);
    }
    match word.to_ascii_uppercase().as_str() {
        "AND" => Some(Tok::And),
        "OR" => Some(Tok::Or),
        "NOT" => Some(Tok::Not),
        "IN" => Some(Tok::In),
        "LIKE" => Some(Tok::Like),
        "IS" => Some(Tok::Is),
        _ => None,
    }
}

fn lex(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        let next_is_eq = matches!(next, Some('=' | '＝'));
        let bad = |hint| {
            Err(FilterError::new(
                i,
                FilterErrorKind::BadChar { ch: c, hint },
            ))
        };
        let (tok, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' | '（' => (Tok::LParen, 1),
            ')' | '）' => (Tok::RParen, 1),
            ',' | '，' | '、' => (Tok::Comma, 1),
            '=' | '＝' => (Tok::Op(CmpOp::Eq), if next_is_eq { 2 } else { 1 }),
            '!' | '！' if next_is_eq => (Tok::Op(CmpOp::Ne), 2),
            '!' | '！' => (Tok::Not, 1),
            '<' | '＜' if next_is_eq => (Tok::Op(CmpOp::Le), 2),
            '<' | '＜' if matches!(next, Some('>' | '＞')) => (Tok::Op(CmpOp::Ne), 2),
            '<' | '＜' => (Tok::Op(CmpOp::Lt), 1),
            '>' | '＞' if next_is_eq => (Tok::Op(CmpOp::Ge), 2),
            '>' | '＞' => (Tok::Op(CmpOp::Gt), 1),
            '≤' => (Tok::Op(CmpOp::Le), 1),
            '≥' => (Tok::Op(CmpOp::Ge), 1),
            '≠' => (Tok::Op(CmpOp::Ne), 1),
            '^' if next_is_eq => (Tok::Op(CmpOp::StartsWith), 2),
            '^' => return bad(" (use ^= for “starts with”)"),
            '&' if next == Some('&') => (Tok::And, 2),
            '&' => return bad(" (use AND or &&)"),
            '|' if next == Some('|') => (Tok::Or, 2),
            '|' => return bad(" (use OR or ||)"),
            '且' => (Tok::And, 1),
            '或' => (Tok::Or, 1),
            '\'' | '"' | '“' | '‘' => {
                let (close, doubling) = match c {
                    '“' => ('”', false),
                    '‘' => ('’', false),
                    other => (other, true),
                };
                let (s, end) = lex_quoted(&chars, i, close, doubling)?;
                toks.push(Token {
                    tok: Tok::Quoted(s),
                    pos: i,
                });
                i = end;
                continue;
            }
            c if is_word_start(c, next) => {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|d| is_word_char(*d)) {
                    j += 1;
                }
                let word: String = chars
                    .get(i..j)
                    .map(|s| s.iter().collect())
                    .unwrap_or_default();
                if word.chars().all(|c| c == '非') {
                    // 非非 … : one NOT per character.
                    toks.extend((i..j).map(|pos| Token { tok: Tok::Not, pos }));
                    i = j;
                    continue;
                }
                let tok = keyword(&word).unwrap_or(Tok::Word(word));
                (tok, j - i)
            }
            _ => return bad(""),
        };
        toks.push(Token { tok, pos: i });
        i += len;
    }
    Ok(toks)
}

/// Reads a quoted text starting at `start` (the opening quote); returns the text and the index
/// after the closing quote. With `doubling`, two closing quotes stand for one.
fn lex_quoted(
    chars: &[char],
    start: usize,
    close: char,
    doubling: bool,
) -> Result<(String, usize), FilterError> {
    let mut text = String::new();
    let mut j = start + 1;
    loop {
        match chars.get(j) {
            None => return Err(FilterError::new(start, FilterErrorKind::UnclosedQuote)),
            Some(&c) if c == close => {
                if doubling && chars.get(j + 1) == Some(&close) {
                    text.push(c);
                    j += 2;
                } else {
                    return Ok((text, j + 1));
                }
            }
            Some(&c) => {
                text.push(c);
                j += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/// Parses a filter text. Empty text (or only white space) is [`Expr::True`].
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        at: 0,
        end: text.chars().count(),
        depth: 0,
    };
    if p.peek().is_none() {
        return Ok(Expr::True);
    }
    let expr = p.parse_or()?;
    match p.peek() {
        None => Ok(expr),
        Some(Token {
            tok: Tok::RParen,
            pos,
        }) => Err(FilterError::new(*pos, FilterErrorKind::UnmatchedClose)),
        Some(_) => Err(p.unexpected("AND, OR or the end")),
    }
}

/// A value as written: its text, or NULL.
#[derive(Debug)]
struct RawValue {
    text: String,
    null: bool,
}

impl RawValue {
    fn of(v: &Value) -> RawValue {
        RawValue {
            text: v.to_text(),
            null: v.is_null(),
        }
    }
}

const OPERATORS: &str = "an operator (=, !=, <, <=, >, >=, ^=, IN, LIKE, IS), AND, OR or the end";

struct Parser {
    toks: Vec<Token>,
    at: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn bump(&mut self) {
        self.at += 1;
    }

    fn unexpected(&self, expected: &'static str) -> FilterError {
        match self.peek() {
            None => FilterError::new(self.end, FilterErrorKind::UnexpectedEnd { expected }),
            Some(t) => FilterError::new(
                t.pos,
                FilterErrorKind::Unexpected {
                    found: describe(&t.tok),
                    expected,
                },
            ),
        }
    }

    fn parse_or(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.parse_and()?];
        while matches!(self.peek_tok(), Some(Tok::Or)) {
            self.bump();
            items.push(self.parse_and()?);
        }
        Ok(collapse(items, Expr::Or))
    }

    fn parse_and(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.parse_not()?];
        while matches!(self.peek_tok(), Some(Tok::And)) {
            self.bump();
            items.push(self.parse_not()?);
        }
        Ok(collapse(items, Expr::And))
    }

    fn parse_not(&mut self) -> Result<Expr, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let pos = self.peek().map_or(self.end, |t| t.pos);
            return Err(FilterError::new(pos, FilterErrorKind::TooDeep));
        }
        let expr = if matches!(self.peek_tok(), Some(Tok::Not)) {
            self.bump();
            Expr::Not(Box::new(self.parse_not()?))
        } else if self.split_fei() {
            Expr::Not(Box::new(self.parse_not()?))
        } else {
            self.parse_primary()?
        };
        self.depth -= 1;
        Ok(expr)
    }

    /// `非经营性` → `非` + `经营性` when the whole word is no name but the rest is.
    fn split_fei(&mut self) -> bool {
        let Some(Token {
            tok: Tok::Word(word),
            pos,
        }) = self.toks.get(self.at)
        else {
            return false;
        };
        let Some(rest) = word.strip_prefix('非') else {
            return false;
        };
        let core = rest.trim_start_matches('非');
        let resolves = Name::parse(core).is_some()
            || core.eq_ignore_ascii_case("true")
            || keyword(core) == Some(Tok::Not);
        if core.is_empty() || Name::parse(word).is_some() || !resolves {
            return false;
        }
        let token = Token {
            tok: keyword(rest).unwrap_or_else(|| Tok::Word(rest.to_string())),
            pos: pos + 1,
        };
        match self.toks.get_mut(self.at) {
            Some(slot) => {
                *slot = token;
                true
            }
            None => false,
        }
    }

    fn parse_primary(&mut self) -> Result<Expr, FilterError> {
        const EXPECTED: &str = "a name, “(” or NOT";
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected(EXPECTED));
        };
        match token.tok {
            Tok::LParen => {
                self.bump();
                let expr = self.parse_or()?;
                if matches!(self.peek_tok(), Some(Tok::RParen)) {
                    self.bump();
                    Ok(expr)
                } else {
                    Err(self.unexpected("AND, OR or “)”"))
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => {
                self.bump();
                Ok(Expr::True)
            }
            Tok::Word(w) | Tok::Quoted(w) => {
                let name = Name::parse(&w).ok_or_else(|| {
                    FilterError::new(
                        token.pos,
                        FilterErrorKind::UnknownName {
                            suggestion: suggest(&w),
                            name: w.clone(),
                        },
                    )
                })?;
                self.bump();
                self.parse_condition(name, token.pos)
            }
            _ => Err(self.unexpected(EXPECTED)),
        }
    }

    fn parse_condition(&mut self, name: Name, name_pos: usize) -> Result<Expr, FilterError> {
        let Some(token) = self.peek().cloned() else {
            return flag(name, name_pos);
        };
        match token.tok {
            Tok::Op(op) => {
                self.bump();
                check_op(name, op).map_err(|k| FilterError::new(token.pos, k))?;
                let (raw, pos) = self.parse_raw_value()?;
                build_cmp(name, op, &raw).map_err(|k| FilterError::new(pos, k))
            }
            Tok::In => {
                self.bump();
                self.parse_in(name, false)
            }
            Tok::Like => {
                self.bump();
                self.parse_like(name, token.pos)
            }
            Tok::Not => {
                self.bump();
                match self.peek().cloned() {
                    Some(Token { tok: Tok::In, .. }) => {
                        self.bump();
                        self.parse_in(name, true)
                    }
                    Some(Token {
                        tok: Tok::Like,
                        pos,
                    }) => {
                        // SQL: `x NOT LIKE p` is false when x is null, like every comparison.
                        self.bump();
                        let like = self.parse_like(name, pos)?;
                        Ok(Expr::And(vec![
                            Expr::IsNull {
                                name,
                                negated: true,
                            },
                            Expr::Not(Box::new(like)),
                        ]))
                    }
                    _ => Err(self.unexpected("IN or LIKE after NOT")),
                }
            }
            Tok::Is => {
                self.bump();
                let negated = matches!(self.peek_tok(), Some(Tok::Not));
                if negated {
                    self.bump();
                }
                match self.peek_tok() {
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => {
                        self.bump();
                        Ok(Expr::IsNull { name, negated })
                    }
                    _ => Err(self.unexpected("NULL")),
                }
            }
            Tok::And | Tok::Or | Tok::RParen => flag(name, name_pos),
            _ => Err(self.unexpected(OPERATORS)),
        }
    }

    fn parse_raw_value(&mut self) -> Result<(RawValue, usize), FilterError> {
        match self.peek().cloned() {
            Some(Token {
                tok: Tok::Word(w),
                pos,
            }) => {
                self.bump();
                Ok((
                    RawValue {
                        null: w.eq_ignore_ascii_case("null"),
                        text: w,
                    },
                    pos,
                ))
            }
            Some(Token {
                tok: Tok::Quoted(s),
                pos,
            }) => {
                self.bump();
                Ok((
                    RawValue {
                        text: s,
                        null: false,
                    },
                    pos,
                ))
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    fn parse_in(&mut self, name: Name, negated: bool) -> Result<Expr, FilterError> {
        if !matches!(self.peek_tok(), Some(Tok::LParen)) {
            return Err(self.unexpected("“(” after IN"));
        }
        self.bump();
        let mut values = Vec::new();
        loop {
            let (raw, pos) = self.parse_raw_value()?;
            values.push(list_value(name, &raw).map_err(|k| FilterError::new(pos, k))?);
            match self.peek_tok() {
                Some(Tok::Comma) => self.bump(),
                Some(Tok::RParen) => {
                    self.bump();
                    break;
                }
                _ => return Err(self.unexpected("“,” or “)”")),
            }
        }
        Ok(Expr::In {
            name,
            values,
            negated,
        })
    }

    fn parse_like(&mut self, name: Name, like_pos: usize) -> Result<Expr, FilterError> {
        check_like(name).map_err(|k| FilterError::new(like_pos, k))?;
        let (raw, pos) = self.parse_raw_value()?;
        if raw.null {
            return Err(FilterError::new(
                pos,
                FilterErrorKind::NullComparison { op: "LIKE" },
            ));
        }
        Ok(Expr::Like {
            name,
            pattern: raw.text,
        })
    }
}

fn collapse(mut items: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    join(items)
}

fn flag(name: Name, pos: usize) -> Result<Expr, FilterError> {
    if name.is_flag() {
        Ok(Expr::Flag(name))
    } else {
        Err(FilterError::new(
            pos,
            FilterErrorKind::NotAFlag { name: name.key() },
        ))
    }
}

fn check_op(name: Name, op: CmpOp) -> Result<(), FilterErrorKind> {
    if name.supports(op) {
        Ok(())
    } else {
        Err(FilterErrorKind::OperatorNotAllowed {
            name: name.key(),
            op: op.symbol(),
            allowed: name.allowed_list(),
        })
    }
}

fn check_like(name: Name) -> Result<(), FilterErrorKind> {
    if name.supports_like() {
        Ok(())
    } else {
        Err(FilterErrorKind::OperatorNotAllowed {
            name: name.key(),
            op: "LIKE",
            allowed: name.allowed_list(),
        })
    }
}

/// `name op value` with the value normalised; `= NULL` / `!= NULL` become IS [NOT] NULL.
fn build_cmp(name: Name, op: CmpOp, raw: &RawValue) -> Result<Expr, FilterErrorKind> {
    let value = value_for(name, op, raw)?;
    if value.is_null() {
        return match op {
            CmpOp::Eq => Ok(Expr::IsNull {
                name,
                negated: false,
            }),
            CmpOp::Ne => Ok(Expr::IsNull {
                name,
                negated: true,
            }),
            _ => Err(FilterErrorKind::NullComparison { op: op.symbol() }),
        };
    }
    Ok(Expr::Cmp { name, op, value })
}

/// One member of an IN list.
fn list_value(name: Name, raw: &RawValue) -> Result<Value, FilterErrorKind> {
    let value = value_for(name, CmpOp::Eq, raw)?;
    if value.is_null() {
        Err(FilterErrorKind::NullInList)
    } else {
        Ok(value)
    }
}

/// The normalised value of `raw` for `name` used with `op` (may be Null).
fn value_for(name: Name, op: CmpOp, raw: &RawValue) -> Result<Value, FilterErrorKind> {
    if raw.null {
        return Ok(Value::Null);
    }
    let t = raw.text.trim();
    match name {
        Name::Field(f) => match f.kind() {
            FieldKind::Int { .. } | FieldKind::Real => {
                if t.is_empty() {
                    Ok(Value::Null)
                } else {
                    parse_number(f, t).ok_or_else(|| bad_value(name, t, " (a number)".into()))
                }
            }
            FieldKind::Text | FieldKind::Date if op == CmpOp::StartsWith => {
                Ok(Value::Text(t.to_string()))
            }
            _ => f.parse_value(t).map_err(FilterErrorKind::BadValue),
        },
        Name::Derived(_) => parse_bool(t)
            .map(Value::Bool)
            .ok_or_else(|| bad_value(name, t, " (true/false, 是/否, yes/no, 1/0)".into())),
        Name::VillageCode | Name::TownshipCode | Name::CountyCode => {
            let n = name.code_digits().unwrap_or(12);
            if t.is_empty() {
                return Ok(Value::Null);
            }
            let digits = t.bytes().all(|b| b.is_ascii_digit());
            if op == CmpOp::StartsWith {
                if digits && t.len() <= n {
                    Ok(Value::Text(t.to_string()))
                } else {
                    Err(bad_value(
                        name,
                        t,
                        format!(" (1–{n} digits of a division code)"),
                    ))
                }
            } else if digits && t.len() == n {
                Ok(Value::Text(t.to_string()))
            } else {
                Err(bad_value(
                    name,
                    t,
                    format!(" ({n} digits; use ^= or LIKE for a prefix)"),
                ))
            }
        }
    }
}

/// A number for an Int or Real field: whole numbers of Int fields stay `Int`, Real fields are
/// always `Real`. No range check (`floors_above > 0` is a fair question).
fn parse_number(f: Field, t: &str) -> Option<Value> {
    let int_field = matches!(f.kind(), FieldKind::Int { .. });
    if let Ok(i) = t.parse::<i64>() {
        return Some(if int_field {
            Value::Int(i)
        } else {
            Value::Real(i as f64)
        });
    }
    let r = t.parse::<f64>().ok().filter(|r| r.is_finite())?;
    if int_field && r.fract() == 0.0 && r.abs() < 9.0e18 {
        Some(Value::Int(r as i64))
    } else {
        Some(Value::Real(r))
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// `have op want`; false when either side is null.
fn compare(name: Name, op: CmpOp, have: &Value, want: &Value) -> bool {
    if have.is_null() || want.is_null() {
        return false;
    }
    let want = coerce(name, want);
    match op {
        CmpOp::Eq => equal(name, have, &want),
        CmpOp::Ne => !equal(name, have, &want),
        CmpOp::StartsWith => match (have, want.as_ref()) {
            (Value::Text(h), Value::Text(w)) => h.starts_with(w.as_str()),
            (h, w) => h.to_text().starts_with(&w.to_text()),
        },
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
            order(have, &want).is_some_and(|o| op.accepts(o))
        }
    }
}

/// Brings a value of a hand-built tree to the stored form of `name`; values from [`parse`] are
/// already there and pass through without allocation.
fn coerce(name: Name, v: &Value) -> Cow<'_, Value> {
    if v.is_null() {
        return Cow::Borrowed(v);
    }
    match name {
        Name::Field(f) => match (f.kind(), v) {
            (FieldKind::Int { .. } | FieldKind::Real, Value::Int(_) | Value::Real(_))
            | (FieldKind::Text, Value::Text(_))
            | (FieldKind::Bool, Value::Bool(_)) => Cow::Borrowed(v),
            (FieldKind::Date, Value::Text(t)) if is_iso_date(t) => Cow::Borrowed(v),
            (FieldKind::Enum(_), Value::Text(t)) if is_code(f, t) => Cow::Borrowed(v),
            (FieldKind::Set(_), Value::Text(t)) if t.split(',').all(|c| is_code(f, c)) => {
                Cow::Borrowed(v)
            }
            (FieldKind::Int { .. } | FieldKind::Real, _) => {
                parse_number(f, v.to_text().trim()).map_or(Cow::Borrowed(v), Cow::Owned)
            }
            (FieldKind::Text, _) => Cow::Owned(Value::Text(v.to_text())),
            _ => match f.parse_value(&v.to_text()) {
                Ok(n) if !n.is_null() => Cow::Owned(n),
                _ => Cow::Borrowed(v),
            },
        },
        Name::Derived(_) => match v {
            Value::Int(i) => Cow::Owned(Value::Bool(*i != 0)),
            Value::Text(t) => {
                parse_bool(t).map_or(Cow::Borrowed(v), |b| Cow::Owned(Value::Bool(b)))
            }
            _ => Cow::Borrowed(v),
        },
        Name::VillageCode | Name::TownshipCode | Name::CountyCode => match v {
            Value::Text(_) => Cow::Borrowed(v),
            other => Cow::Owned(Value::Text(other.to_text())),
        },
    }
}

fn is_iso_date(t: &str) -> bool {
    t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// True when `t` is a stored code of the enum or set field `f`.
fn is_code(f: Field, t: &str) -> bool {
    fn has<T: Coded>(t: &str) -> bool {
        T::ALL.iter().any(|v| v.code() == t)
    }
    match f {
        Field::SurveyStatus => has::<SurveyStatus>(t),
        Field::UseClass => has::<UseClass>(t),
        Field::StructureType => has::<StructureType>(t),
        Field::Round => has::<InspectionRound>(t),
        Field::PrelimHazard => has::<PrelimHazard>(t),
        Field::AppraisalStatus => has::<AppraisalStatus>(t),
        Field::AppraisalGrade => has::<AppraisalGrade>(t),
        Field::RectStatus => has::<RectStatus>(t),
        Field::Alterations => has::<AlterationKind>(t),
        Field::Measures => has::<Measure>(t),
        _ => false,
    }
}

/// Equality; on set fields "contains every code of `want`".
fn equal(name: Name, have: &Value, want: &Value) -> bool {
    if let Name::Field(f) = name
        && matches!(f.kind(), FieldKind::Set(_))
    {
        return match (have, want) {
            (Value::Text(h), Value::Text(w)) => w
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .all(|c| h.split(',').any(|x| x.trim() == c)),
            _ => false,
        };
    }
    match (have, want) {
        (Value::Int(a), Value::Int(b)) => a == b,
        (Value::Int(_) | Value::Real(_), Value::Int(_) | Value::Real(_)) => {
            as_f64(have) == as_f64(want)
        }
        (Value::Text(a), Value::Text(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        _ => None,
    }
}

fn order(have: &Value, want: &Value) -> Option<Ordering> {
    match (have, want) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Int(_) | Value::Real(_), Value::Int(_) | Value::Real(_)) => {
            as_f64(have)?.partial_cmp(&as_f64(want)?)
        }
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// SQL LIKE: `%` any run of characters, `_` exactly one, `\` makes the next character literal.
/// ASCII letters match regardless of case.
fn like_match(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Pat {
        Many,
        One,
        Lit(char),
    }
    let mut pat = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '%' => {
                if pat.last() != Some(&Pat::Many) {
                    pat.push(Pat::Many);
                }
            }
            '_' => pat.push(Pat::One),
            '\\' => pat.push(Pat::Lit(it.next().unwrap_or('\\'))),
            c => pat.push(Pat::Lit(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut p) = (0usize, 0usize);
    // After a `%`: the pattern index following it and the text index it is tried from.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(Pat::Many) => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(Pat::One) => {
                t += 1;
                p += 1;
            }
            Some(Pat::Lit(c)) if text.get(t).is_some_and(|x| x.eq_ignore_ascii_case(c)) => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((after, from)) => {
                    p = after;
                    t = from + 1;
                    star = Some((after, from + 1));
                }
                None => return false,
            },
        }
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|x| *x == Pat::Many))
}

// ---------------------------------------------------------------------------------------------
// Display (parseable text)
// ---------------------------------------------------------------------------------------------

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(items) => write_joined(f, items, " AND ", "TRUE"),
            Expr::Or(items) => write_joined(f, items, " OR ", "NOT TRUE"),
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                write_operand(f, inner)
            }
            Expr::Cmp { name, op, value } => {
                write!(f, "{} {} ", name.key(), op.symbol())?;
                write_value(f, value)
            }
            Expr::In {
                name,
                values,
                negated,
            } => {
                write!(
                    f,
                    "{} {}IN (",
                    name.key(),
                    if *negated { "NOT " } else { "" }
                )?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_value(f, v)?;
                }
                f.write_str(")")
            }
            Expr::Like { name, pattern } => {
                write!(f, "{} LIKE ", name.key())?;
                write_quoted(f, pattern)
            }
            Expr::IsNull { name, negated } => {
                write!(
                    f,
                    "{} IS {}NULL",
                    name.key(),
                    if *negated { "NOT " } else { "" }
                )
            }
            Expr::Flag(name) => f.write_str(name.key()),
            Expr::True => f.write_str("TRUE"),
        }
    }
}

fn write_joined(f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str, empty: &str) -> fmt::Result {
    if items.is_empty() {
        return f.write_str(empty);
    }
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write_operand(f, e)?;
    }
    Ok(())
}

/// Writes a member of AND / OR / NOT, bracketing AND and OR so the tree's shape survives.
fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    if matches!(e, Expr::And(_) | Expr::Or(_)) {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn write_value(f: &mut fmt::Formatter<'_>, v: &Value) -> fmt::Result {
    match v {
        Value::Null => f.write_str("NULL"),
        Value::Bool(b) => write!(f, "{b}"),
        Value::Int(i) => write!(f, "{i}"),
        Value::Real(r) => write!(f, "{r}"),
        Value::Text(t) if is_bare_safe(t) => f.write_str(t),
        Value::Text(t) => write_quoted(f, t),
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, t: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in t.chars() {
        if c == '\'' {
            f.write_str("''")?;
        } else {
            f.write_char(c)?;
        }
    }
    f.write_char('\'')
}

/// True when `t` reads back as the same single bare word.
fn is_bare_safe(t: &str) -> bool {
    let Some(first) = t.chars().next() else {
        return false;
    };
    (first.is_alphanumeric() || first == '_')
        && t.chars().all(is_word_char)
        && keyword(t).is_none()
        && !t.chars().all(|c| c == '非')
        && !t.eq_ignore_ascii_case("null")
}

// ---------------------------------------------------------------------------------------------
// Presets
// ---------------------------------------------------------------------------------------------

/// The GUI's quick filters (快捷筛选).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// 隐患房屋: `hazardous`.
    Hazardous,
    /// C/D级危房: `appraisal_grade IN (C, D)`.
    GradeCD,
    /// 经营性且≥3层: `commercial AND floors_above >= 3`.
    CommercialThreePlus,
    /// 人员密集: `crowded`.
    Crowded,
    /// 违规改扩建: `illegal_alteration`.
    IllegalAlteration,
    /// 未整改: `hazardous AND (rect_status IS NULL OR rect_status != done)`.
    NotRectified,
    /// 未排查: `survey_status = not_surveyed` (a parcel filter).
    NotSurveyed,
}

impl Preset {
    /// Every preset, in the order of the filter panel.
    pub const ALL: [Preset; 7] = [
        Preset::Hazardous,
        Preset::GradeCD,
        Preset::CommercialThreePlus,
        Preset::Crowded,
        Preset::IllegalAlteration,
        Preset::NotRectified,
        Preset::NotSurveyed,
    ];

    /// Stable code (CLI, settings).
    pub fn code(self) -> &'static str {
        match self {
            Preset::Hazardous => "hazardous",
            Preset::GradeCD => "grade_cd",
            Preset::CommercialThreePlus => "commercial_3plus",
            Preset::Crowded => "crowded",
            Preset::IllegalAlteration => "illegal_alteration",
            Preset::NotRectified => "not_rectified",
            Preset::NotSurveyed => "not_surveyed",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Preset::Hazardous => "隐患房屋",
            Preset::GradeCD => "C/D级危房",
            Preset::CommercialThreePlus => "经营性且≥3层",
            Preset::Crowded => "人员密集",
            Preset::IllegalAlteration => "违规改扩建",
            Preset::NotRectified => "未整改",
            Preset::NotSurveyed => "未排查",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Preset::Hazardous => "Hazardous houses",
            Preset::GradeCD => "Grade C/D (dangerous)",
            Preset::CommercialThreePlus => "Commercial, 3+ floors",
            Preset::Crowded => "Crowded",
            Preset::IllegalAlteration => "Illegal alteration",
            Preset::NotRectified => "Not rectified",
            Preset::NotSurveyed => "Not surveyed",
        }
    }

    /// Parses a code or a label (ASCII case-insensitive).
    pub fn parse(text: &str) -> Option<Preset> {
        let t = text.trim();
        Preset::ALL.iter().copied().find(|p| {
            p.code().eq_ignore_ascii_case(t)
                || p.label_zh() == t
                || p.label_en().eq_ignore_ascii_case(t)
        })
    }

    /// The preset's expression.
    pub fn expr(self) -> Expr {
        let text = |s: &str| Value::Text(s.to_string());
        let hazardous = Expr::Flag(Name::Derived(DerivedFlag::Hazardous));
        match self {
            Preset::Hazardous => hazardous,
            Preset::GradeCD => Expr::In {
                name: Name::Field(Field::AppraisalGrade),
                values: vec![
                    text(AppraisalGrade::C.code()),
                    text(AppraisalGrade::D.code()),
                ],
                negated: false,
            },
            Preset::CommercialThreePlus => Expr::And(vec![
                Expr::Flag(Name::Derived(DerivedFlag::Commercial)),
                Expr::Cmp {
                    name: Name::Field(Field::FloorsAbove),
                    op: CmpOp::Ge,
                    value: Value::Int(3),
                },
            ]),
            Preset::Crowded => Expr::Flag(Name::Derived(DerivedFlag::Crowded)),
            Preset::IllegalAlteration => Expr::Flag(Name::Derived(DerivedFlag::IllegalAlteration)),
            Preset::NotRectified => Expr::And(vec![
                hazardous,
                Expr::Or(vec![
                    Expr::IsNull {
                        name: Name::Field(Field::RectStatus),
                        negated: false,
                    },
                    Expr::Cmp {
                        name: Name::Field(Field::RectStatus),
                        op: CmpOp::Ne,
                        value: text(RectStatus::Done.code()),
                    },
                ]),
            ]),
            Preset::NotSurveyed => Expr::Cmp {
                name: Name::Field(Field::SurveyStatus),
                op: CmpOp::Eq,
                value: text(SurveyStatus::NotSurveyed.code()),
            },
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// The expression of a quick filter (same as [`Preset::expr`]).
pub fn preset(p: Preset) -> Expr {
    p.expr()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::admin::VillageId;
    use crate::domain::codes::CodeSet;
    use crate::domain::date::SurveyDate;
    use proptest::prelude::*;

    const VILLAGE: &str = "440306017001";

    fn p(text: &str) -> Expr {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> FilterError {
        match parse(text) {
            Ok(e) => panic!("{text} parsed as {e:?}"),
            Err(e) => e,
        }
    }

    fn field(f: Field) -> Name {
        Name::Field(f)
    }

    fn flag(d: DerivedFlag) -> Expr {
        Expr::Flag(Name::Derived(d))
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    fn parcel(status: SurveyStatus) -> Parcel {
        let mut p = Parcel::new("P001", VillageId(1));
        p.survey_status = status;
        p
    }

    /// A commercial 4-floor shop with a severe hazard, grade C, rectification pending.
    fn shop() -> Building {
        let mut b = Building::new("B001");
        b.use_class = Some(UseClass::Commercial);
        b.floors_above = Some(4);
        b.floor_area_m2 = Some(320.5);
        b.occupants = Some(25);
        b.prelim_hazard = Some(PrelimHazard::Severe);
        b.appraisal_grade = Some(AppraisalGrade::C);
        b.rect_status = Some(RectStatus::Pending);
        b.measures.insert(Measure::StopUse);
        b.measures.insert(Measure::Cordon);
        b
    }

    /// A two-floor house with nothing recorded beyond its use.
    fn house() -> Building {
        let mut b = Building::new("B002");
        b.use_class = Some(UseClass::Residential);
        b.floors_above = Some(2);
        b
    }

    fn on(b: &Building, text: &str) -> bool {
        let parcel = parcel(SurveyStatus::Surveyed);
        p(text).eval(&FilterContext::for_building(b, Some(&parcel), VILLAGE))
    }

    fn on_parcel(pc: &Parcel, text: &str) -> bool {
        p(text).eval(&FilterContext::for_parcel(pc, VILLAGE))
    }

    // ---- parsing ------------------------------------------------------------------------

    #[test]
    fn flags_and_their_chinese_names() {
        assert_eq!(p("hazardous"), flag(DerivedFlag::Hazardous));
        assert_eq!(p("HAZARDOUS"), flag(DerivedFlag::Hazardous));
        assert_eq!(p("隐患"), flag(DerivedFlag::Hazardous));
        assert_eq!(p("重点"), flag(DerivedFlag::Priority));
        assert_eq!(p("人员密集"), flag(DerivedFlag::Crowded));
        assert_eq!(p("经营性"), flag(DerivedFlag::Commercial));
        assert_eq!(p("违规改扩建"), flag(DerivedFlag::IllegalAlteration));
        assert_eq!(p("three_plus_floors"), flag(DerivedFlag::ThreePlusFloors));
        assert_eq!(p("altered"), Expr::Flag(field(Field::Altered)));
        assert_eq!(p("是否改扩建"), Expr::Flag(field(Field::Altered)));
        for d in DerivedFlag::ALL {
            assert_eq!(DerivedFlag::parse(d.key()), Some(d));
            assert_eq!(DerivedFlag::parse(d.label_zh()), Some(d));
            assert_eq!(DerivedFlag::parse(d.label_en()), Some(d));
        }
    }

    #[test]
    fn name_aliases() {
        assert_eq!(Name::parse("grade"), Some(field(Field::AppraisalGrade)));
        assert_eq!(Name::parse("status"), Some(field(Field::SurveyStatus)));
        assert_eq!(Name::parse("floors"), Some(field(Field::FloorsAbove)));
        assert_eq!(Name::parse("use"), Some(field(Field::UseClass)));
        assert_eq!(Name::parse("鉴定等级"), Some(field(Field::AppraisalGrade)));
        assert_eq!(Name::parse("Village_Code"), Some(Name::VillageCode));
        assert_eq!(Name::parse("乡镇代码"), Some(Name::TownshipCode));
        assert_eq!(Name::parse("county"), Some(Name::CountyCode));
        assert_eq!(Name::parse(""), None);
        assert_eq!(Name::parse("nonsense"), None);
        // Every name parses back from its key and its Chinese label, and keys are unique.
        let all: Vec<Name> = Name::all().collect();
        for n in &all {
            assert_eq!(Name::parse(n.key()), Some(*n), "{n}");
            assert_eq!(Name::parse(n.label_zh()), Some(*n), "{}", n.label_zh());
            assert_eq!(all.iter().filter(|m| m.key() == n.key()).count(), 1);
        }
    }

    #[test]
    fn precedence_not_and_or() {
        let (a, b, c) = (
            flag(DerivedFlag::Hazardous),
            flag(DerivedFlag::Priority),
            flag(DerivedFlag::Crowded),
        );
        let not = |e: &Expr| Expr::Not(Box::new(e.clone()));
        assert_eq!(
            p("hazardous OR priority AND NOT crowded"),
            Expr::Or(vec![a.clone(), Expr::And(vec![b.clone(), not(&c)])])
        );
        assert_eq!(
            p("NOT hazardous AND priority"),
            Expr::And(vec![not(&a), b.clone()])
        );
        assert_eq!(
            p("hazardous and priority or crowded"),
            Expr::Or(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()])
        );
        assert_eq!(
            p("(hazardous OR priority) AND crowded"),
            Expr::And(vec![Expr::Or(vec![a.clone(), b.clone()]), c.clone()])
        );
        assert_eq!(
            p("NOT (hazardous OR priority)"),
            not(&Expr::Or(vec![a.clone(), b.clone()]))
        );
        assert_eq!(p("NOT NOT hazardous"), not(&not(&a)));
        // Symbols and Chinese keywords.
        assert_eq!(
            p("hazardous || priority && !crowded"),
            p("hazardous OR priority AND NOT crowded")
        );
        assert_eq!(
            p("隐患 或 重点 且 非 人员密集"),
            p("hazardous OR priority AND NOT crowded")
        );
        assert_eq!(
            p("隐患或重点且非人员密集"),
            p("hazardous OR priority AND NOT crowded")
        );
        // 非 glued to a name.
        assert_eq!(p("非经营性"), not(&flag(DerivedFlag::Commercial)));
        assert_eq!(p("非非隐患"), not(&not(&a)));
        assert_eq!(p("非非 隐患"), not(&not(&a)));
        assert_eq!(p("非TRUE"), not(&Expr::True));
        assert_eq!(p("非NOT 隐患"), not(&not(&a)));
        assert_eq!(p("非grade in (C, D)"), not(&p("grade in (C, D)")));
        assert!(parse("非张三").is_err());
        assert_eq!(
            p("隐患且非经营性"),
            Expr::And(vec![a.clone(), not(&flag(DerivedFlag::Commercial))])
        );
        // Chains stay flat.
        assert_eq!(
            p("hazardous AND priority AND crowded"),
            Expr::And(vec![a.clone(), b.clone(), c.clone()])
        );
        assert_eq!(p("((hazardous))"), a);
    }

    #[test]
    fn comparisons_parse_to_normalised_values() {
        let surveyed = Expr::Cmp {
            name: field(Field::SurveyStatus),
            op: CmpOp::Eq,
            value: text("surveyed"),
        };
        for t in [
            "survey_status = surveyed",
            "survey_status=2",
            "survey_status = 已排查",
            "status == '已完成'",
            "排查状态=\"Surveyed\"",
        ] {
            assert_eq!(p(t), surveyed, "{t}");
        }
        assert_eq!(
            p("use_class = 经营性自建房"),
            Expr::Cmp {
                name: field(Field::UseClass),
                op: CmpOp::Eq,
                value: text("commercial")
            }
        );
        assert_eq!(p("use=commercial"), p("use_class = 经营性"));
        assert_eq!(
            p("floors >= 3"),
            Expr::Cmp {
                name: field(Field::FloorsAbove),
                op: CmpOp::Ge,
                value: Value::Int(3)
            }
        );
        assert_eq!(p("floors_above ≥ 3"), p("floors >= 3"));
        assert_eq!(p("floors_above <> 3"), p("floors_above != 3"));
        assert_eq!(p("floors_above ≠ 3"), p("floors_above != 3"));
        assert_eq!(p("floors_above ＞ 3"), p("floors_above > 3"));
        assert_eq!(
            p("floor_area_m2 < 100"),
            Expr::Cmp {
                name: field(Field::FloorAreaM2),
                op: CmpOp::Lt,
                value: Value::Real(100.0)
            }
        );
        assert_eq!(
            p("floors_above < 3.5"),
            Expr::Cmp {
                name: field(Field::FloorsAbove),
                op: CmpOp::Lt,
                value: Value::Real(3.5)
            }
        );
        // No range check for comparisons: "has floors" is a fair question.
        assert_eq!(
            p("floors_above > 0"),
            Expr::Cmp {
                name: field(Field::FloorsAbove),
                op: CmpOp::Gt,
                value: Value::Int(0)
            }
        );
        assert_eq!(
            p("surveyed_at >= 2024/5/1"),
            p("surveyed_at >= '2024-05-01'")
        );
        assert_eq!(
            p("surveyed_at >= 2024/5/1"),
            Expr::Cmp {
                name: field(Field::SurveyedAt),
                op: CmpOp::Ge,
                value: text("2024-05-01"),
            }
        );
        assert_eq!(
            p("hazardous = 是"),
            Expr::Cmp {
                name: Name::Derived(DerivedFlag::Hazardous),
                op: CmpOp::Eq,
                value: Value::Bool(true),
            }
        );
        assert_eq!(
            p("altered = no"),
            Expr::Cmp {
                name: field(Field::Altered),
                op: CmpOp::Eq,
                value: Value::Bool(false)
            }
        );
        assert_eq!(p("TRUE"), Expr::True);
        assert_eq!(
            p("true and hazardous"),
            Expr::And(vec![Expr::True, flag(DerivedFlag::Hazardous)])
        );
    }

    #[test]
    fn in_lists_with_codes_and_chinese_labels() {
        let cd = Expr::In {
            name: field(Field::AppraisalGrade),
            values: vec![text("C"), text("D")],
            negated: false,
        };
        assert_eq!(p("appraisal_grade in (C,D)"), cd);
        assert_eq!(p("grade IN (c, 'd')"), cd);
        assert_eq!(p("鉴定等级 in (C级, 整幢危房)"), cd);
        assert_eq!(p("鉴定等级 in （局部危房，D级）"), cd);
        assert_eq!(p("鉴定等级 in (C、D)"), cd);
        assert_eq!(
            p("use_class NOT IN (经营性自建房, 住宅兼经营性)"),
            Expr::In {
                name: field(Field::UseClass),
                values: vec![text("commercial"), text("mixed")],
                negated: true
            }
        );
        let (shop, house) = (shop(), house());
        assert!(on(&shop, "grade in (C, D)"));
        assert!(!on(&house, "grade in (C, D)"));
        // NOT IN is false on null, like every comparison.
        assert!(!on(&house, "grade not in (C, D)"));
        assert!(on(&house, "use_class not in (经营性自建房, 住宅兼经营性)"));
        assert!(!on(&shop, "use_class not in (经营性自建房, 住宅兼经营性)"));
    }

    #[test]
    fn division_codes_exact_prefix_and_like() {
        let pc = parcel(SurveyStatus::Surveyed);
        assert!(on_parcel(&pc, "village_code = 440306017001"));
        assert!(!on_parcel(&pc, "village_code = 440306017002"));
        assert!(on_parcel(&pc, "village_code ^= 440306017"));
        assert!(on_parcel(&pc, "village_code ^= '4403'"));
        assert!(!on_parcel(&pc, "village_code ^= 440307"));
        assert!(on_parcel(&pc, "township_code = 440306017"));
        assert!(on_parcel(&pc, "county_code = 440306"));
        assert!(on_parcel(&pc, "county_code in (440305, 440306)"));
        assert!(on_parcel(&pc, "village_code LIKE '440306%'"));
        assert!(on_parcel(&pc, "village_code LIKE 440306%"));
        assert!(on_parcel(&pc, "village_code LIKE '4403060170__'"));
        assert!(!on_parcel(&pc, "village_code LIKE '4403060170_'"));
        assert!(on_parcel(&pc, "village_code NOT LIKE '440307%'"));
        assert!(on_parcel(&pc, "township_code LIKE '%017'"));
        // Unassigned village: codes are null.
        let unassigned = FilterContext::for_parcel(&pc, "");
        assert!(p("village_code IS NULL").eval(&unassigned));
        assert!(!p("village_code ^= 44").eval(&unassigned));
        assert!(!p("county_code != 440306").eval(&unassigned));
        assert!(!p("village_code LIKE '%'").eval(&unassigned));
        // Wrong lengths are parse errors that say what is expected.
        let e = err("village_code = 440306");
        assert!(e.to_string().contains("12 digits"), "{e}");
        assert!(matches!(e.kind, FilterErrorKind::BadValue(_)));
        assert!(
            err("county_code ^= 4403060")
                .to_string()
                .contains("1–6 digits")
        );
        assert!(
            err("township_code = abc")
                .to_string()
                .contains("township_code")
        );
        assert!(matches!(
            err("village_code < 1").kind,
            FilterErrorKind::OperatorNotAllowed { .. }
        ));
    }

    #[test]
    fn evaluation_on_buildings() {
        let (shop, house) = (shop(), house());
        assert!(on(&shop, "hazardous"));
        assert!(!on(&house, "hazardous"));
        assert!(on(&house, "NOT hazardous"));
        assert!(on(
            &shop,
            "priority AND crowded AND commercial AND three_plus_floors"
        ));
        assert!(!on(
            &house,
            "priority OR crowded OR commercial OR three_plus_floors"
        ));
        assert!(on(
            &shop,
            "floors_above >= 4 AND floors_above <= 4 AND floors_above > 3 AND floors_above < 5"
        ));
        assert!(on(&shop, "floors_above = 4.0"));
        assert!(on(&shop, "floor_area_m2 > 320 AND floor_area_m2 < 320.6"));
        assert!(on(&shop, "occupants >= 10"));
        assert!(on(
            &shop,
            "use_class = 经营性自建房 AND use_class != residential"
        ));
        assert!(on(&house, "use = 住宅"));
        assert!(on(&shop, "rect_status = 待整改"));
        assert!(on(&shop, "building_code = B001"));
        assert!(on(&shop, "building_code ^= B"));
        assert!(on(&shop, "building_code LIKE 'b%'"));
        // Parcel fields are read from the building's parcel.
        assert!(on(&shop, "survey_status = surveyed"));
        assert!(on(&shop, "status = 已排查 AND parcel_code = P001"));
        let orphan = FilterContext::for_building(&shop, None, VILLAGE);
        assert!(!p("survey_status = surveyed").eval(&orphan));
        assert!(p("survey_status IS NULL").eval(&orphan));
        // Set fields: = contains, IN contains any.
        assert!(on(&shop, "measures = stop_use"));
        assert!(on(&shop, "measures = 停止使用"));
        assert!(on(&shop, "measures = '封控警示,停止使用'"));
        assert!(!on(&shop, "measures = 'stop_use,fine'"));
        assert!(on(&shop, "measures != fine"));
        assert!(on(&shop, "measures IN (fine, cordon)"));
        assert!(!on(&shop, "measures IN (fine, demolish)"));
        assert!(on(&shop, "measures LIKE '%cordon%'"));
        assert!(!on(&house, "measures = stop_use"));
        assert!(on(&house, "measures IS NULL"));
        // Dates compare as text.
        let mut done = shop.clone();
        done.rect_status = Some(RectStatus::Done);
        done.rect_done_at = SurveyDate::from_ymd(2024, 6, 1);
        assert!(on(
            &done,
            "rect_done_at >= 2024-05-01 AND rect_done_at < 2024/7/1"
        ));
        assert!(on(&done, "rect_done_at = 2024年6月1日"));
        assert!(on(&done, "rect_done_at ^= 2024-06"));
        assert!(!on(&done, "rect_done_at > 2024-06-01"));
        // Booleans.
        let mut altered = house.clone();
        altered.altered = true;
        assert!(on(&altered, "altered AND illegal_alteration"));
        assert!(on(&altered, "altered = 是 AND alteration_approved IS NULL"));
        assert!(!on(&altered, "alteration_approved"));
        assert!(!on(&altered, "alteration_approved = false"));
        altered.alteration_approved = Some(true);
        assert!(on(
            &altered,
            "alteration_approved AND NOT illegal_alteration"
        ));
    }

    #[test]
    fn parcel_evaluation_reads_no_building() {
        let pc = parcel(SurveyStatus::InProgress);
        assert!(on_parcel(&pc, "survey_status = in_progress"));
        assert!(on_parcel(&pc, "survey_status = 排查中"));
        assert!(on_parcel(&pc, "status = 1"));
        assert!(on_parcel(&pc, "survey_status IN (未排查, 排查中)"));
        assert!(!on_parcel(&pc, "survey_status = surveyed"));
        // Derived flags of a missing building are false; building fields are null.
        for d in DerivedFlag::ALL {
            assert!(!on_parcel(&pc, d.key()));
            assert!(on_parcel(&pc, &format!("NOT {}", d.key())));
            assert!(on_parcel(&pc, &format!("{} IS NOT NULL", d.key())));
        }
        assert!(on_parcel(&pc, "floors_above IS NULL"));
        assert!(!on_parcel(&pc, "floors_above < 100"));
        assert!(!on_parcel(&pc, "surveyor = 张三"));
        let mut named = pc.clone();
        named.surveyor = Some("张三".into());
        named.surveyed_at = SurveyDate::from_ymd(2024, 5, 2);
        assert!(on_parcel(
            &named,
            "surveyor = 张三 AND 排查日期 > 2024-05-01"
        ));
        assert!(on_parcel(&named, "排查人 IN ('李四', 张三)"));
    }

    #[test]
    fn null_semantics() {
        let house = house();
        // Any comparison with a null field value is false ...
        for t in [
            "rect_status = done",
            "rect_status != done",
            "rect_status IN (done, pending)",
            "rect_status NOT IN (done)",
            "rect_status LIKE '%'",
            "occupants < 10",
            "occupants >= 10",
            "built_year != 1990",
            "rect_done_at <= 2100-01-01",
        ] {
            assert!(!on(&house, t), "{t}");
        }
        // ... NOT simply negates ...
        assert!(on(&house, "NOT rect_status = done"));
        assert!(on(&house, "NOT rect_status LIKE 'x'"));
        assert!(!on(&house, "rect_status NOT LIKE 'x'"));
        assert!(on(&shop(), "rect_status NOT LIKE 'x'"));
        // ... and IS [NOT] NULL asks for nulls.
        assert!(on(&house, "rect_status IS NULL"));
        assert!(!on(&house, "rect_status IS NOT NULL"));
        assert!(on(&house, "floors_above IS NOT NULL"));
        assert_eq!(
            p("rect_status = NULL"),
            Expr::IsNull {
                name: field(Field::RectStatus),
                negated: false
            }
        );
        assert_eq!(
            p("rect_status != null"),
            Expr::IsNull {
                name: field(Field::RectStatus),
                negated: true
            }
        );
        assert_eq!(
            p("surveyor = ''"),
            Expr::IsNull {
                name: field(Field::Surveyor),
                negated: false
            }
        );
        assert_eq!(
            p("rect_status is not null"),
            Expr::IsNull {
                name: field(Field::RectStatus),
                negated: true
            }
        );
        // A quoted 'null' is text.
        assert_eq!(
            p("surveyor = 'null'"),
            Expr::Cmp {
                name: field(Field::Surveyor),
                op: CmpOp::Eq,
                value: text("null")
            }
        );
        assert!(matches!(
            err("floors_above < NULL").kind,
            FilterErrorKind::NullComparison { .. }
        ));
        assert!(matches!(
            err("grade IN (C, NULL)").kind,
            FilterErrorKind::NullInList
        ));
        assert!(matches!(
            err("surveyor LIKE NULL").kind,
            FilterErrorKind::NullComparison { .. }
        ));
    }

    // ---- presets ------------------------------------------------------------------------

    #[test]
    fn presets_match_their_definitions() {
        let expected = [
            (Preset::Hazardous, "hazardous"),
            (Preset::GradeCD, "appraisal_grade in (C,D)"),
            (
                Preset::CommercialThreePlus,
                "commercial and floors_above >= 3",
            ),
            (Preset::Crowded, "crowded"),
            (Preset::IllegalAlteration, "illegal_alteration"),
            (
                Preset::NotRectified,
                "hazardous and (rect_status is null or rect_status != done)",
            ),
            (Preset::NotSurveyed, "survey_status = not_surveyed"),
        ];
        assert_eq!(expected.len(), Preset::ALL.len());
        for (preset_, text_) in expected {
            assert_eq!(preset(preset_), p(text_), "{preset_:?}");
            assert_eq!(p(&preset(preset_).to_string()), preset(preset_));
            assert_eq!(Preset::parse(preset_.code()), Some(preset_));
            assert_eq!(Preset::parse(preset_.label_zh()), Some(preset_));
            assert_eq!(Preset::parse(preset_.label_en()), Some(preset_));
            assert_eq!(preset(preset_).normalized(), Ok(preset(preset_)));
        }
        let codes: std::collections::HashSet<_> = Preset::ALL.iter().map(|p| p.code()).collect();
        assert_eq!(codes.len(), Preset::ALL.len());
        assert_eq!(Preset::parse("bogus"), None);
        assert_eq!(Preset::NotRectified.to_string(), "未整改");
    }

    #[test]
    fn presets_select_the_right_records() {
        let eval = |pr: Preset, b: &Building| {
            let pc = parcel(SurveyStatus::Surveyed);
            preset(pr).eval(&FilterContext::for_building(b, Some(&pc), VILLAGE))
        };
        let (shop, house) = (shop(), house());
        assert!(eval(Preset::Hazardous, &shop) && !eval(Preset::Hazardous, &house));
        assert!(eval(Preset::GradeCD, &shop) && !eval(Preset::GradeCD, &house));
        assert!(
            eval(Preset::CommercialThreePlus, &shop) && !eval(Preset::CommercialThreePlus, &house)
        );
        let mut mixed2 = house.clone();
        mixed2.use_class = Some(UseClass::Mixed);
        assert!(!eval(Preset::CommercialThreePlus, &mixed2));
        mixed2.floors_above = Some(3);
        assert!(eval(Preset::CommercialThreePlus, &mixed2));
        assert!(eval(Preset::Crowded, &shop) && !eval(Preset::Crowded, &house));
        let mut crowded_use = house.clone();
        crowded_use.crowded_use = true;
        assert!(eval(Preset::Crowded, &crowded_use));
        let mut altered = house.clone();
        altered.altered = true;
        assert!(
            eval(Preset::IllegalAlteration, &altered) && !eval(Preset::IllegalAlteration, &house)
        );
        altered.alteration_approved = Some(true);
        assert!(!eval(Preset::IllegalAlteration, &altered));
        // 未整改: hazardous and not rectified, including no status at all.
        assert!(eval(Preset::NotRectified, &shop));
        let mut no_status = shop.clone();
        no_status.rect_status = None;
        assert!(eval(Preset::NotRectified, &no_status));
        let mut rectified = shop.clone();
        rectified.rect_status = Some(RectStatus::Done);
        assert!(!eval(Preset::NotRectified, &rectified));
        assert!(!eval(Preset::NotRectified, &house));
        // 未排查 is a parcel filter.
        assert!(preset(Preset::NotSurveyed).eval(&FilterContext::for_parcel(
            &parcel(SurveyStatus::NotSurveyed),
            VILLAGE
        )));
        assert!(
            !preset(Preset::NotSurveyed).eval(&FilterContext::for_parcel(
                &parcel(SurveyStatus::Surveyed),
                VILLAGE
            ))
        );
        assert!(!preset(Preset::NotSurveyed).uses_building_fields());
        assert!(preset(Preset::NotSurveyed).uses_parcel_fields());
        for pr in Preset::ALL
            .into_iter()
            .filter(|p| *p != Preset::NotSurveyed)
        {
            assert!(preset(pr).uses_building_fields(), "{pr:?}");
        }
    }

    #[test]
    fn uses_building_fields() {
        assert!(!p("").uses_building_fields());
        assert!(!p("survey_status = surveyed AND village_code ^= 4403").uses_building_fields());
        assert!(p("survey_status = surveyed AND NOT grade IN (C)").uses_building_fields());
        assert!(p("hazardous").uses_building_fields());
        assert!(p("(village_code ^= 44 OR rect_done_at IS NULL)").uses_building_fields());
        assert!(!p("county_code LIKE '44%'").uses_parcel_fields());
    }

    // ---- errors -------------------------------------------------------------------------

    #[test]
    fn empty_and_blank_filters_match_everything() {
        assert_eq!(p(""), Expr::True);
        assert_eq!(p("   \t\n　"), Expr::True);
        assert!(p("").eval(&FilterContext {
            parcel: None,
            building: None,
            village_code: ""
        }));
    }

    #[test]
    fn odd_inputs_are_errors_not_panics() {
        for t in [
            "(",
            ")",
            "()",
            "(hazardous",
            "hazardous)",
            "((hazardous)",
            "=",
            "==",
            "<",
            "AND",
            "OR",
            "NOT",
            "!",
            "且",
            "hazardous AND",
            "AND hazardous",
            "hazardous OR OR priority",
            "grade =",
            "grade = ",
            "grade IN",
            "grade IN (",
            "grade IN ()",
            "grade IN (C",
            "grade IN (C,",
            "grade IN (C,)",
            "grade IN C",
            "grade NOT",
            "grade NOT C",
            "grade IS",
            "grade IS NOT",
            "grade IS C",
            "grade LIKE",
            "'unclosed",
            "grade = 'C",
            "grade = “C",
            "&",
            "|",
            "^",
            "hazardous & priority",
            "hazardous priority",
            "grade C",
            "floors >= ",
            "floors >= abc",
            "floors >= 1e999",
            "floors >= NaN",
            "grade = E",
            "grade < C",
            "hazardous < 1",
            "hazardous = maybe",
            "surveyor",
            "village_code",
            "非",
            "非非",
            "非 非",
            "@",
            "😀",
            "x = 1",
            "隐患 = ",
            "'hazardous' IN",
            ",",
            "grade IN (C D)",
            "-",
            "-grade",
            ".",
            "\u{0}",
            "TRUE TRUE",
            "NOT (",
            "((",
        ] {
            assert!(parse(t).is_err(), "{t:?} should not parse");
        }
    }

    #[test]
    fn error_messages_and_positions() {
        // A bad enum value names the field and lists what is accepted (FieldError's message).
        let e = err("hazardous AND grade = E");
        assert_eq!(e.position, 22);
        let msg = e.to_string();
        assert!(
            msg.contains("appraisal_grade") && msg.contains("“E”"),
            "{msg}"
        );
        assert!(msg.contains("C=C级") && msg.contains("D=D级"), "{msg}");
        assert!(msg.ends_with("(at character 23)"), "{msg}");
        // Positions count characters, not bytes.
        let e = err("隐患 且 鉴定等级 = 危");
        assert_eq!(e.position, 12);
        // < on an enum.
        let e = err("grade < C");
        assert_eq!(e.position, 6);
        assert!(matches!(
            &e.kind,
            FilterErrorKind::OperatorNotAllowed {
                name: "appraisal_grade",
                op: "<",
                ..
            }
        ));
        assert!(
            e.to_string().contains(
                "< cannot be used on appraisal_grade (allowed: =, !=, IN, LIKE, IS NULL)"
            ),
            "{e}"
        );
        assert!(matches!(
            err("use_class >= commercial").kind,
            FilterErrorKind::OperatorNotAllowed { .. }
        ));
        assert!(matches!(
            err("surveyor > a").kind,
            FilterErrorKind::OperatorNotAllowed { .. }
        ));
        assert!(matches!(
            err("grade ^= C").kind,
            FilterErrorKind::OperatorNotAllowed { .. }
        ));
        assert!(matches!(
            err("hazardous LIKE 't%'").kind,
            FilterErrorKind::OperatorNotAllowed { op: "LIKE", .. }
        ));
        // Unknown name.
        let e = err("hazardus");
        assert_eq!(e.position, 0);
        let msg = e.to_string();
        assert!(
            msg.contains("unknown name “hazardus” (did you mean “hazardous”?)"),
            "{msg}"
        );
        assert!(msg.contains("village_code"), "{msg}");
        assert!(matches!(
            err("Grad = C").kind,
            FilterErrorKind::UnknownName {
                suggestion: Some("grade"),
                ..
            }
        ));
        assert!(matches!(
            err("x = 1").kind,
            FilterErrorKind::UnknownName {
                suggestion: None,
                ..
            }
        ));
        assert!(matches!(
            err("张三 = 1").kind,
            FilterErrorKind::UnknownName {
                suggestion: None,
                ..
            }
        ));
        // A name that is not yes/no alone.
        let e = err("hazardous AND grade");
        assert_eq!(e.position, 14);
        assert!(
            e.to_string()
                .contains("“appraisal_grade” is not a yes/no name"),
            "{e}"
        );
        // Numbers.
        let e = err("floors_above >= three");
        assert!(
            e.to_string()
                .contains("floors_above: “three” is not a valid value (a number)"),
            "{e}"
        );
        let e = err("hazardous = maybe");
        assert!(e.to_string().contains("是/否"), "{e}");
        // Structure.
        let e = err("(hazardous");
        assert_eq!(e.position, 10);
        assert!(matches!(e.kind, FilterErrorKind::UnexpectedEnd { .. }));
        assert!(e.to_string().contains("ends too early"), "{e}");
        let e = err("hazardous)");
        assert_eq!(e.position, 9);
        assert_eq!(e.kind, FilterErrorKind::UnmatchedClose);
        assert!(e.to_string().contains("“)” without a matching “(”"), "{e}");
        let e = err("hazardous priority");
        assert_eq!(e.position, 10);
        assert!(e.to_string().contains("found “priority”"), "{e}");
        let e = err("grade = 'C");
        assert_eq!((e.position, e.kind), (8, FilterErrorKind::UnclosedQuote));
        let e = err("hazardous & priority");
        assert!(e.to_string().contains("use AND or &&"), "{e}");
        assert_eq!(e.position, 10);
        let e = err("grade IN (C D)");
        assert!(
            e.to_string().contains("expected “,” or “)”, found “D”"),
            "{e}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let deep = format!("{}hazardous{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(err(&deep).kind, FilterErrorKind::TooDeep));
        let nots = format!("{}hazardous", "NOT ".repeat(100_000));
        assert!(matches!(err(&nots).kind, FilterErrorKind::TooDeep));
        let bangs = format!("{}hazardous", "!".repeat(100_000));
        assert!(matches!(err(&bangs).kind, FilterErrorKind::TooDeep));
        // Reasonable nesting is fine.
        let ok = format!("{}hazardous{}", "(".repeat(50), ")".repeat(50));
        assert_eq!(p(&ok), flag(DerivedFlag::Hazardous));
        // Long flat chains do not recurse.
        let long = vec!["hazardous"; 10_000].join(" OR ");
        assert!(matches!(p(&long), Expr::Or(v) if v.len() == 10_000));
    }

    // ---- quoting and Display ------------------------------------------------------------

    #[test]
    fn quoting() {
        assert_eq!(
            p("surveyor = 'O''Brien'"),
            Expr::Cmp {
                name: field(Field::Surveyor),
                op: CmpOp::Eq,
                value: text("O'Brien")
            }
        );
        assert_eq!(
            p("surveyor = \"say \"\"hi\"\"\""),
            Expr::Cmp {
                name: field(Field::Surveyor),
                op: CmpOp::Eq,
                value: text("say \"hi\""),
            }
        );
        assert_eq!(
            p("surveyor = “张 三”"),
            Expr::Cmp {
                name: field(Field::Surveyor),
                op: CmpOp::Eq,
                value: text("张 三")
            }
        );
        assert_eq!(
            p("surveyor = ‘it's’"),
            Expr::Cmp {
                name: field(Field::Surveyor),
                op: CmpOp::Eq,
                value: text("it's")
            }
        );
        // A quoted name (labels with brackets).
        assert_eq!(p("'建筑面积(㎡)' > 100"), p("floor_area_m2 > 100"));
        assert_eq!(
            p("\"Survey status\" = 0"),
            p("survey_status = not_surveyed")
        );
        // Keywords as values must be quoted.
        assert!(parse("surveyor = and").is_err());
        assert_eq!(p("surveyor = 'and'").to_string(), "surveyor = 'and'");
    }

    #[test]
    fn display_prints_parseable_text() {
        for (input, shown) in [
            ("hazardous", "hazardous"),
            ("grade in (c, d)", "appraisal_grade IN (C, D)"),
            ("use_class = 经营性", "use_class = commercial"),
            ("survey_status=2", "survey_status = surveyed"),
            ("floors>=3 && 经营性", "floors_above >= 3 AND commercial"),
            ("a_or_b", ""),
            (
                "隐患 或 重点 且 非 人员密集",
                "hazardous OR (priority AND NOT crowded)",
            ),
            ("NOT (hazardous OR priority)", "NOT (hazardous OR priority)"),
            ("village_code ^= 440306017", "village_code ^= 440306017"),
            ("village_code like '440306%'", "village_code LIKE '440306%'"),
            ("grade NOT IN (A)", "appraisal_grade NOT IN (A)"),
            ("rect_status = null", "rect_status IS NULL"),
            (
                "measures = '停止使用、维修加固'",
                "measures = 'stop_use,reinforce'",
            ),
            ("surveyor = 'O''Brien'", "surveyor = 'O''Brien'"),
            ("surveyor = 张三", "surveyor = 张三"),
            ("surveyor = '且'", "surveyor = '且'"),
            ("surveyor = '非非'", "surveyor = '非非'"),
            ("surveyor = 非洲", "surveyor = 非洲"),
            ("floor_area_m2 > 12.5", "floor_area_m2 > 12.5"),
            ("rect_done_at < 2024/6/1", "rect_done_at < 2024-06-01"),
            (
                "surveyor NOT LIKE 'x%'",
                "surveyor IS NOT NULL AND NOT surveyor LIKE 'x%'",
            ),
            ("", "TRUE"),
        ] {
            if shown.is_empty() {
                assert!(parse(input).is_err());
                continue;
            }
            let e = p(input);
            assert_eq!(e.to_string(), shown, "{input}");
            assert_eq!(p(shown), e, "{shown}");
        }
        // Nested chains of the same kind keep their shape.
        let nested = Expr::And(vec![
            flag(DerivedFlag::Hazardous),
            Expr::And(vec![
                flag(DerivedFlag::Crowded),
                flag(DerivedFlag::Priority),
            ]),
        ]);
        assert_eq!(nested.to_string(), "hazardous AND (crowded AND priority)");
        assert_eq!(p(&nested.to_string()), nested);
        // Degenerate hand-built trees still print parseable text with the same meaning.
        assert_eq!(Expr::And(vec![]).to_string(), "TRUE");
        assert_eq!(Expr::Or(vec![]).to_string(), "NOT TRUE");
        assert_eq!(p("NOT TRUE"), Expr::Not(Box::new(Expr::True)));
    }

    #[test]
    fn hand_built_trees_are_normalised_and_evaluated() {
        let shop = shop();
        let pc = parcel(SurveyStatus::Surveyed);
        let ctx = FilterContext::for_building(&shop, Some(&pc), VILLAGE);
        // Labels instead of codes still compare as codes.
        let by_label = Expr::Cmp {
            name: field(Field::UseClass),
            op: CmpOp::Eq,
            value: text("经营性自建房"),
        };
        assert!(by_label.eval(&ctx));
        assert_eq!(by_label.normalized(), Ok(p("use_class = commercial")));
        let grades = Expr::In {
            name: field(Field::AppraisalGrade),
            values: vec![text("C级"), text("整幢危房")],
            negated: false,
        };
        assert!(grades.eval(&ctx));
        assert_eq!(grades.normalized(), Ok(p("grade IN (C, D)")));
        let floors = Expr::Cmp {
            name: field(Field::FloorsAbove),
            op: CmpOp::Ge,
            value: text("3"),
        };
        assert!(floors.eval(&ctx));
        assert_eq!(floors.normalized(), Ok(p("floors_above >= 3")));
        let status_num = Expr::Cmp {
            name: field(Field::SurveyStatus),
            op: CmpOp::Eq,
            value: Value::Int(2),
        };
        assert!(status_num.eval(&ctx));
        let flag_text = Expr::Cmp {
            name: Name::Derived(DerivedFlag::Hazardous),
            op: CmpOp::Eq,
            value: text("是"),
        };
        assert!(flag_text.eval(&ctx));
        let county_num = Expr::Cmp {
            name: Name::CountyCode,
            op: CmpOp::Eq,
            value: Value::Int(440306),
        };
        assert!(county_num.eval(&ctx));
        let measures = Expr::Cmp {
            name: field(Field::Measures),
            op: CmpOp::Eq,
            value: text("停止使用"),
        };
        assert!(measures.eval(&ctx));
        let null_cmp = Expr::Cmp {
            name: field(Field::RectStatus),
            op: CmpOp::Eq,
            value: Value::Null,
        };
        assert!(!null_cmp.eval(&ctx));
        assert_eq!(
            null_cmp.normalized(),
            Ok(Expr::IsNull {
                name: field(Field::RectStatus),
                negated: false
            })
        );
        // Validation with parse's rules.
        let lt_enum = Expr::Cmp {
            name: field(Field::UseClass),
            op: CmpOp::Lt,
            value: text("commercial"),
        };
        assert!(matches!(
            lt_enum.normalized().map_err(|e| e.kind),
            Err(FilterErrorKind::OperatorNotAllowed { .. })
        ));
        let bad = Expr::Cmp {
            name: field(Field::AppraisalGrade),
            op: CmpOp::Eq,
            value: text("E"),
        };
        assert!(matches!(
            bad.normalized().map_err(|e| e.kind),
            Err(FilterErrorKind::BadValue(_))
        ));
        assert!(!bad.eval(&ctx));
        assert!(Expr::Flag(field(Field::UseClass)).normalized().is_err());
        assert!(!Expr::Flag(field(Field::UseClass)).eval(&ctx));
        assert!(
            Expr::Like {
                name: Name::Derived(DerivedFlag::Priority),
                pattern: "%".into()
            }
            .normalized()
            .is_err()
        );
        assert!(Expr::And(vec![]).eval(&ctx));
        assert!(!Expr::Or(vec![]).eval(&ctx));
    }

    #[test]
    fn like_patterns() {
        assert!(like_match("440306017001", "440306%"));
        assert!(like_match("440306017001", "%001"));
        assert!(like_match("440306017001", "%0170%"));
        assert!(like_match("440306017001", "4403_6%"));
        assert!(!like_match("440306017001", "4403_7%"));
        assert!(like_match("", "%"));
        assert!(!like_match("", "_"));
        assert!(like_match("abc", "ABC"));
        assert!(like_match("张三丰", "张_丰"));
        assert!(like_match("张三丰", "%丰"));
        assert!(!like_match("张三", "张_丰"));
        assert!(like_match("50%", "50\\%"));
        assert!(!like_match("500", "50\\%"));
        assert!(like_match("a_b", "a\\_b"));
        assert!(!like_match("axb", "a\\_b"));
        assert!(like_match("aaa", "%%a%%"));
        assert!(like_match("mississippi", "%iss%ppi"));
        assert!(!like_match("mississippi", "%iss%ppx"));
        assert!(like_match("x\\", "x\\"));
    }

    #[test]
    fn chinese_keywords_never_split_labels() {
        // 且 and 或 always stand alone in the lexer, so no name or value may contain them.
        fn check<T: Coded>() {
            for v in T::ALL {
                for s in [v.code(), v.label_zh(), v.label_en()]
                    .iter()
                    .chain(v.aliases())
                {
                    assert!(!s.contains(['且', '或']), "{s}");
                }
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
        for n in Name::all() {
            assert!(!n.label_zh().contains(['且', '或']), "{}", n.label_zh());
        }
        let _ = CodeSet::<Measure>::empty();
    }

    // ---- properties ---------------------------------------------------------------------

    fn leaf() -> impl Strategy<Value = Expr> {
        const TEXTS: &[&str] = &[
            "hazardous",
            "priority",
            "crowded",
            "three_plus_floors",
            "illegal_alteration",
            "commercial",
            "altered",
            "lookback_done",
            "grade IN (C, D)",
            "grade NOT IN (A)",
            "use_class = 经营性",
            "use_class != residential",
            "survey_status = 已排查",
            "rect_status IS NULL",
            "rect_status IS NOT NULL",
            "rect_status != done",
            "measures = '停止使用,罚款'",
            "measures IN (cordon, fine)",
            "village_code ^= 440306",
            "village_code = 440306017001",
            "township_code IN (440306017, 440306018)",
            "county_code LIKE '4403%'",
            "surveyed_at >= 2024-05-01",
            "rect_done_at ^= 2024",
            "hazardous = false",
            "TRUE",
            "floor_area_m2 > 99.5",
        ];
        let ops = proptest::sample::select(vec![
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ]);
        prop_oneof![
            proptest::sample::select(TEXTS).prop_map(p),
            (-5i64..300, ops.clone()).prop_map(|(n, op)| Expr::Cmp {
                name: field(Field::FloorsAbove),
                op,
                value: Value::Int(n)
            }),
            (0.0f64..1.0e7, ops).prop_map(|(r, op)| Expr::Cmp {
                name: field(Field::FloorAreaM2),
                op,
                value: Value::Real(r)
            }),
            "[a-zA-Z0-9_'\"“”()，、 且或非%\\\\-]{1,10}"
                .prop_filter("non-blank", |s| !s.trim().is_empty())
                .prop_map(|s| Expr::Cmp {
                    name: field(Field::Surveyor),
                    op: CmpOp::Eq,
                    value: Value::Text(s.trim().to_string())
                }),
            "[a-z0-9_%'\\\\ ]{0,8}".prop_map(|s| Expr::Like {
                name: field(Field::ParcelCode),
                pattern: s
            }),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(4, 40, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..5).prop_map(Expr::And),
                proptest::collection::vec(inner.clone(), 2..5).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
    }

    fn token_soup() -> impl Strategy<Value = String> {
        const TOKENS: &[&str] = &[
            "hazardous",
            "priority",
            "crowded",
            "altered",
            "grade",
            "appraisal_grade",
            "status",
            "floors",
            "use",
            "village_code",
            "township_code",
            "rect_status",
            "measures",
            "surveyed_at",
            "surveyor",
            "隐患",
            "经营性",
            "非经营性",
            "=",
            "!=",
            "<",
            ">=",
            "^=",
            "IN",
            "NOT",
            "AND",
            "OR",
            "LIKE",
            "IS",
            "NULL",
            "(",
            ")",
            ",",
            "C",
            "D",
            "3",
            "2",
            "-1",
            "2.5",
            "已排查",
            "经营性自建房",
            "440306",
            "440306017",
            "440306017001",
            "'4403%'",
            "done",
            "stop_use",
            "2024-05-01",
            "且",
            "或",
            "非",
            "TRUE",
            "'x''y'",
            "“张三”",
            "&&",
            "||",
            "!",
        ];
        proptest::collection::vec(proptest::sample::select(TOKENS), 1..14).prop_map(|v| v.join(" "))
    }

    fn sample_contexts() -> Vec<Sample> {
        let mut done = shop();
        done.rect_status = Some(RectStatus::Done);
        vec![
            (Some(parcel(SurveyStatus::Surveyed)), Some(shop()), VILLAGE),
            (
                Some(parcel(SurveyStatus::NotSurveyed)),
                Some(house()),
                "440306018002",
            ),
            (None, Some(done), ""),
            (Some(parcel(SurveyStatus::InProgress)), None, VILLAGE),
        ]
    }

    /// Valid filter texts written in the many accepted spellings.
    fn surface_text() -> impl Strategy<Value = String> {
        const LEAVES: &[&str] = &[
            "hazardous",
            "隐患",
            "重点",
            "非经营性",
            "altered",
            "grade in (C,D)",
            "鉴定等级 IN （局部危房，D级）",
            "grade NOT IN ('A', b)",
            "use=经营性",
            "use_class <> residential",
            "status = 2",
            "排查状态 == “已排查”",
            "floors>=3",
            "floors_above ≥ 3",
            "floor_area_m2 < 99.5",
            "rect_status is null",
            "rect_status IS NOT NULL",
            "rect_status = NULL",
            "rect_status != done",
            "measures = '停止使用、罚款'",
            "village_code ^= 440306017",
            "county_code = 440306",
            "village_code like '440306%'",
            "surveyor NOT LIKE '张%'",
            "surveyed_at >= 2024/5/1",
            "surveyor = 'O''Brien'",
            "hazardous = 否",
            "TRUE",
        ];
        const AND: &[&str] = &[" AND ", " and ", " && ", "且", " 且 "];
        const OR: &[&str] = &[" OR ", " or ", " || ", "或", " 或 "];
        const NOT: &[&str] = &["NOT ", "not ", "!", "非 ", "非"];
        proptest::sample::select(LEAVES)
            .prop_map(str::to_string)
            .prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    (inner.clone(), proptest::sample::select(AND), inner.clone())
                        .prop_map(|(a, op, b)| format!("{a}{op}{b}")),
                    (inner.clone(), proptest::sample::select(OR), inner.clone())
                        .prop_map(|(a, op, b)| format!("{a}{op}{b}")),
                    (proptest::sample::select(NOT), inner.clone())
                        .prop_map(|(op, e)| format!("{op}({e})")),
                    (proptest::sample::select(NOT), inner.clone())
                        .prop_map(|(op, e)| format!("{op}{e}")),
                    inner.prop_map(|e| format!("（{e}）")),
                ]
            })
    }

    type Sample = (Option<Parcel>, Option<Building>, &'static str);

    fn context_of(sample: &Sample) -> FilterContext<'_> {
        FilterContext {
            parcel: sample.0.as_ref(),
            building: sample.1.as_ref(),
            village_code: sample.2,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn display_round_trips(e in expr()) {
            let shown = e.to_string();
            prop_assert_eq!(parse(&shown), Ok(e.clone()), "{}", shown);
            prop_assert_eq!(e.normalized(), Ok(e));
        }

        #[test]
        fn parsed_text_round_trips_and_evaluates(s in token_soup()) {
            if let Ok(e) = parse(&s) {
                let shown = e.to_string();
                prop_assert_eq!(parse(&shown), Ok(e.clone()), "{} -> {}", s, shown);
                for sample in &sample_contexts() {
                    let _ = e.eval(&context_of(sample));
                }
            }
        }

        #[test]
        fn every_accepted_spelling_parses_and_round_trips(s in surface_text()) {
            let e = parse(&s);
            prop_assert!(e.is_ok(), "{} -> {:?}", s, e);
            let e = e.unwrap();
            prop_assert_eq!(parse(&e.to_string()), Ok(e.clone()), "{} -> {}", s, e);
            for sample in &sample_contexts() {
                let ctx = context_of(sample);
                prop_assert_eq!(Expr::Not(Box::new(e.clone())).eval(&ctx), !e.eval(&ctx));
            }
        }

        #[test]
        fn any_text_parses_or_fails_cleanly(s in "\\PC{0,40}") {
            if let Ok(e) = parse(&s) {
                prop_assert_eq!(parse(&e.to_string()), Ok(e));
            }
        }

        #[test]
        fn any_bytes_as_text_never_panic(s in any::<String>()) {
            let _ = parse(&s);
        }

        #[test]
        fn not_is_the_negation(e in expr()) {
            let negated = Expr::Not(Box::new(e.clone()));
            for sample in &sample_contexts() {
                let ctx = context_of(sample);
                prop_assert_eq!(negated.eval(&ctx), !e.eval(&ctx));
            }
        }
    }
}
