//! The filter panel (筛选): quick filters for planners (隐患房屋, C/D级危房 …), a condition builder
//! whose rows become an [`Expr`] tree, the expression as editable text (parsed with
//! [`filter::parse`], errors shown with their position), the live result count and a virtualized,
//! sortable result table. Clicking a row selects the record and zooms to it. The panel never
//! changes the session: it pushes [`Command`]s.

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::app::export::ExportLayer;
use crate::app::session::{Command, Session};
use crate::domain::codes::Lang;
use crate::domain::edit::Target;
use crate::domain::fields::{Field, FieldKind, Layer, Value};
use crate::domain::filter::{self, CmpOp, DerivedFlag, Expr, FilterError, Name, Preset};
use crate::ui::i18n::tr;

/// Red used for errors.
const ERROR_RED: Color32 = Color32::from_rgb(190, 30, 30);

/// How the builder's rows are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Join {
    /// All rows hold (且 AND).
    #[default]
    And,
    /// Any row holds (或 OR).
    Or,
}

/// The operator of a builder row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOp {
    /// A comparison (`=`, `!=`, `<` … `^=`).
    Cmp(CmpOp),
    /// `IN (…)`.
    In,
    /// `NOT IN (…)`.
    NotIn,
    /// `LIKE pattern`.
    Like,
    /// `IS NULL`.
    IsNull,
    /// `IS NOT NULL`.
    NotNull,
}

impl RowOp {
    /// The operators a name accepts, in menu order.
    pub fn available(name: Name) -> Vec<RowOp> {
        let mut ops: Vec<RowOp> = CmpOp::ALL
            .iter()
            .copied()
            .filter(|op| name.supports(*op))
            .map(RowOp::Cmp)
            .collect();
        if !name.is_flag() {
            ops.push(RowOp::In);
            ops.push(RowOp::NotIn);
        }
        if name.supports_like() {
            ops.push(RowOp::Like);
        }
        if !matches!(name, Name::Derived(_)) {
            ops.push(RowOp::IsNull);
            ops.push(RowOp::NotNull);
        }
        ops
    }

    /// The label shown in the operator menu.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RowOp::Cmp(CmpOp::Eq) => "=",
            RowOp::Cmp(CmpOp::Ne) => "≠",
            RowOp::Cmp(CmpOp::Lt) => "<",
            RowOp::Cmp(CmpOp::Le) => "≤",
            RowOp::Cmp(CmpOp::Gt) => ">",
            RowOp::Cmp(CmpOp::Ge) => "≥",
            RowOp::Cmp(CmpOp::StartsWith) => tr(lang, "开头为", "starts with"),
            RowOp::In => tr(lang, "属于", "in"),
            RowOp::NotIn => tr(lang, "不属于", "not in"),
            RowOp::Like => tr(lang, "匹配", "like"),
            RowOp::IsNull => tr(lang, "为空", "is empty"),
            RowOp::NotNull => tr(lang, "不为空", "is not empty"),
        }
    }
}

/// One condition of the builder: name, operator and value.
#[derive(Debug, Clone, PartialEq)]
pub struct BuilderRow {
    /// What is tested.
    pub name: Name,
    /// The operator.
    pub op: RowOp,
    /// Typed value (text fields), or the chosen code (single-choice enum fields).
    pub text: String,
    /// The value of a yes/no name.
    pub flag: bool,
    /// Chosen codes (IN lists and set fields).
    pub codes: Vec<String>,
}

impl Default for BuilderRow {
    fn default() -> Self {
        BuilderRow {
            name: Name::Derived(DerivedFlag::Hazardous),
            op: RowOp::Cmp(CmpOp::Eq),
            text: String::new(),
            flag: true,
            codes: Vec::new(),
        }
    }
}

/// Coded options of a field: (code, Chinese label, English label).
type Options = Vec<(&'static str, &'static str, &'static str)>;

/// The value widget a row needs.
enum ValueKind {
    /// No value (IS NULL).
    None,
    /// A yes/no checkbox.
    Flag,
    /// One of the enum options.
    Single(Options),
    /// Several of the options.
    Multi(Options),
    /// Free text.
    Text,
}

/// The coded options of a name: (options, is a set field).
fn options_of(name: Name) -> Option<(Options, bool)> {
    match name {
        Name::Field(f) => match f.kind() {
            FieldKind::Enum(opts) => Some((opts(), false)),
            FieldKind::Set(opts) => Some((opts(), true)),
            _ => None,
        },
        _ => None,
    }
}

fn value_kind(name: Name, op: RowOp) -> ValueKind {
    match op {
        RowOp::IsNull | RowOp::NotNull => ValueKind::None,
        _ if name.is_flag() => ValueKind::Flag,
        RowOp::In | RowOp::NotIn => match options_of(name) {
            Some((opts, _)) => ValueKind::Multi(opts),
            None => ValueKind::Text,
        },
        RowOp::Cmp(_) => match options_of(name) {
            Some((opts, false)) => ValueKind::Single(opts),
            Some((opts, true)) => ValueKind::Multi(opts),
            None => ValueKind::Text,
        },
        RowOp::Like => ValueKind::Text,
    }
}

fn name_label(name: Name, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => name.label_zh(),
        Lang::En => name.label_en(),
    }
}

fn option_label(opt: &(&'static str, &'static str, &'static str), lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => opt.1,
        Lang::En => opt.2,
    }
}

/// Splits a typed list on commas (ASCII, full-width and 、).
fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl BuilderRow {
    /// The row as an expression (not yet normalised); an error says what is missing.
    pub fn to_expr(&self, lang: Lang) -> Result<Expr, String> {
        let name = self.name;
        let missing = || {
            format!(
                "{}: {}",
                name_label(name, lang),
                tr(lang, "请填写或选择值", "enter or choose a value")
            )
        };
        match value_kind(name, self.op) {
            ValueKind::None => Ok(Expr::IsNull {
                name,
                negated: self.op == RowOp::NotNull,
            }),
            ValueKind::Flag => match self.op {
                RowOp::Cmp(CmpOp::Eq) if self.flag => Ok(Expr::Flag(name)),
                RowOp::Cmp(op) => Ok(Expr::Cmp {
                    name,
                    op,
                    value: Value::Bool(self.flag),
                }),
                _ => Err(missing()),
            },
            ValueKind::Single(_) => {
                let code = self.text.trim();
                match self.op {
                    RowOp::Cmp(op) if !code.is_empty() => Ok(Expr::Cmp {
                        name,
                        op,
                        value: Value::Text(code.to_string()),
                    }),
                    _ => Err(missing()),
                }
            }
            ValueKind::Multi(_) => {
                if self.codes.is_empty() {
                    return Err(missing());
                }
                match self.op {
                    RowOp::In | RowOp::NotIn => Ok(Expr::In {
                        name,
                        values: self.codes.iter().cloned().map(Value::Text).collect(),
                        negated: self.op == RowOp::NotIn,
                    }),
                    RowOp::Cmp(op) => Ok(Expr::Cmp {
                        name,
                        op,
                        value: Value::Text(self.codes.join(",")),
                    }),
                    _ => Err(missing()),
                }
            }
            ValueKind::Text => {
                let t = self.text.trim();
                if t.is_empty() {
                    return Err(missing());
                }
                match self.op {
                    RowOp::In | RowOp::NotIn => {
                        let values = split_list(t);
                        if values.is_empty() {
                            return Err(missing());
                        }
                        Ok(Expr::In {
                            name,
                            values: values.into_iter().map(Value::Text).collect(),
                            negated: self.op == RowOp::NotIn,
                        })
                    }
                    RowOp::Like => Ok(Expr::Like {
                        name,
                        pattern: t.to_string(),
                    }),
                    RowOp::Cmp(op) => Ok(Expr::Cmp {
                        name,
                        op,
                        value: Value::Text(t.to_string()),
                    }),
                    RowOp::IsNull | RowOp::NotNull => Err(missing()),
                }
            }
        }
    }

    /// A row showing a simple condition, or `None` when the condition does not fit one row.
    pub fn from_expr(e: &Expr) -> Option<BuilderRow> {
        let row = |name: Name, op: RowOp| BuilderRow {
            name,
            op,
            text: String::new(),
            flag: true,
            codes: Vec::new(),
        };
        let out = match e {
            Expr::Flag(name) if name.is_flag() => row(*name, RowOp::Cmp(CmpOp::Eq)),
            Expr::Not(inner) => match inner.as_ref() {
                Expr::Flag(name @ Name::Derived(_)) => BuilderRow {
                    flag: false,
                    ..row(*name, RowOp::Cmp(CmpOp::Eq))
                },
                _ => return None,
            },
            Expr::Cmp { name, op, value } => {
                let mut r = row(*name, RowOp::Cmp(*op));
                if name.is_flag() {
                    match value {
                        Value::Bool(b) => r.flag = *b,
                        _ => return None,
                    }
                } else {
                    let text = value_text(value)?;
                    match options_of(*name) {
                        Some((_, true)) => r.codes = split_list(&text),
                        _ => r.text = text,
                    }
                }
                r
            }
            Expr::In {
                name,
                values,
                negated,
            } => {
                let mut r = row(*name, if *negated { RowOp::NotIn } else { RowOp::In });
                let texts = values.iter().map(value_text).collect::<Option<Vec<_>>>()?;
                if options_of(*name).is_some() {
                    r.codes = texts;
                } else {
                    if texts.iter().any(|t| t.contains([',', '，', '、'])) {
                        return None;
                    }
                    r.text = texts.join(", ");
                }
                r
            }
            Expr::Like { name, pattern } => {
                let mut r = row(*name, RowOp::Like);
                r.text = pattern.clone();
                r
            }
            Expr::IsNull { name, negated } => row(
                *name,
                if *negated {
                    RowOp::NotNull
                } else {
                    RowOp::IsNull
                },
            ),
            _ => return None,
        };
        RowOp::available(out.name).contains(&out.op).then_some(out)
    }
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        Value::Bool(_) | Value::Null => None,
    }
}

/// Rows and join showing an expression, or `None` when it is too complex for the builder
/// (nested AND/OR, NOT of a condition …). `True` gives no rows.
pub fn rows_from_expr(e: &Expr) -> Option<(Vec<BuilderRow>, Option<Join>)> {
    match e {
        Expr::True => Some((Vec::new(), None)),
        Expr::And(items) => items
            .iter()
            .map(BuilderRow::from_expr)
            .collect::<Option<Vec<_>>>()
            .map(|rows| (rows, Some(Join::And))),
        Expr::Or(items) if !items.is_empty() => items
            .iter()
            .map(BuilderRow::from_expr)
            .collect::<Option<Vec<_>>>()
            .map(|rows| (rows, Some(Join::Or))),
        other => BuilderRow::from_expr(other).map(|r| (vec![r], None)),
    }
}

/// The builder's expression, normalised: `Ok(None)` when there is no row.
pub fn build_expr(rows: &[BuilderRow], join: Join, lang: Lang) -> Result<Option<Expr>, String> {
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(r.to_expr(lang)?);
    }
    let expr = match items.len() {
        0 => return Ok(None),
        1 => items.pop().unwrap_or(Expr::True),
        _ => match join {
            Join::And => Expr::And(items),
            Join::Or => Expr::Or(items),
        },
    };
    expr.normalized().map(Some).map_err(|e| e.kind.to_string())
}

/// The layer an expression selects from by default: houses when it reads building data,
/// else parcels.
pub fn layer_for(expr: &Expr) -> ExportLayer {
    if expr.uses_building_fields() {
        ExportLayer::Buildings
    } else {
        ExportLayer::Parcels
    }
}

fn layer_label(layer: ExportLayer, lang: Lang) -> &'static str {
    match layer {
        ExportLayer::Parcels => tr(lang, "图斑", "parcels"),
        ExportLayer::Buildings => tr(lang, "自建房", "houses"),
    }
}

// ---------------------------------------------------------------------------------------------
// Result table
// ---------------------------------------------------------------------------------------------

/// A column of the result table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    /// 图斑编码 / 房屋编码.
    Code,
    /// 村/社区.
    Village,
    /// A registry field.
    Field(Field),
    /// Number of houses of a parcel.
    Houses,
}

const HOUSE_COLS: [(Col, &str, &str, f32); 7] = [
    (Col::Code, "房屋编码", "House code", 110.0),
    (Col::Village, "村/社区", "Village", 90.0),
    (Col::Field(Field::UseClass), "用途", "Use", 80.0),
    (Col::Field(Field::FloorsAbove), "层数", "Floors", 44.0),
    (Col::Field(Field::AppraisalGrade), "鉴定等级", "Grade", 60.0),
    (Col::Field(Field::PrelimHazard), "隐患初判", "Hazard", 90.0),
    (
        Col::Field(Field::RectStatus),
        "整治状态",
        "Rectification",
        64.0,
    ),
];

const PARCEL_COLS: [(Col, &str, &str, f32); 5] = [
    (Col::Code, "图斑编码", "Parcel code", 120.0),
    (Col::Village, "村/社区", "Village", 90.0),
    (Col::Field(Field::SurveyStatus), "排查状态", "Status", 64.0),
    (Col::Field(Field::Surveyor), "排查人", "Surveyor", 64.0),
    (Col::Houses, "房屋数", "Houses", 50.0),
];

fn columns(layer: ExportLayer) -> &'static [(Col, &'static str, &'static str, f32)] {
    match layer {
        ExportLayer::Parcels => &PARCEL_COLS,
        ExportLayer::Buildings => &HOUSE_COLS,
    }
}

/// A sort key; `None` (empty) always sorts last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Int(i64),
    Text(String),
}

fn village_text(session: &Session, v: crate::domain::admin::VillageId) -> String {
    let s = &session.project.data().survey;
    match s.villages.get(v.index()) {
        Some(v) if !v.name.is_empty() && !v.code.is_empty() => v.name.clone(),
        Some(v) if !v.code.is_empty() => v.code.clone(),
        Some(v) => v.name.clone(),
        None => String::new(),
    }
}

fn field_value(session: &Session, layer: ExportLayer, field: Field, i: u32) -> Value {
    let s = &session.project.data().survey;
    match (layer, field.layer()) {
        (ExportLayer::Parcels, Layer::Parcel) => s
            .parcels
            .get(i as usize)
            .map_or(Value::Null, |p| field.get_parcel(p)),
        (ExportLayer::Buildings, Layer::Building) => s
            .buildings
            .get(i as usize)
            .map_or(Value::Null, |b| field.get_building(b)),
        (ExportLayer::Buildings, Layer::Parcel) => s
            .buildings
            .get(i as usize)
            .and_then(|b| b.parcel)
            .and_then(|p| s.parcels.get(p as usize))
            .map_or(Value::Null, |p| field.get_parcel(p)),
        (ExportLayer::Parcels, Layer::Building) => Value::Null,
    }
}

fn cell_text(session: &Session, layer: ExportLayer, col: Col, i: u32, lang: Lang) -> String {
    let s = &session.project.data().survey;
    match col {
        Col::Code => match layer {
            ExportLayer::Parcels => s.parcels.get(i as usize).map(|p| p.code.clone()),
            ExportLayer::Buildings => s.buildings.get(i as usize).map(|b| b.code.clone()),
        }
        .unwrap_or_default(),
        Col::Village => match layer {
            ExportLayer::Parcels => s.parcels.get(i as usize).map(|p| p.village),
            ExportLayer::Buildings => s.buildings.get(i as usize).map(|b| b.village),
        }
        .map(|v| village_text(session, v))
        .unwrap_or_default(),
        Col::Field(f) => f.display_value(&field_value(session, layer, f, i), lang),
        Col::Houses => match layer {
            ExportLayer::Parcels => s.houses_of(i).len().to_string(),
            ExportLayer::Buildings => String::new(),
        },
    }
}

fn sort_key(session: &Session, layer: ExportLayer, col: Col, i: u32) -> Option<Key> {
    match col {
        Col::Field(f) => {
            let v = field_value(session, layer, f, i);
            match (f.kind(), v) {
                (_, Value::Null) => None,
                (FieldKind::Enum(opts), Value::Text(code)) => Some(
                    opts()
                        .iter()
                        .position(|(c, _, _)| *c == code)
                        .map_or(Key::Text(code), |p| Key::Int(p as i64)),
                ),
                (_, Value::Int(n)) => Some(Key::Int(n)),
                (_, Value::Real(r)) => Some(Key::Int((r * 1000.0).round() as i64)),
                (_, Value::Bool(b)) => Some(Key::Int(i64::from(b))),
                (_, Value::Text(t)) => Some(Key::Text(t)),
            }
        }
        Col::Houses => Some(Key::Int(
            session.project.data().survey.houses_of(i).len() as i64
        )),
        Col::Code | Col::Village => {
            let t = cell_text(session, layer, col, i, Lang::Zh);
            (!t.is_empty()).then_some(Key::Text(t))
        }
    }
}

/// The sorted result order, cached until the data, the result or the sort changes.
#[derive(Debug)]
struct OrderCache {
    revision: u64,
    len: usize,
    layer: ExportLayer,
    filter: Option<Expr>,
    path: std::path::PathBuf,
    sort: (usize, bool),
    order: Vec<u32>,
}

/// Sorts result indices by a column; empty values last in both directions, ties by index.
fn sorted_order(
    session: &Session,
    layer: ExportLayer,
    col: Col,
    ascending: bool,
    results: &[u32],
) -> Vec<u32> {
    let mut keyed: Vec<(Option<Key>, u32)> = results
        .iter()
        .map(|&i| (sort_key(session, layer, col, i), i))
        .collect();
    keyed.sort_by(|(ka, ia), (kb, ib)| {
        let by_key = match (ka, kb) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => {
                if ascending {
                    a.cmp(b)
                } else {
                    b.cmp(a)
                }
            }
        };
        by_key.then(ia.cmp(ib))
    });
    keyed.into_iter().map(|(_, i)| i).collect()
}

// ---------------------------------------------------------------------------------------------
// State and UI
// ---------------------------------------------------------------------------------------------

/// Which layer a filter selects from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerChoice {
    /// Houses when the expression reads building data, else parcels.
    #[default]
    Auto,
    /// Always parcels.
    Parcels,
    /// Always houses.
    Buildings,
}

/// Persistent state of the filter panel.
#[derive(Debug, Default)]
pub struct FilterPanelState {
    /// Builder rows.
    pub rows: Vec<BuilderRow>,
    /// How the rows are joined.
    pub join: Join,
    /// The expression text (editable).
    pub text: String,
    /// The layer the filter selects from.
    pub layer_choice: LayerChoice,
    /// The last parse error of the text, with the text it belongs to.
    text_error: Option<(FilterError, String)>,
    /// What is wrong with the builder rows.
    builder_error: Option<String>,
    /// The expression is too complex for builder rows.
    complex: bool,
    /// The session filter last shown (to follow changes made elsewhere).
    synced: Option<(Option<Expr>, ExportLayer)>,
    /// Sort column (index into the layer's columns) and direction (true = ascending).
    sort: Option<(ExportLayer, usize, bool)>,
    cache: Option<OrderCache>,
}

impl FilterPanelState {
    /// Shows an expression in the builder and the text box.
    pub fn load_expr(&mut self, expr: Option<&Expr>) {
        self.text = expr.map(Expr::to_string).unwrap_or_default();
        self.text_error = None;
        self.builder_error = None;
        self.load_rows(expr);
    }

    fn load_rows(&mut self, expr: Option<&Expr>) {
        match expr.map_or(Some((Vec::new(), None)), rows_from_expr) {
            Some((rows, join)) => {
                self.rows = rows;
                if let Some(j) = join {
                    self.join = j;
                }
                self.complex = false;
            }
            None => {
                self.rows.clear();
                self.complex = true;
            }
        }
    }

    /// The layer for an expression, following the layer choice.
    pub fn layer_of(&self, expr: &Expr) -> ExportLayer {
        match self.layer_choice {
            LayerChoice::Auto => layer_for(expr),
            LayerChoice::Parcels => ExportLayer::Parcels,
            LayerChoice::Buildings => ExportLayer::Buildings,
        }
    }

    /// Parses the text and, when it is valid, returns the command that applies it (an empty text
    /// clears the filter). A parse error is kept for display.
    pub fn apply_text(&mut self, session: &Session) -> Option<Command> {
        if self.text.trim().is_empty() {
            self.text_error = None;
            return Some(Command::SetFilter {
                expr: None,
                layer: session.filter_layer,
            });
        }
        match filter::parse(&self.text) {
            Ok(expr) => {
                self.text_error = None;
                let layer = self.layer_of(&expr);
                Some(Command::SetFilter {
                    expr: Some(expr),
                    layer,
                })
            }
            Err(e) => {
                self.text_error = Some((e, self.text.clone()));
                None
            }
        }
    }

    /// Brings the cached sort order up to date (sorting only when the data, the result, the
    /// project or the sort changed) and returns the sort in effect for the current layer.
    fn refresh_order(&mut self, session: &Session) -> Option<(usize, bool)> {
        let layer = session.filter_layer;
        let (sort_layer, col, asc) = self.sort?;
        let &(column, ..) = columns(layer).get(col)?;
        if sort_layer != layer {
            return None;
        }
        let path = session.project.file().path();
        let fresh = self.cache.as_ref().is_some_and(|c| {
            c.revision == session.revision
                && c.len == session.filter_results.len()
                && c.layer == layer
                && c.sort == (col, asc)
                && c.filter == session.filter
                && c.path == path
        });
        if !fresh {
            self.cache = Some(OrderCache {
                revision: session.revision,
                len: session.filter_results.len(),
                layer,
                filter: session.filter.clone(),
                path: path.to_path_buf(),
                sort: (col, asc),
                order: sorted_order(session, layer, column, asc, &session.filter_results),
            });
        }
        Some((col, asc))
    }
}

/// Shows the filter panel.
pub fn filter_panel_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut FilterPanelState,
    lang: Lang,
    commands: &mut Vec<Command>,
) -> Option<FilterAction> {
    // Follow the session's filter when it changed (here or elsewhere).
    let current = (session.filter.clone(), session.filter_layer);
    if state.synced.as_ref() != Some(&current) {
        if state.synced.is_some() || session.filter.is_some() {
            state.load_expr(session.filter.as_ref());
        }
        state.synced = Some(current);
    }

    presets_ui(ui, session, state, lang, commands);
    ui.separator();
    builder_ui(ui, state, lang);
    expression_ui(ui, session, state, lang, commands);
    ui.separator();
    results_ui(ui, session, state, lang, commands)
}

fn presets_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut FilterPanelState,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    ui.label(RichText::new(tr(lang, "快捷筛选", "Quick filters")).strong());
    ui.horizontal_wrapped(|ui| {
        for p in Preset::ALL {
            let expr = p.expr();
            let active = session.filter.as_ref() == Some(&expr);
            let label = tr(lang, p.label_zh(), p.label_en());
            if ui
                .add(egui::Button::selectable(active, label))
                .on_hover_text(expr.to_string())
                .clicked()
            {
                state.layer_choice = LayerChoice::Auto;
                state.load_expr(Some(&expr));
                commands.push(Command::SetFilter {
                    layer: layer_for(&expr),
                    expr: Some(expr),
                });
            }
        }
    });
}

fn name_combo_ui(ui: &mut egui::Ui, idx: usize, row: &mut BuilderRow, lang: Lang) {
    let group = |n: Name| match n {
        Name::Field(f) if f.layer() == Layer::Parcel => tr(lang, "图斑字段", "Parcel fields"),
        Name::Field(_) => tr(lang, "房屋字段", "House fields"),
        Name::Derived(_) => tr(lang, "派生标志", "Derived flags"),
        _ => tr(lang, "区划代码", "Division codes"),
    };
    let before = row.name;
    egui::ComboBox::from_id_salt(("filter_row_name", idx))
        .selected_text(name_label(row.name, lang))
        .width(112.0)
        .height(420.0)
        .show_ui(ui, |ui| {
            let mut last_group = "";
            for n in Name::all() {
                let g = group(n);
                if g != last_group {
                    ui.label(RichText::new(g).weak().small());
                    last_group = g;
                }
                ui.selectable_value(&mut row.name, n, name_label(n, lang));
            }
        })
        .response
        .on_hover_text(tr(lang, "条件字段", "Condition field"));
    if row.name != before {
        let ops = RowOp::available(row.name);
        if !ops.contains(&row.op) {
            row.op = RowOp::Cmp(CmpOp::Eq);
        }
        row.text.clear();
        row.codes.clear();
        row.flag = true;
    }
}

fn op_combo_ui(ui: &mut egui::Ui, idx: usize, row: &mut BuilderRow, lang: Lang) {
    let before = row.op;
    egui::ComboBox::from_id_salt(("filter_row_op", idx))
        .selected_text(row.op.label(lang))
        .width(64.0)
        .show_ui(ui, |ui| {
            for op in RowOp::available(row.name) {
                ui.selectable_value(&mut row.op, op, op.label(lang));
            }
        })
        .response
        .on_hover_text(tr(lang, "运算符", "Operator"));
    if row.op != before {
        // Switching between one value and a list keeps what fits.
        let was_multi = matches!(value_kind(row.name, before), ValueKind::Multi(_));
        let is_multi = matches!(value_kind(row.name, row.op), ValueKind::Multi(_));
        if !was_multi && is_multi && !row.text.trim().is_empty() && row.codes.is_empty() {
            row.codes = vec![row.text.trim().to_string()];
        } else if was_multi && !is_multi && row.text.is_empty() {
            row.text = row.codes.first().cloned().unwrap_or_default();
        }
    }
}

fn value_ui(ui: &mut egui::Ui, idx: usize, row: &mut BuilderRow, lang: Lang) {
    match value_kind(row.name, row.op) {
        ValueKind::None => {}
        ValueKind::Flag => {
            ui.checkbox(&mut row.flag, tr(lang, "是", "yes"));
        }
        ValueKind::Single(opts) => {
            let shown = opts
                .iter()
                .find(|o| o.0 == row.text.trim())
                .map_or(tr(lang, "请选择", "choose…"), |o| {
                    option_label(o, lang)
                });
            egui::ComboBox::from_id_salt(("filter_row_value", idx))
                .selected_text(shown)
                .width(ui.available_width().max(80.0))
                .show_ui(ui, |ui| {
                    for o in &opts {
                        if ui
                            .selectable_label(row.text == o.0, option_label(o, lang))
                            .clicked()
                        {
                            row.text = o.0.to_string();
                        }
                    }
                })
                .response
                .on_hover_text(tr(lang, "条件值", "Value"));
        }
        ValueKind::Multi(opts) => {
            let chosen: Vec<&str> = opts
                .iter()
                .filter(|o| row.codes.iter().any(|c| c == o.0))
                .map(|o| option_label(o, lang))
                .collect();
            let shown = if chosen.is_empty() {
                tr(lang, "请选择（可多选）", "choose (several)…").to_string()
            } else {
                chosen.join(tr(lang, "、", ", "))
            };
            egui::ComboBox::from_id_salt(("filter_row_values", idx))
                .selected_text(shown)
                .width(ui.available_width().max(80.0))
                .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
                .show_ui(ui, |ui| {
                    for o in &opts {
                        let mut on = row.codes.iter().any(|c| c == o.0);
                        if ui.checkbox(&mut on, option_label(o, lang)).changed() {
                            if on {
                                row.codes.push(o.0.to_string());
                                // keep the official order
                                row.codes.sort_by_key(|c| {
                                    opts.iter().position(|x| x.0 == c.as_str()).unwrap_or(0)
                                });
                            } else {
                                row.codes.retain(|c| c != o.0);
                            }
                        }
                    }
                })
                .response
                .on_hover_text(tr(lang, "条件值（可多选）", "Values (several)"));
        }
        ValueKind::Text => {
            let hint = match (row.op, row.name) {
                (RowOp::In | RowOp::NotIn, _) => {
                    tr(lang, "多个值用逗号分隔", "values, comma separated")
                }
                (RowOp::Like, _) => tr(lang, "如 4403%（% 任意，_ 一个字符）", "e.g. 4403%"),
                (_, Name::Field(f)) if matches!(f.kind(), FieldKind::Date) => "YYYY-MM-DD",
                (_, Name::VillageCode) => tr(lang, "12位村代码", "12-digit code"),
                (_, Name::TownshipCode) => tr(lang, "9位乡镇代码", "9-digit code"),
                (_, Name::CountyCode) => tr(lang, "6位区县代码", "6-digit code"),
                _ => tr(lang, "值", "value"),
            };
            ui.add(
                egui::TextEdit::singleline(&mut row.text)
                    .id_salt(("filter_row_text", idx))
                    .hint_text(hint)
                    .desired_width(ui.available_width().max(80.0)),
            );
        }
    }
}

fn builder_ui(ui: &mut egui::Ui, state: &mut FilterPanelState, lang: Lang) {
    ui.label(RichText::new(tr(lang, "条件", "Conditions")).strong());
    let before = (state.rows.clone(), state.join);
    if state.rows.len() > 1 {
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut state.join,
                Join::And,
                tr(lang, "全部满足（且）", "All (AND)"),
            );
            ui.radio_value(
                &mut state.join,
                Join::Or,
                tr(lang, "任一满足（或）", "Any (OR)"),
            );
        });
    }
    let mut remove = None;
    let n = state.rows.len();
    for (idx, row) in state.rows.iter_mut().enumerate() {
        let compact = matches!(
            value_kind(row.name, row.op),
            ValueKind::None | ValueKind::Flag
        );
        ui.horizontal(|ui| {
            name_combo_ui(ui, idx, row, lang);
            op_combo_ui(ui, idx, row, lang);
            if compact {
                value_ui(ui, idx, row, lang);
            }
            if ui
                .small_button("−")
                .on_hover_text(tr(lang, "删除此条件", "Remove this condition"))
                .clicked()
            {
                remove = Some(idx);
            }
        });
        let compact_now = matches!(
            value_kind(row.name, row.op),
            ValueKind::None | ValueKind::Flag
        );
        if !compact && !compact_now {
            ui.horizontal(|ui| {
                ui.add_space(12.0);
                value_ui(ui, idx, row, lang);
            });
        }
        if idx + 1 < n {
            let j = match state.join {
                Join::And => tr(lang, "且", "AND"),
                Join::Or => tr(lang, "或", "OR"),
            };
            ui.label(RichText::new(j).weak().small());
        }
    }
    if let Some(i) = remove
        && i < state.rows.len()
    {
        state.rows.remove(i);
    }
    if ui
        .button(tr(lang, "+ 添加条件", "+ Add condition"))
        .on_hover_text(tr(lang, "添加一行条件", "Add a condition row"))
        .clicked()
    {
        state.rows.push(BuilderRow::default());
    }
    if state.complex && state.rows.is_empty() {
        ui.label(
            RichText::new(tr(
                lang,
                "当前表达式含嵌套条件，请在下方文本框中编辑（添加条件行将替换它）",
                "The expression is nested; edit it as text below (adding a row replaces it)",
            ))
            .weak()
            .small(),
        );
    }
    if (state.rows.clone(), state.join) != before {
        state.complex = false;
        state.text_error = None;
        match build_expr(&state.rows, state.join, lang) {
            Ok(expr) => {
                state.builder_error = None;
                state.text = expr.map(|e| e.to_string()).unwrap_or_default();
            }
            Err(msg) => state.builder_error = Some(msg),
        }
    }
    if let Some(msg) = &state.builder_error {
        ui.label(RichText::new(format!("✖ {msg}")).color(ERROR_RED));
    }
}

fn expression_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut FilterPanelState,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let label = ui.label(tr(lang, "表达式（回车应用）", "Expression (Enter applies)"));
    let resp = ui
        .add(
            egui::TextEdit::multiline(&mut state.text)
                .id_salt("filter_expression")
                .hint_text("hazardous AND floors_above >= 3")
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .return_key(None),
        )
        .labelled_by(label.id);
    let enter = resp.has_focus()
        && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter));
    let enter = enter || (resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
    if resp.changed() {
        // The text takes over: follow it in the builder while it parses.
        state.builder_error = None;
        state.text_error = None;
        match filter::parse(&state.text) {
            Ok(e) => {
                let e = (!state.text.trim().is_empty()).then_some(e);
                state.load_rows(e.as_ref());
            }
            Err(_) => state.complex = false,
        }
    }
    if let Some((err, text)) = &state.text_error {
        error_with_position_ui(ui, err, text, lang);
    }
    let choice_before = state.layer_choice;
    ui.horizontal(|ui| {
        let label = ui.label(tr(lang, "筛选对象", "Select"));
        let auto_layer = match filter::parse(&state.text) {
            Ok(e) => layer_for(&e),
            Err(_) => session.filter_layer,
        };
        let shown = match state.layer_choice {
            LayerChoice::Auto => format!(
                "{}（{}）",
                tr(lang, "自动", "auto"),
                layer_label(auto_layer, lang)
            ),
            LayerChoice::Parcels => layer_label(ExportLayer::Parcels, lang).to_string(),
            LayerChoice::Buildings => layer_label(ExportLayer::Buildings, lang).to_string(),
        };
        egui::ComboBox::from_id_salt("filter_layer_choice")
            .selected_text(shown)
            .width(110.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(
                    &mut state.layer_choice,
                    LayerChoice::Auto,
                    tr(lang, "自动判断", "Automatic"),
                );
                ui.selectable_value(
                    &mut state.layer_choice,
                    LayerChoice::Parcels,
                    layer_label(ExportLayer::Parcels, lang),
                );
                ui.selectable_value(
                    &mut state.layer_choice,
                    LayerChoice::Buildings,
                    layer_label(ExportLayer::Buildings, lang),
                );
            })
            .response
            .labelled_by(label.id);
    });
    // a new layer choice re-applies an active filter at once
    let mut apply = enter || (state.layer_choice != choice_before && session.filter.is_some());
    ui.horizontal(|ui| {
        let can_apply = state.builder_error.is_none();
        if ui
            .add_enabled(can_apply, egui::Button::new(tr(lang, "应用", "Apply")))
            .clicked()
        {
            apply = true;
        }
        if ui.button(tr(lang, "清除", "Clear")).clicked() {
            state.rows.clear();
            state.text.clear();
            state.text_error = None;
            state.builder_error = None;
            state.complex = false;
            commands.push(Command::SetFilter {
                expr: None,
                layer: session.filter_layer,
            });
            apply = false;
        }
    });
    if apply
        && state.builder_error.is_none()
        && let Some(cmd) = state.apply_text(session)
    {
        commands.push(cmd);
    }
}

/// Shows a parse error in red and the text with the offending character marked.
fn error_with_position_ui(ui: &mut egui::Ui, err: &FilterError, text: &str, lang: Lang) {
    ui.label(
        RichText::new(format!(
            "✖ {}{err}",
            tr(lang, "表达式有误：", "Invalid expression: ")
        ))
        .color(ERROR_RED),
    );
    let chars: Vec<char> = text.chars().collect();
    let pos = err.position.min(chars.len());
    let before: String = chars.iter().take(pos).collect();
    let at: String = chars
        .get(pos)
        .map_or_else(|| " ".to_string(), |c| c.to_string());
    let after: String = chars.iter().skip(pos + 1).collect();
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        ui.label(RichText::new(before).monospace());
        ui.label(
            RichText::new(at)
                .monospace()
                .color(Color32::WHITE)
                .background_color(ERROR_RED),
        );
        ui.label(RichText::new(after).monospace());
    });
}

fn results_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut FilterPanelState,
    lang: Lang,
    commands: &mut Vec<Command>,
) -> Option<FilterAction> {
    let mut action = None;
    let layer = session.filter_layer;
    ui.horizontal(|ui| {
        if session.filter.is_some() {
            ui.label(
                RichText::new(format!(
                    "{}：{}（{}）",
                    tr(lang, "结果", "Result"),
                    session.filter_results.len(),
                    layer_label(layer, lang)
                ))
                .strong(),
            );
        } else {
            ui.label(RichText::new(tr(lang, "未设置筛选", "No filter")).weak());
        }
        let can_export = session.filter.is_some() && !session.filter_results.is_empty();
        if ui
            .add_enabled(
                can_export,
                egui::Button::new(tr(lang, "导出 GeoJSON", "Export GeoJSON")),
            )
            .on_hover_text(tr(
                lang,
                "将筛选结果导出为 GeoJSON（RFC 7946）",
                "Export the result as GeoJSON (RFC 7946)",
            ))
            .clicked()
        {
            action = Some(FilterAction::Export);
        }
    });
    if session.filter.is_none() {
        return action;
    }
    if session.filter_results.is_empty() {
        ui.label(RichText::new(tr(lang, "无匹配记录", "No matching records")).weak());
        return action;
    }
    results_table_ui(ui, session, state, lang, commands);
    action
}

fn results_table_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut FilterPanelState,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let layer = session.filter_layer;
    let cols = columns(layer);
    let sort = state.refresh_order(session);
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let mut header_clicked = None;
    let mut row_clicked = None;
    let order_ref: &[u32] = match (&state.cache, sort) {
        (Some(c), Some(_)) => &c.order,
        _ => &session.filter_results,
    };
    let selected = &session.selection;
    egui::ScrollArea::horizontal()
        .id_salt("filter_table_hscroll")
        .show(ui, |ui| {
            let mut table = TableBuilder::new(ui)
                .id_salt(("filter_table", layer == ExportLayer::Parcels))
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click())
                .min_scrolled_height(120.0)
                .max_scroll_height(360.0)
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
            for (_, _, _, w) in cols {
                table = table.column(Column::initial(*w).at_least(28.0).clip(true));
            }
            table
                .header(row_height + 2.0, |mut header| {
                    for (ci, (_, zh, en, _)) in cols.iter().enumerate() {
                        header.col(|ui| {
                            let arrow = match sort {
                                Some((c, true)) if c == ci => " ▲",
                                Some((c, false)) if c == ci => " ▼",
                                _ => "",
                            };
                            let text = format!("{}{arrow}", tr(lang, zh, en));
                            if ui
                                .add(egui::Button::new(RichText::new(text).strong()).frame(false))
                                .on_hover_text(tr(lang, "点击排序", "Click to sort"))
                                .clicked()
                            {
                                header_clicked = Some(ci);
                            }
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, order_ref.len(), |mut row| {
                        let Some(&i) = order_ref.get(row.index()) else {
                            return;
                        };
                        let target = match layer {
                            ExportLayer::Parcels => Target::Parcel(i),
                            ExportLayer::Buildings => Target::Building(i),
                        };
                        row.set_selected(selected.contains(&target));
                        let mut clicked = false;
                        for (col, ..) in cols {
                            let text = cell_text(session, layer, *col, i, lang);
                            let (_, resp) = row.col(|ui| {
                                ui.add(egui::Label::new(text).selectable(false).truncate());
                            });
                            clicked |= resp.clicked();
                        }
                        if clicked {
                            row_clicked = Some(target);
                        }
                    });
                });
        });
    if let Some(ci) = header_clicked {
        state.sort = Some(match sort {
            Some((c, asc)) if c == ci => (layer, ci, !asc),
            _ => (layer, ci, true),
        });
    }
    if let Some(t) = row_clicked {
        commands.push(Command::Select {
            targets: vec![t],
            add: false,
        });
        commands.push(Command::ZoomTo(t));
    }
}

/// What the panel asks the app to do besides commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterAction {
    /// Export the current result as GeoJSON (the app asks for a file name).
    Export,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: Name, op: RowOp) -> BuilderRow {
        BuilderRow {
            name,
            op,
            ..BuilderRow::default()
        }
    }

    #[test]
    fn builder_rows_make_normalised_expressions() {
        let mut grade = row(Name::Field(Field::AppraisalGrade), RowOp::In);
        grade.codes = vec!["C".into(), "D".into()];
        let mut floors = row(Name::Field(Field::FloorsAbove), RowOp::Cmp(CmpOp::Ge));
        floors.text = "3".into();
        let flag = row(
            Name::Derived(DerivedFlag::Commercial),
            RowOp::Cmp(CmpOp::Eq),
        );
        let e = build_expr(&[flag.clone(), floors.clone()], Join::And, Lang::Zh)
            .expect("valid")
            .expect("some");
        assert_eq!(e, Preset::CommercialThreePlus.expr());
        assert_eq!(filter::parse(&e.to_string()), Ok(e.clone()));
        let g = build_expr(&[grade], Join::And, Lang::Zh)
            .expect("valid")
            .expect("some");
        assert_eq!(g, Preset::GradeCD.expr());
        assert_eq!(build_expr(&[], Join::Or, Lang::Zh), Ok(None));
        // a missing value is an error, not a panic
        let empty = row(Name::Field(Field::Surveyor), RowOp::Cmp(CmpOp::Eq));
        assert!(build_expr(&[empty], Join::And, Lang::En).is_err());
        // a bad value is reported by the domain's validation
        let mut bad = row(Name::Field(Field::FloorsAbove), RowOp::Cmp(CmpOp::Gt));
        bad.text = "many".into();
        assert!(build_expr(&[bad], Join::And, Lang::En).is_err());
    }

    #[test]
    fn presets_show_in_the_builder_when_they_fit() {
        for p in Preset::ALL {
            let e = p.expr();
            match rows_from_expr(&e) {
                Some((rows, join)) => {
                    let rebuilt = build_expr(&rows, join.unwrap_or_default(), Lang::Zh)
                        .expect("valid")
                        .expect("some");
                    assert_eq!(rebuilt, e, "{p:?}");
                }
                None => assert_eq!(p, Preset::NotRectified),
            }
        }
        assert_eq!(layer_for(&Preset::NotSurveyed.expr()), ExportLayer::Parcels);
        assert_eq!(layer_for(&Preset::Hazardous.expr()), ExportLayer::Buildings);
    }

    #[test]
    fn parsed_simple_expressions_round_trip_through_rows() {
        for text in [
            "surveyor = '张三'",
            "village_code ^= 440306",
            "measures = 'stop_use,fine'",
            "rect_status IS NULL",
            "rect_status != done",
            "hazardous = false",
            "surveyed_at >= 2024-05-01",
            "parcel_code LIKE 'A%'",
            "township_code IN (440306017, 440306018)",
            "grade NOT IN (A, B) OR altered",
        ] {
            let e = filter::parse(text).expect(text);
            let (rows, join) = rows_from_expr(&e).expect(text);
            let rebuilt = build_expr(&rows, join.unwrap_or_default(), Lang::Zh)
                .expect(text)
                .expect(text);
            assert_eq!(rebuilt.to_string(), e.to_string(), "{text}: rows {rows:?}");
        }
        let not = filter::parse("NOT priority").expect("not");
        let (rows, _) = rows_from_expr(&not).expect("one row");
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].flag);
        let nested = filter::parse("hazardous AND (altered OR crowded)").expect("nested");
        assert!(rows_from_expr(&nested).is_none());
    }

    #[test]
    fn every_name_offers_only_supported_operators() {
        for n in Name::all() {
            let ops = RowOp::available(n);
            assert!(ops.contains(&RowOp::Cmp(CmpOp::Eq)));
            for op in ops {
                if let RowOp::Cmp(c) = op {
                    assert!(n.supports(c), "{n:?} {c:?}");
                }
                if op == RowOp::Like {
                    assert!(n.supports_like());
                }
            }
        }
    }

    // ---- the panel driven through egui_kittest ------------------------------------------

    use crate::app::import::run_import;
    use crate::app::project::Project;
    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT, Queryable};

    struct Ui {
        session: Session,
        panel: FilterPanelState,
        log: Vec<Command>,
        action: Option<FilterAction>,
    }

    fn sample_session(dir: &std::path::Path) -> Session {
        let out = dir.join("sample.gpkg");
        let req = crate::ui::app::sample_request(out.clone());
        run_import(&req, &mut |_s: &str, _f: f32| true).expect("import sample");
        Session::new(Project::open(&out, "kittest").expect("open"))
    }

    fn harness(session: Session) -> Harness<'static, Ui> {
        let state = Ui {
            session,
            panel: FilterPanelState::default(),
            log: Vec::new(),
            action: None,
        };
        Harness::builder()
            .with_size(egui::vec2(340.0, 1000.0))
            .with_context_setup(crate::ui::fonts::install)
            .build_ui_state(
                |ui, st: &mut Ui| {
                    let mut commands = Vec::new();
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        if let Some(a) =
                            filter_panel_ui(ui, &st.session, &mut st.panel, Lang::Zh, &mut commands)
                        {
                            st.action = Some(a);
                        }
                    });
                    for c in commands {
                        st.log.push(c.clone());
                        let _ = st.session.apply(c);
                    }
                },
                state,
            )
    }

    fn parcel_code(s: &Session, i: u32) -> String {
        s.project.data().survey.parcels[i as usize].code.clone()
    }

    #[test]
    fn presets_table_sorting_selection_errors_and_export_in_the_ui() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut h = harness(sample_session(dir.path()));
        h.run_steps(2);
        for p in Preset::ALL {
            assert!(h.query_by_label(p.label_zh()).is_some(), "{}", p.label_zh());
        }
        assert!(h.query_by_label("导出 GeoJSON").is_some());
        assert!(
            h.get_by_label("导出 GeoJSON")
                .accesskit_node()
                .is_disabled()
        );

        // 未排查 is a parcel filter
        h.get_by_label("未排查").click();
        h.run_steps(3);
        {
            let st = h.state();
            assert_eq!(st.session.filter, Some(Preset::NotSurveyed.expr()));
            assert_eq!(st.session.filter_layer, ExportLayer::Parcels);
            assert!(!st.session.filter_results.is_empty());
            assert_eq!(st.panel.text, Preset::NotSurveyed.expr().to_string());
            assert_eq!(st.panel.rows.len(), 1);
        }
        h.run();
        let n = h.state().session.filter_results.len();
        assert!(h.query_by_label(&format!("结果：{n}（图斑）")).is_some());

        // sort by code, ascending then descending
        h.get_by_label("图斑编码").click();
        h.run_steps(2);
        let asc = h
            .state()
            .panel
            .cache
            .as_ref()
            .expect("sorted")
            .order
            .clone();
        assert_eq!(asc.len(), n);
        {
            let s = &h.state().session;
            assert!(
                asc.windows(2)
                    .all(|w| parcel_code(s, w[0]) <= parcel_code(s, w[1]))
            );
        }
        h.get_by_label("图斑编码 ▲").click();
        h.run_steps(2);
        let desc = h
            .state()
            .panel
            .cache
            .as_ref()
            .expect("sorted")
            .order
            .clone();
        {
            let s = &h.state().session;
            assert!(
                desc.windows(2)
                    .all(|w| parcel_code(s, w[0]) >= parcel_code(s, w[1]))
            );
        }
        assert!(h.query_by_label("图斑编码 ▼").is_some());

        // clicking a row selects the record and zooms to it
        let first = desc[0];
        let code = parcel_code(&h.state().session, first);
        h.get_by_label(&code).click();
        h.run_steps(2);
        {
            let st = h.state();
            assert!(st.log.contains(&Command::Select {
                targets: vec![Target::Parcel(first)],
                add: false
            }));
            assert!(st.log.contains(&Command::ZoomTo(Target::Parcel(first))));
            assert_eq!(st.session.selection, vec![Target::Parcel(first)]);
        }

        // export is offered for a result
        assert!(
            !h.get_by_label("导出 GeoJSON")
                .accesskit_node()
                .is_disabled()
        );
        h.get_by_label("导出 GeoJSON").click();
        h.run_steps(1);
        assert_eq!(h.state().action, Some(FilterAction::Export));

        // a second builder row makes a house filter
        h.get_by_label("+ 添加条件").click();
        h.run_steps(2);
        assert_eq!(
            h.state().panel.text,
            "survey_status = not_surveyed AND hazardous"
        );
        h.get_by_label("应用").click();
        h.run_steps(2);
        assert_eq!(h.state().session.filter_layer, ExportLayer::Buildings);
        h.run();

        // a parse error is shown with its position and applies nothing
        h.state_mut().panel.text = "floors_above >> 3".into();
        h.get_by_label("应用").click();
        h.run_steps(2);
        assert!(h.state().panel.text_error.is_some());
        assert!(h.query_by_label_contains("表达式有误").is_some());
        assert_eq!(h.state().session.filter_layer, ExportLayer::Buildings);

        // typing an expression and pressing Enter applies it
        h.get_by_label("清除").click();
        h.run_steps(2);
        assert_eq!(h.state().session.filter, None);
        h.get_by_role(egui::accesskit::Role::MultilineTextInput)
            .click();
        h.run_steps(1);
        h.get_by_role(egui::accesskit::Role::MultilineTextInput)
            .type_text("altered");
        h.run_steps(1);
        h.key_press(egui::Key::Enter);
        h.run_steps(2);
        assert_eq!(
            h.state().session.filter,
            Some(Expr::Flag(Name::Field(Field::Altered)))
        );
        assert_eq!(h.state().session.filter_layer, ExportLayer::Buildings);
    }
}
