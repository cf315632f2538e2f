//! 统计 — the statistics dashboard (DESIGN §4).
//!
//! A level selector (村/社区 · 乡镇/街道 · 区县) and the convention switch (排查完成率 or the
//! census bulletins' 调查完成率), the bulletin sentence (通报) of the whole project and of the
//! selected village ready to copy, a sortable, virtualized table of the units with the 合计 row
//! pinned under the header, and a horizontal bar chart of the completion rate per unit.
//!
//! The figures are the project's incrementally kept per-village counters rolled up by
//! [`crate::app::project::Project::stats`]; the ranked and sorted rows are cached by the
//! session's revision, the project, the level, the convention, the sort order and the language,
//! so a frame without edits does no rollup and no sort. A zero denominator shows "—", never NaN.

use std::cmp::Ordering;
use std::path::PathBuf;

use egui::{Align, Color32, Layout, RichText, Sense, Ui};
use egui_extras::{Column, Size, StripBuilder, TableBuilder};
use egui_plot::{AxisHints, Bar, BarChart, GridInput, GridMark, Plot};

use crate::app::session::{Command, Session};
use crate::domain::admin::{AdminLevel, Village, VillageId, normalize_village_name};
use crate::domain::codes::Lang;
use crate::domain::stats::{Convention, Rate, StatRow, bulletin, rank_by_completion, rate_text};
use crate::ui::i18n::tr;

/// A column of the statistics table, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatColumn {
    /// 排名: rank by completion rate, highest first (ties by code).
    Rank,
    /// 代码: statistical division code.
    Code,
    /// 名称: name of the unit.
    Name,
    /// 图斑: parcels.
    Parcels,
    /// 未排查: parcels not surveyed.
    NotSurveyed,
    /// 排查中: parcels in progress.
    InProgress,
    /// 已排查: parcels surveyed.
    Surveyed,
    /// 完成率: completion rate under the chosen convention.
    Completion,
    /// 自建房: houses.
    Buildings,
    /// 经营性: commercial houses (经营性 + 住宅兼经营性).
    Commercial,
    /// 回头看率: look-back completion rate of commercial houses.
    LookbackRate,
    /// 隐患经营性: commercial houses with a safety hazard.
    Hazardous,
    /// 已整治: of those, rectified.
    Rectified,
    /// 整改率: rectification rate.
    RectificationRate,
    /// C级: houses appraised grade C (局部危房).
    GradeC,
    /// D级: houses appraised grade D (整幢危房).
    GradeD,
    /// 重点: priority houses.
    Priority,
}

impl StatColumn {
    /// Every column in display order.
    pub const ALL: [StatColumn; 17] = [
        StatColumn::Rank,
        StatColumn::Code,
        StatColumn::Name,
        StatColumn::Parcels,
        StatColumn::NotSurveyed,
        StatColumn::InProgress,
        StatColumn::Surveyed,
        StatColumn::Completion,
        StatColumn::Buildings,
        StatColumn::Commercial,
        StatColumn::LookbackRate,
        StatColumn::Hazardous,
        StatColumn::Rectified,
        StatColumn::RectificationRate,
        StatColumn::GradeC,
        StatColumn::GradeD,
        StatColumn::Priority,
    ];

    /// Header text.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            StatColumn::Rank => tr(lang, "排名", "Rank"),
            StatColumn::Code => tr(lang, "代码", "Code"),
            StatColumn::Name => tr(lang, "名称", "Name"),
            StatColumn::Parcels => tr(lang, "图斑", "Parcels"),
            StatColumn::NotSurveyed => tr(lang, "未排查", "Not surveyed"),
            StatColumn::InProgress => tr(lang, "排查中", "In progress"),
            StatColumn::Surveyed => tr(lang, "已排查", "Surveyed"),
            StatColumn::Completion => tr(lang, "完成率", "Completion"),
            StatColumn::Buildings => tr(lang, "自建房", "Houses"),
            StatColumn::Commercial => tr(lang, "经营性", "Commercial"),
            StatColumn::LookbackRate => tr(lang, "回头看率", "Look-back"),
            StatColumn::Hazardous => tr(lang, "隐患经营性", "Hazardous comm."),
            StatColumn::Rectified => tr(lang, "已整治", "Rectified"),
            StatColumn::RectificationRate => tr(lang, "整改率", "Rectif. rate"),
            StatColumn::GradeC => tr(lang, "C级", "Grade C"),
            StatColumn::GradeD => tr(lang, "D级", "Grade D"),
            StatColumn::Priority => tr(lang, "重点", "Priority"),
        }
    }

    /// Tooltip of the header: the exact definition.
    pub fn hint(self, lang: Lang, conv: Convention) -> &'static str {
        match (self, conv) {
            (StatColumn::Rank, _) => tr(
                lang,
                "按排查完成率排名，高者在前；同率按代码",
                "Rank by completion rate, highest first; ties by code",
            ),
            (StatColumn::Code, _) => tr(lang, "统计用区划代码", "Statistical division code"),
            (StatColumn::Name, _) => tr(lang, "单位名称", "Name of the unit"),
            (StatColumn::Parcels, _) => tr(lang, "图斑总数", "Parcels in total"),
            (StatColumn::NotSurveyed, _) => tr(lang, "未排查图斑", "Parcels not surveyed"),
            (StatColumn::InProgress, _) => tr(lang, "排查中图斑", "Parcels in progress"),
            (StatColumn::Surveyed, _) => tr(lang, "已排查图斑", "Parcels surveyed"),
            (StatColumn::Completion, Convention::Exclusive) => tr(
                lang,
                "排查完成率 = 已排查 ÷ 图斑总数",
                "Completion = surveyed ÷ parcels",
            ),
            (StatColumn::Completion, Convention::Census) => tr(
                lang,
                "普查口径：调查完成率 = (排查中 + 已排查) ÷ 图斑总数",
                "Census convention: (in progress + surveyed) ÷ parcels",
            ),
            (StatColumn::Buildings, _) => tr(lang, "自建房总数", "Houses in total"),
            (StatColumn::Commercial, _) => tr(
                lang,
                "经营性自建房（含住宅兼经营性）",
                "Commercial houses (incl. mixed use)",
            ),
            (StatColumn::LookbackRate, _) => tr(
                lang,
                "回头看完成率 = 回头看已完成的经营性自建房 ÷ 经营性自建房",
                "Look-back rate = commercial houses looked back ÷ commercial houses",
            ),
            (StatColumn::Hazardous, _) => tr(
                lang,
                "存在安全隐患的经营性自建房",
                "Commercial houses with a safety hazard",
            ),
            (StatColumn::Rectified, _) => tr(
                lang,
                "存在隐患的经营性自建房中已整治的",
                "Of the hazardous commercial houses, rectified",
            ),
            (StatColumn::RectificationRate, _) => tr(
                lang,
                "整改完成率 = 已整治 ÷ 隐患经营性自建房",
                "Rectification rate = rectified ÷ hazardous commercial houses",
            ),
            (StatColumn::GradeC, _) => tr(lang, "鉴定等级 C 级（局部危房）", "Appraised grade C"),
            (StatColumn::GradeD, _) => tr(lang, "鉴定等级 D 级（整幢危房）", "Appraised grade D"),
            (StatColumn::Priority, _) => tr(lang, "重点自建房", "Priority houses"),
        }
    }

    /// True for the text columns (code, name); the others are right-aligned numbers.
    pub fn is_text(self) -> bool {
        matches!(self, StatColumn::Code | StatColumn::Name)
    }

    /// Direction of the first click on this header: numbers largest first, text and rank
    /// ascending.
    pub fn default_descending(self) -> bool {
        !matches!(self, StatColumn::Rank | StatColumn::Code | StatColumn::Name)
    }

    fn initial_width(self, lang: Lang) -> f32 {
        match (self, lang) {
            (StatColumn::Rank, _) => 58.0,
            (StatColumn::Code, _) => 100.0,
            (StatColumn::Name, _) => 110.0,
            (
                StatColumn::Completion | StatColumn::LookbackRate | StatColumn::RectificationRate,
                Lang::Zh,
            ) => 66.0,
            (StatColumn::Hazardous, Lang::Zh) => 72.0,
            (_, Lang::Zh) => 56.0,
            (StatColumn::NotSurveyed | StatColumn::InProgress, Lang::En) => 92.0,
            (StatColumn::Hazardous, Lang::En) => 118.0,
            (StatColumn::Completion | StatColumn::RectificationRate, Lang::En) => 90.0,
            (StatColumn::Commercial | StatColumn::LookbackRate, Lang::En) => 84.0,
            (_, Lang::En) => 72.0,
        }
    }

    /// The numeric value of a row in this column (`None` for the text columns, an unranked
    /// row's rank and a rate with denominator 0). Rates are hundredths of a percent.
    pub fn number(self, row: &RankedRow, conv: Convention) -> Option<i64> {
        let c = &row.row.counts;
        match self {
            StatColumn::Rank => row.rank.map(|r| r as i64),
            StatColumn::Code | StatColumn::Name => None,
            StatColumn::Parcels => Some(c.parcels_total),
            StatColumn::NotSurveyed => Some(c.not_surveyed),
            StatColumn::InProgress => Some(c.in_progress),
            StatColumn::Surveyed => Some(c.surveyed),
            StatColumn::Completion => c.completion_rate(conv).map(Rate::hundredths),
            StatColumn::Buildings => Some(c.buildings_total),
            StatColumn::Commercial => Some(c.commercial),
            StatColumn::LookbackRate => c.lookback_rate().map(Rate::hundredths),
            StatColumn::Hazardous => Some(c.hazardous_commercial),
            StatColumn::Rectified => Some(c.rectified),
            StatColumn::RectificationRate => c.rectification_rate().map(Rate::hundredths),
            StatColumn::GradeC => Some(c.grade[2]),
            StatColumn::GradeD => Some(c.grade[3]),
            StatColumn::Priority => Some(c.priority),
        }
    }

    /// The text shown in a cell: counts as integers, rates as `95.34%` or `—`.
    pub fn cell_text(self, row: &RankedRow, conv: Convention, lang: Lang) -> String {
        let c = &row.row.counts;
        match self {
            StatColumn::Rank => row.rank.map_or_else(|| "—".to_string(), |r| r.to_string()),
            StatColumn::Code => row.row.code.clone(),
            StatColumn::Name => display_name(&row.row, lang),
            StatColumn::Completion => rate_text(c.completion_rate(conv)),
            StatColumn::LookbackRate => rate_text(c.lookback_rate()),
            StatColumn::RectificationRate => rate_text(c.rectification_rate()),
            other => other
                .number(row, conv)
                .map_or_else(|| "—".to_string(), |n| n.to_string()),
        }
    }
}

/// The order of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortOrder {
    /// The column sorted by.
    pub column: StatColumn,
    /// Largest (or last) first.
    pub descending: bool,
}

impl Default for SortOrder {
    fn default() -> Self {
        SortOrder {
            column: StatColumn::Rank,
            descending: false,
        }
    }
}

impl SortOrder {
    /// The order after a click on `column`'s header: the same column toggles its direction,
    /// another column starts in its [`StatColumn::default_descending`] direction.
    pub fn clicked(self, column: StatColumn) -> SortOrder {
        if self.column == column {
            SortOrder {
                column,
                descending: !self.descending,
            }
        } else {
            SortOrder {
                column,
                descending: column.default_descending(),
            }
        }
    }
}

/// A statistics row with its rank by completion rate.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedRow {
    /// 1-based rank; `None` for the unassigned row (未分配) and units without parcels.
    pub rank: Option<usize>,
    /// The row.
    pub row: StatRow,
}

/// Ranks rows by completion rate (highest first, ties by code; see
/// [`rank_by_completion`]) and returns them in rank order. The unassigned row and rows with a
/// zero denominator get no rank and come last.
pub fn ranked_rows(mut rows: Vec<StatRow>, conv: Convention) -> Vec<RankedRow> {
    rank_by_completion(&mut rows, conv);
    let (ranked, unranked): (Vec<StatRow>, Vec<StatRow>) = rows
        .into_iter()
        .partition(|r| !r.code.is_empty() && r.counts.completion_rate(conv).is_some());
    let mut out: Vec<RankedRow> = ranked
        .into_iter()
        .enumerate()
        .map(|(i, row)| RankedRow {
            rank: Some(i + 1),
            row,
        })
        .collect();
    out.extend(
        unranked
            .into_iter()
            .map(|row| RankedRow { rank: None, row }),
    );
    out
}

/// Sorts rows for the table. Missing values (no rank, rate with denominator 0) always go last;
/// ties are broken by code.
pub fn sort_rows(rows: &mut [RankedRow], order: SortOrder, conv: Convention) {
    let dir = |o: Ordering| if order.descending { o.reverse() } else { o };
    rows.sort_by(|a, b| {
        let primary = match order.column {
            StatColumn::Code => dir(a.row.code.cmp(&b.row.code)),
            StatColumn::Name => dir(a.row.name.cmp(&b.row.name)),
            col => match (col.number(a, conv), col.number(b, conv)) {
                (Some(x), Some(y)) => dir(x.cmp(&y)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        };
        primary.then_with(|| a.row.code.cmp(&b.row.code))
    });
}

/// The villages that make up a unit of `level` with division code `code`, grouped exactly as
/// [`crate::domain::stats::rollup`] groups them (code "" is the unassigned row).
pub fn villages_of_unit(villages: &[Village], level: AdminLevel, code: &str) -> Vec<VillageId> {
    villages
        .iter()
        .enumerate()
        .filter(|(_, v)| v.code_at(level) == code)
        .map(|(i, _)| VillageId(i as u32))
        .collect()
}

/// Bar colour of a completion rate: red below 60 %, amber below 90 %, blue from 90 %, grey
/// when there is no rate.
pub fn rate_color(rate: Option<Rate>) -> Color32 {
    match rate.map(Rate::hundredths) {
        None => Color32::from_rgb(190, 190, 190),
        Some(h) if h < 6_000 => Color32::from_rgb(215, 48, 39),
        Some(h) if h < 9_000 => Color32::from_rgb(253, 174, 97),
        Some(_) => Color32::from_rgb(44, 123, 182),
    }
}

/// A name for an axis label: village suffixes stripped (村委会, 社区 …) and at most `max`
/// characters (longer names end in "…").
pub fn short_name(name: &str, level: AdminLevel, max: usize) -> String {
    let n = if level == AdminLevel::Village {
        normalize_village_name(name)
    } else {
        name.trim()
    };
    if n.chars().count() <= max {
        n.to_string()
    } else {
        let mut s: String = n.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The shown name of a row: the unit's name, its code when it has none, 未分配/Unassigned
/// for the unassigned row.
fn display_name(row: &StatRow, lang: Lang) -> String {
    if row.code.is_empty() {
        if row.level == AdminLevel::Total {
            return tr(lang, "合计", "Total").to_string();
        }
        return tr(lang, "未分配", "Unassigned").to_string();
    }
    if row.name.trim().is_empty() {
        row.code.clone()
    } else {
        row.name.clone()
    }
}

fn level_label(level: AdminLevel, lang: Lang) -> &'static str {
    match level {
        AdminLevel::Village => tr(lang, "村/社区", "Village"),
        AdminLevel::Township => tr(lang, "乡镇/街道", "Township"),
        AdminLevel::County => tr(lang, "区县", "County"),
        AdminLevel::Total => tr(lang, "合计", "Total"),
    }
}

/// One bar of the chart.
#[derive(Debug, Clone)]
struct ChartUnit {
    code: String,
    label: String,
    tooltip: String,
    rate: Option<Rate>,
}

#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    project: PathBuf,
    villages: usize,
    revision: u64,
    level: AdminLevel,
    conv: Convention,
    sort: SortOrder,
    lang: Lang,
}

impl CacheKey {
    /// Same project, level and convention: the chart keeps its scroll position.
    fn same_chart(&self, other: &CacheKey) -> bool {
        self.project == other.project
            && self.villages == other.villages
            && self.level == other.level
            && self.conv == other.conv
    }
}

#[derive(Debug)]
struct Cache {
    key: CacheKey,
    /// Table rows in sort order.
    rows: Vec<RankedRow>,
    /// The 合计 row.
    total: RankedRow,
    /// Units in rank order (the unassigned row left out).
    chart: Vec<ChartUnit>,
}

fn build_cache(session: &Session, key: CacheKey) -> Cache {
    let conv = key.conv;
    let lang = key.lang;
    let ranked = ranked_rows(session.project.stats(key.level, conv), conv);
    let chart = ranked
        .iter()
        .filter(|r| !r.row.code.is_empty())
        .map(|r| {
            let c = &r.row.counts;
            let rate = c.completion_rate(conv);
            let name = display_name(&r.row, lang);
            let rank = r.rank.map_or_else(|| "—".to_string(), |n| n.to_string());
            ChartUnit {
                code: r.row.code.clone(),
                label: format!("{rank} {}", short_name(&name, key.level, 8)),
                tooltip: format!(
                    "{name}（{}）\n{} {}\n{} {} / {} {}",
                    r.row.code,
                    match conv {
                        Convention::Exclusive => tr(lang, "排查完成率", "Completion"),
                        Convention::Census => tr(lang, "调查完成率", "Completion (census)"),
                    },
                    rate_text(rate),
                    match conv {
                        Convention::Exclusive => tr(lang, "已排查", "surveyed"),
                        Convention::Census => tr(lang, "正在调查", "started"),
                    },
                    c.started_or_surveyed(conv),
                    tr(lang, "图斑", "parcels"),
                    c.parcels_total,
                ),
                rate,
            }
        })
        .collect();
    let mut rows = ranked;
    sort_rows(&mut rows, key.sort, conv);
    let total = RankedRow {
        rank: None,
        row: StatRow {
            level: AdminLevel::Total,
            code: String::new(),
            name: tr(lang, "合计", "Total").to_string(),
            counts: session.project.data().survey.counts().total(),
        },
    };
    Cache {
        key,
        rows,
        total,
        chart,
    }
}

/// Persistent state of the dashboard.
#[derive(Debug)]
pub struct StatsPanelState {
    /// The level of the rows.
    pub level: AdminLevel,
    /// Which statuses count as covered.
    pub convention: Convention,
    /// The table's order.
    pub sort: SortOrder,
    /// Code of the unit last clicked (highlighted in the table).
    pub selected_code: Option<String>,
    cache: Option<Cache>,
    reset_chart: bool,
}

impl Default for StatsPanelState {
    fn default() -> Self {
        StatsPanelState {
            level: AdminLevel::Village,
            convention: Convention::Exclusive,
            sort: SortOrder::default(),
            selected_code: None,
            cache: None,
            reset_chart: false,
        }
    }
}

/// Shows the dashboard: level and convention switches, bulletin sentences, the table and the
/// completion-rate chart. Clicking a unit (row or bar) pushes [`Command::ZoomToVillage`]: the
/// village itself, or for a township or county its first village (there is no command to zoom
/// to several villages).
pub fn stats_panel_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut StatsPanelState,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    controls_ui(ui, state, lang);

    let key = CacheKey {
        project: session.project.file().path().to_path_buf(),
        villages: session.project.data().survey.villages.len(),
        revision: session.revision,
        level: state.level,
        conv: state.convention,
        sort: state.sort,
        lang,
    };
    let mut cache = match state.cache.take() {
        Some(c) if c.key == key => c,
        old => {
            if old.as_ref().is_none_or(|c| !c.key.same_chart(&key)) {
                state.reset_chart = true;
            }
            build_cache(session, key)
        }
    };
    let conv = state.convention;
    let level = state.level;

    bulletins_ui(ui, session, &cache, conv, lang);
    ui.separator();

    let villages = &session.project.data().survey.villages;
    let current_code: Option<String> = session
        .current_village()
        .and_then(|v| villages.get(v.index()))
        .map(|v| v.code_at(level).to_string());

    let mut clicked_unit: Option<String> = None;
    let mut clicked_header: Option<StatColumn> = None;
    let reset_chart = std::mem::take(&mut state.reset_chart);
    StripBuilder::new(ui)
        .size(Size::relative(0.62).at_least(240.0))
        .size(Size::remainder().at_least(160.0))
        .horizontal(|mut strip| {
            strip.cell(|ui| {
                let action = table_ui(
                    ui,
                    &cache,
                    state.sort,
                    state.selected_code.as_deref(),
                    current_code.as_deref(),
                    conv,
                    lang,
                );
                clicked_header = action.header;
                if action.row.is_some() {
                    clicked_unit = action.row;
                }
            });
            strip.cell(|ui| {
                if let Some(code) = chart_ui(ui, &cache, level, lang, reset_chart) {
                    clicked_unit = Some(code);
                }
            });
        });

    if let Some(col) = clicked_header {
        state.sort = state.sort.clicked(col);
        sort_rows(&mut cache.rows, state.sort, conv);
        cache.key.sort = state.sort;
    }
    if let Some(code) = clicked_unit {
        if let Some(first) = villages_of_unit(villages, level, &code).first() {
            commands.push(Command::ZoomToVillage(*first));
        }
        state.selected_code = Some(code);
    }
    state.cache = Some(cache);
}

fn controls_ui(ui: &mut Ui, state: &mut StatsPanelState, lang: Lang) {
    ui.horizontal(|ui| {
        ui.label(tr(lang, "统计层级：", "Level:"));
        for level in [
            AdminLevel::Village,
            AdminLevel::Township,
            AdminLevel::County,
        ] {
            ui.selectable_value(&mut state.level, level, level_label(level, lang));
        }
        ui.separator();
        ui.label(tr(lang, "口径：", "Convention:"));
        ui.selectable_value(
            &mut state.convention,
            Convention::Exclusive,
            tr(lang, "排查完成率", "Surveyed only"),
        )
        .on_hover_text(tr(
            lang,
            "排查完成率 = 已排查 ÷ 图斑总数（专项整治通报口径）",
            "Completion = surveyed ÷ parcels (campaign reports)",
        ));
        ui.selectable_value(
            &mut state.convention,
            Convention::Census,
            tr(lang, "普查口径", "Census"),
        )
        .on_hover_text(tr(
            lang,
            "正在调查 = 排查中 + 已排查（普查公报口径）",
            "Started = in progress + surveyed (census bulletins)",
        ));
    });
}

fn bulletins_ui(ui: &mut Ui, session: &Session, cache: &Cache, conv: Convention, lang: Lang) {
    let whole = bulletin("", &cache.total.row.counts, conv);
    bulletin_line_ui(
        ui,
        lang,
        tr(lang, "全部：", "All:"),
        tr(lang, "复制通报", "Copy bulletin"),
        whole,
    );
    let survey = &session.project.data().survey;
    if let Some(v) = session.current_village()
        && let Some(counts) = survey.counts().by_village.get(v.index())
    {
        let name = survey
            .villages
            .get(v.index())
            .map_or_else(String::new, |vil| {
                if vil.code.is_empty() {
                    tr(lang, "未分配", "Unassigned").to_string()
                } else if vil.name.trim().is_empty() {
                    vil.code.clone()
                } else {
                    vil.name.clone()
                }
            });
        let text = bulletin(&name, counts, conv);
        bulletin_line_ui(
            ui,
            lang,
            tr(lang, "所选村：", "Village:"),
            tr(lang, "复制本村通报", "Copy village bulletin"),
            text,
        );
    }
}

fn bulletin_line_ui(ui: &mut Ui, lang: Lang, prefix: &str, button: &str, text: String) {
    ui.horizontal(|ui| {
        if ui
            .button(button)
            .on_hover_text(tr(lang, "复制到剪贴板", "Copy to the clipboard"))
            .clicked()
        {
            ui.ctx().copy_text(text.clone());
        }
        ui.label(RichText::new(prefix).strong());
        ui.add(egui::Label::new(text).wrap().selectable(true));
    });
}

#[derive(Debug, Default)]
struct TableAction {
    header: Option<StatColumn>,
    row: Option<String>,
}

fn line_ui(ui: &mut Ui, height: f32, numeric: bool, add: impl FnOnce(&mut Ui)) {
    let layout = if numeric {
        Layout::right_to_left(Align::Center)
    } else {
        Layout::left_to_right(Align::Center)
    };
    ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), height), layout, add);
}

fn table_ui(
    ui: &mut Ui,
    cache: &Cache,
    sort: SortOrder,
    selected: Option<&str>,
    current: Option<&str>,
    conv: Convention,
    lang: Lang,
) -> TableAction {
    let mut action = TableAction::default();
    let rows = &cache.rows;
    if rows.is_empty() {
        ui.weak(tr(lang, "无统计数据", "No statistics"));
        return action;
    }
    let row_h = ui
        .text_style_height(&egui::TextStyle::Body)
        .max(ui.spacing().interact_size.y)
        + 2.0;
    egui::ScrollArea::horizontal()
        .id_salt("stats_table_hscroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.style_mut().interaction.selectable_labels = false;
            let mut table = TableBuilder::new(ui)
                .id_salt(match lang {
                    Lang::Zh => "stats_table_zh",
                    Lang::En => "stats_table_en",
                })
                .striped(true)
                .resizable(true)
                .sense(Sense::click())
                .cell_layout(Layout::left_to_right(Align::Center))
                .auto_shrink([true, false])
                .min_scrolled_height(0.0);
            for col in StatColumn::ALL {
                table = table.column(
                    Column::initial(col.initial_width(lang))
                        .at_least(28.0)
                        .clip(true),
                );
            }
            table
                .header(row_h * 2.0 + 2.0, |mut header| {
                    for col in StatColumn::ALL {
                        header.col(|ui| {
                            ui.vertical(|ui| {
                                line_ui(ui, row_h, !col.is_text(), |ui| {
                                    let active = sort.column == col;
                                    if active {
                                        // the arrows are in the monospace font only
                                        let arrow = if sort.descending { "▼" } else { "▲" };
                                        ui.label(RichText::new(arrow).monospace().small());
                                    }
                                    let text = RichText::new(col.label(lang)).strong();
                                    let resp = ui
                                        .add(egui::Button::new(text).frame(false))
                                        .on_hover_text(col.hint(lang, conv));
                                    if resp.clicked() {
                                        action.header = Some(col);
                                    }
                                });
                                line_ui(ui, row_h, !col.is_text(), |ui| {
                                    let text = match col {
                                        StatColumn::Rank => String::new(),
                                        other => other.cell_text(&cache.total, conv, lang),
                                    };
                                    ui.label(RichText::new(text).strong());
                                });
                            });
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_h, rows.len(), |mut row| {
                        let Some(r) = rows.get(row.index()) else {
                            return;
                        };
                        let code = r.row.code.as_str();
                        row.set_selected(selected == Some(code));
                        let is_current = current == Some(code);
                        let mut clicked = false;
                        for col in StatColumn::ALL {
                            let (_, resp) = row.col(|ui| {
                                let mut text = RichText::new(col.cell_text(r, conv, lang));
                                if is_current {
                                    text = text.strong();
                                }
                                if !col.is_text() {
                                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                                        ui.label(text);
                                    });
                                } else {
                                    ui.label(text);
                                }
                            });
                            clicked |= resp.clicked();
                        }
                        if clicked {
                            action.row = Some(r.row.code.clone());
                        }
                    });
                });
        });
    action
}

/// Grid marks on the unit axis: one per unit when there is room, else every 2nd, 5th, 10th …
/// unit; thicker marks every 5 and 10 steps. Bars sit at y = −index.
fn unit_marks(input: GridInput, n: usize) -> Vec<GridMark> {
    if n == 0 || !input.base_step_size.is_finite() {
        return Vec::new();
    }
    let min_step = input.base_step_size.max(1.0);
    let mut step: usize = 1;
    for s in [1usize, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000] {
        step = s;
        if s as f64 >= min_step {
            break;
        }
    }
    let (lo, hi) = input.bounds;
    let first = (-hi).ceil().max(0.0);
    let last = (-lo).floor().min((n - 1) as f64);
    if !(first.is_finite() && last.is_finite()) || first > last {
        return Vec::new();
    }
    let (first, last) = (first as usize, last as usize);
    let start = first.div_ceil(step) * step;
    (start..=last)
        .step_by(step)
        .map(|i| {
            let size = if i % (step * 10) == 0 {
                step * 10
            } else if i % (step * 5) == 0 {
                step * 5
            } else {
                step
            };
            GridMark {
                value: -(i as f64),
                step_size: size as f64,
            }
        })
        .collect()
}

/// Grid marks on the percent axis: a line every 10 %, labels at 0 and 100 % and, when there
/// is room, every 20 % (the axis hides labels of marks whose step is too narrow).
fn percent_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    (0..=10)
        .map(|k| f64::from(k) * 10.0)
        .filter(|v| *v >= lo && *v <= hi)
        .map(|value| GridMark {
            value,
            step_size: if value == 0.0 || value == 100.0 {
                100.0
            } else if value % 20.0 == 0.0 {
                20.0
            } else {
                10.0
            },
        })
        .collect()
}

fn unit_at(y: f64, n: usize) -> Option<usize> {
    let k = -y;
    let i = k.round();
    ((k - i).abs() <= 0.4 && i >= 0.0 && i < n as f64).then_some(i as usize)
}

/// The chart; returns the code of a clicked unit.
fn chart_ui(
    ui: &mut Ui,
    cache: &Cache,
    level: AdminLevel,
    lang: Lang,
    reset: bool,
) -> Option<String> {
    let units = &cache.chart;
    let n = units.len();
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(match cache.key.conv {
                Convention::Exclusive => tr(lang, "排查完成率", "Completion rate"),
                Convention::Census => tr(lang, "调查完成率", "Completion (census)"),
            })
            .strong(),
        );
        ui.label(format!("（{}，{n}）", level_label(level, lang)));
        for (label, rate) in [
            ("< 60%", Rate::new(0, 1)),
            ("60–90%", Rate::new(6, 10)),
            ("≥ 90%", Rate::new(1, 1)),
        ] {
            ui.label(RichText::new("■").monospace().color(rate_color(rate)));
            ui.label(RichText::new(label).small());
        }
    });
    if n == 0 {
        ui.weak(tr(lang, "无数据", "No data"));
        return None;
    }
    let row_px = 22.0_f32;
    let visible = ((ui.available_height() - 24.0) / row_px).floor().max(3.0) as usize;
    // the same bar thickness whatever the number of units; scroll (wheel or drag) for more

    let bars: Vec<Bar> = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            Bar::new(-(i as f64), u.rate.map_or(0.0, Rate::percent))
                .name(&u.tooltip)
                .fill(rate_color(u.rate))
                .width(0.7)
        })
        .collect();
    let chart = BarChart::new("completion_rate", bars)
        .horizontal()
        .element_formatter(Box::new(|bar: &Bar, _chart: &BarChart| bar.name.clone()));
    let labels: Vec<&str> = units.iter().map(|u| u.label.as_str()).collect();

    let mut plot = Plot::new(("stats_chart", level))
        .allow_zoom([false, true])
        .allow_drag([false, true])
        .allow_scroll([false, true])
        .allow_boxed_zoom(false)
        // show_x keeps the bar tooltips (a ruler at the bar's end); no coordinates elsewhere
        .show_x(true)
        .show_y(false)
        .show_crosshair(false)
        .default_x_bounds(0.0, 105.0)
        .default_y_bounds(0.5 - visible as f64, 0.5)
        .x_axis_formatter(|mark, _range| {
            if (0.0..=100.0).contains(&mark.value) {
                format!("{}%", mark.value)
            } else {
                String::new()
            }
        })
        .custom_y_axes(vec![
            AxisHints::new_y()
                .formatter(move |mark, _range| {
                    unit_at(mark.value, labels.len())
                        .filter(|_| mark.value.fract() == 0.0)
                        .and_then(|i| labels.get(i))
                        .map_or_else(String::new, |s| (*s).to_string())
                })
                .label_spacing(14.0..=18.0),
        ])
        .x_grid_spacer(percent_marks)
        .y_grid_spacer(move |input| unit_marks(input, n))
        .label_formatter(|_pos: &egui_plot::HoverPosition<'_>| None);
    if reset {
        plot = plot.reset();
    }
    let resp = plot.show(ui, |pui| pui.bar_chart(chart));
    if resp.response.clicked()
        && let Some(pos) = resp.response.interact_pointer_pos()
    {
        let p = resp.transform.value_from_position(pos);
        if let Some(u) = unit_at(p.y, n).and_then(|i| units.get(i)) {
            return Some(u.code.clone());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::Counts;

    fn row(code: &str, total: i64, surveyed: i64) -> StatRow {
        StatRow {
            level: AdminLevel::Village,
            code: code.into(),
            name: format!("村{code}"),
            counts: Counts {
                parcels_total: total,
                surveyed,
                not_surveyed: total - surveyed,
                ..Default::default()
            },
        }
    }

    #[test]
    fn ranks_skip_unassigned_and_empty_units() {
        let rows = vec![
            row("640324100002", 4, 2),
            row("", 3, 3),
            row("640324100001", 4, 4),
            row("640324100003", 0, 0),
            row("640324100004", 4, 2),
        ];
        let r = ranked_rows(rows, Convention::Exclusive);
        let got: Vec<(&str, Option<usize>)> =
            r.iter().map(|x| (x.row.code.as_str(), x.rank)).collect();
        assert_eq!(
            got,
            vec![
                ("640324100001", Some(1)),
                ("640324100002", Some(2)),
                ("640324100004", Some(3)),
                ("", None),
                ("640324100003", None),
            ]
        );
    }

    #[test]
    fn sorting_keeps_missing_values_last_and_breaks_ties_by_code() {
        let mut r = ranked_rows(
            vec![
                row("640324100002", 4, 2),
                row("640324100001", 4, 4),
                row("640324100003", 0, 0),
                row("640324100004", 4, 2),
            ],
            Convention::Exclusive,
        );
        let order = SortOrder::default().clicked(StatColumn::Completion);
        assert!(order.descending);
        sort_rows(&mut r, order, Convention::Exclusive);
        let codes: Vec<&str> = r.iter().map(|x| x.row.code.as_str()).collect();
        assert_eq!(
            codes,
            vec![
                "640324100001",
                "640324100002",
                "640324100004",
                "640324100003"
            ]
        );
        let asc = order.clicked(StatColumn::Completion);
        assert!(!asc.descending);
        sort_rows(&mut r, asc, Convention::Exclusive);
        let codes: Vec<&str> = r.iter().map(|x| x.row.code.as_str()).collect();
        assert_eq!(
            codes,
            vec![
                "640324100002",
                "640324100004",
                "640324100001",
                "640324100003"
            ]
        );
        assert_eq!(
            StatColumn::Completion.cell_text(&r[3], Convention::Exclusive, Lang::Zh),
            "—"
        );
        assert_eq!(
            StatColumn::Completion.cell_text(&r[0], Convention::Exclusive, Lang::Zh),
            "50.00%"
        );
    }

    #[test]
    fn units_map_to_their_villages() {
        let v = |code: &str| Village {
            code: code.into(),
            name: "x".into(),
            township_name: String::new(),
            county_name: String::new(),
        };
        let villages = vec![
            Village::unassigned(),
            v("640324100001"),
            v("640324101001"),
            v("640324100002"),
        ];
        assert_eq!(
            villages_of_unit(&villages, AdminLevel::Township, "640324100"),
            vec![VillageId(1), VillageId(3)]
        );
        assert_eq!(
            villages_of_unit(&villages, AdminLevel::Village, "640324101001"),
            vec![VillageId(2)]
        );
        assert_eq!(
            villages_of_unit(&villages, AdminLevel::County, ""),
            vec![VillageId::UNASSIGNED]
        );
    }

    #[test]
    fn colours_names_and_marks() {
        assert_eq!(rate_color(None), Color32::from_rgb(190, 190, 190));
        assert_eq!(
            rate_color(Rate::new(59, 100)),
            Color32::from_rgb(215, 48, 39)
        );
        assert_eq!(
            rate_color(Rate::new(60, 100)),
            Color32::from_rgb(253, 174, 97)
        );
        assert_eq!(
            rate_color(Rate::new(9, 10)),
            Color32::from_rgb(44, 123, 182)
        );
        assert_eq!(short_name("富兴村民委员会", AdminLevel::Village, 8), "富兴");
        assert_eq!(
            short_name("一二三四五六七八九", AdminLevel::Township, 8),
            "一二三四五六七…"
        );
        let marks = unit_marks(
            GridInput {
                bounds: (-9.5, 0.5),
                base_step_size: 0.3,
            },
            5,
        );
        let values: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(values, vec![-0.0, -1.0, -2.0, -3.0, -4.0]);
        let sparse = unit_marks(
            GridInput {
                bounds: (-150.0, 0.5),
                base_step_size: 7.0,
            },
            120,
        );
        assert!(sparse.iter().all(|m| (m.value / 10.0).fract() == 0.0));
        assert_eq!(unit_at(-2.1, 5), Some(2));
        assert_eq!(unit_at(-2.5, 5), None);
        assert_eq!(unit_at(-7.0, 5), None);
    }
}
