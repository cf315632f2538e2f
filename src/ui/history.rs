//! 编辑历史 — the edit log of the project file (the `edit_log` table): who changed which field
//! of which feature, when, from what to what, including undo and redo entries.
//!
//! The panel lists the edits of the first selected feature (所选要素) or of the whole project
//! (全部), newest first, at most [`HISTORY_LIMIT`] rows. The store is queried only when the
//! session's revision, the project, the selection, the scope or the language changed (or on
//! 刷新); the formatted rows are cached in [`HistoryState`]. A store error is one red line.

use std::path::PathBuf;

use egui::{Align, Layout, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::app::session::Session;
use crate::domain::codes::Lang;
use crate::domain::edit::Target;
use crate::domain::fields::{Field, FieldKind, Value, parse_bool};
use crate::store::EditLogEntry;
use crate::ui::i18n::tr;

/// Most rows listed (the newest).
pub const HISTORY_LIMIT: usize = 500;

/// Which edits the panel lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HistoryScope {
    /// 全部: every edit of the project.
    #[default]
    All,
    /// 所选要素: the edits of the first selected feature.
    Selected,
}

/// One edit-log row formatted for display.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// Rows of one edit share the group.
    pub group: i64,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub time: String,
    /// Who.
    pub user: String,
    /// 编辑 / 撤销 / 重做.
    pub action: String,
    /// 图斑 / 自建房.
    pub layer: String,
    /// 图斑编码 or 房屋编码 (`fid N` when the code is empty).
    pub feature: String,
    /// Field label.
    pub field: String,
    /// Old value as shown ("—" when empty).
    pub old: String,
    /// New value as shown ("—" when empty).
    pub new: String,
    /// Inspection round of the house at the time (may be empty).
    pub round: String,
}

impl HistoryRow {
    /// Formats an edit-log entry: enum codes become labels, empty values "—".
    pub fn from_entry(e: &EditLogEntry, lang: Lang) -> HistoryRow {
        let field = Field::parse(&e.field).ok();
        let feature = if e.feature_code.trim().is_empty() {
            format!("fid {}", e.fid)
        } else {
            e.feature_code.clone()
        };
        HistoryRow {
            group: e.group,
            time: utc_text(&e.edited_at),
            user: e.user.clone(),
            action: action_label(&e.action, lang),
            layer: layer_label(&e.layer, lang),
            feature,
            field: field.map_or_else(
                || e.field.clone(),
                |f| match lang {
                    Lang::Zh => f.label_zh().to_string(),
                    Lang::En => f.label_en().to_string(),
                },
            ),
            old: value_label(field, &e.old_value, lang),
            new: value_label(field, &e.new_value, lang),
            round: if e.round.trim().is_empty() {
                String::new()
            } else {
                value_label(Some(Field::Round), &e.round, lang)
            },
        }
    }
}

/// `2026-11-21T08:30:12.345Z` → `2026-11-21 08:30:12` (still UTC); other text unchanged.
pub fn utc_text(iso: &str) -> String {
    let t = iso.trim();
    let b = t.as_bytes();
    let shape = b.len() >= 19
        && b.iter().take(19).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T' || *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    match (shape, t.get(..10), t.get(11..19)) {
        (true, Some(date), Some(time)) => format!("{date} {time}"),
        _ => t.to_string(),
    }
}

/// `edit` / `undo` / `redo` → 编辑 / 撤销 / 重做 (other codes unchanged).
pub fn action_label(code: &str, lang: Lang) -> String {
    match code {
        "edit" => tr(lang, "编辑", "Edit").to_string(),
        "undo" => tr(lang, "撤销", "Undo").to_string(),
        "redo" => tr(lang, "重做", "Redo").to_string(),
        other => other.to_string(),
    }
}

/// `parcels` / `buildings` → 图斑 / 自建房 (other codes unchanged).
pub fn layer_label(code: &str, lang: Lang) -> String {
    match code {
        "parcels" => tr(lang, "图斑", "Parcel").to_string(),
        "buildings" => tr(lang, "自建房", "House").to_string(),
        other => other.to_string(),
    }
}

/// A logged value as shown: enum and set codes as labels, booleans as 是/否, empty as "—".
pub fn value_label(field: Option<Field>, text: &str, lang: Lang) -> String {
    if text.trim().is_empty() {
        return "—".to_string();
    }
    let shown = match field {
        Some(f) => match f.kind() {
            FieldKind::Enum(_) | FieldKind::Set(_) => {
                f.display_value(&Value::Text(text.trim().to_string()), lang)
            }
            FieldKind::Bool => parse_bool(text).map_or_else(
                || text.to_string(),
                |b| f.display_value(&Value::Bool(b), lang),
            ),
            _ => text.to_string(),
        },
        None => text.to_string(),
    };
    if shown.trim().is_empty() {
        "—".to_string()
    } else {
        shown
    }
}

#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    project: PathBuf,
    revision: u64,
    scope: HistoryScope,
    target: Option<Target>,
    lang: Lang,
    refresh: u64,
}

#[derive(Debug)]
struct HistoryCache {
    key: CacheKey,
    rows: Result<Vec<HistoryRow>, String>,
}

/// Persistent state of the history panel.
#[derive(Debug, Default)]
pub struct HistoryState {
    /// Selected feature or whole project.
    pub scope: HistoryScope,
    /// Bumped by 刷新 to force a new query.
    refresh: u64,
    cache: Option<HistoryCache>,
}

fn load(session: &Session, target: Option<Target>, lang: Lang) -> Result<Vec<HistoryRow>, String> {
    session
        .project
        .edit_log(target, HISTORY_LIMIT)
        .map(|entries| {
            entries
                .iter()
                .map(|e| HistoryRow::from_entry(e, lang))
                .collect()
        })
        .map_err(|e| e.to_string())
}

fn feature_name(session: &Session, t: Target, lang: Lang) -> String {
    let s = &session.project.data().survey;
    match t {
        Target::Parcel(i) => format!(
            "{} {}",
            tr(lang, "图斑", "Parcel"),
            s.parcels
                .get(i as usize)
                .map_or_else(|| format!("#{}", i + 1), |p| p.code.clone())
        ),
        Target::Building(i) => format!(
            "{} {}",
            tr(lang, "自建房", "House"),
            s.buildings
                .get(i as usize)
                .map_or_else(|| format!("#{}", i + 1), |b| b.code.clone())
        ),
    }
}

/// Shows the edit log.
pub fn history_ui(ui: &mut egui::Ui, session: &Session, state: &mut HistoryState, lang: Lang) {
    let target = session.selection.first().copied();
    ui.horizontal(|ui| {
        ui.label(tr(lang, "范围：", "Show:"));
        ui.selectable_value(
            &mut state.scope,
            HistoryScope::Selected,
            tr(lang, "所选要素", "Selected feature"),
        );
        ui.selectable_value(&mut state.scope, HistoryScope::All, tr(lang, "全部", "All"));
        if ui
            .button(tr(lang, "刷新", "Refresh"))
            .on_hover_text(tr(lang, "重新读取编辑日志", "Read the edit log again"))
            .clicked()
        {
            state.refresh = state.refresh.wrapping_add(1);
        }
        if state.scope == HistoryScope::Selected
            && let Some(t) = target
        {
            ui.separator();
            ui.label(feature_name(session, t, lang));
        }
    });

    let wanted = match state.scope {
        HistoryScope::All => None,
        HistoryScope::Selected => target,
    };
    let key = CacheKey {
        project: session.project.file().path().to_path_buf(),
        revision: session.revision,
        scope: state.scope,
        target: wanted,
        lang,
        refresh: state.refresh,
    };
    if state.cache.as_ref().is_none_or(|c| c.key != key) {
        let rows = if state.scope == HistoryScope::Selected && target.is_none() {
            Ok(Vec::new())
        } else {
            load(session, wanted, lang)
        };
        state.cache = Some(HistoryCache { key, rows });
    }
    let Some(cache) = state.cache.as_ref() else {
        return;
    };

    match &cache.rows {
        Err(e) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "{}：{e}",
                    tr(lang, "读取编辑历史失败", "Could not read the edit history")
                ),
            );
        }
        Ok(rows) if rows.is_empty() => {
            if state.scope == HistoryScope::Selected && target.is_none() {
                ui.weak(tr(
                    lang,
                    "未选择要素：请在地图上点选一个图斑或自建房",
                    "Nothing selected: click a parcel or a house on the map",
                ));
            } else {
                ui.weak(tr(lang, "暂无编辑记录", "No edits yet"));
            }
        }
        Ok(rows) => {
            let count = if rows.len() >= HISTORY_LIMIT {
                format!(
                    "{} {}",
                    tr(lang, "仅显示最近", "Showing the newest"),
                    rows.len()
                )
            } else {
                format!("{} {}", tr(lang, "共", "Entries:"), rows.len())
            };
            ui.weak(count);
            table_ui(ui, rows, lang);
        }
    }
}

fn arrow_ui(ui: &mut Ui, old: &str, new: &str, strong: bool) {
    let text = |t: &str| {
        let r = RichText::new(t.to_string());
        if strong { r.strong() } else { r }
    };
    ui.label(text(old));
    // the arrow is in the monospace font only
    ui.label(RichText::new("→").monospace());
    ui.label(text(new));
}

fn table_ui(ui: &mut Ui, rows: &[HistoryRow], lang: Lang) {
    let row_h = ui
        .text_style_height(&egui::TextStyle::Body)
        .max(ui.spacing().interact_size.y)
        + 2.0;
    ui.scope(|ui| {
        ui.style_mut().interaction.selectable_labels = false;
        TableBuilder::new(ui)
            .id_salt("history_table")
            .striped(true)
            .resizable(true)
            .cell_layout(Layout::left_to_right(Align::Center))
            .auto_shrink([false, false])
            .min_scrolled_height(0.0)
            .column(Column::initial(140.0).at_least(60.0).clip(true))
            .column(Column::initial(70.0).at_least(30.0).clip(true))
            .column(Column::initial(48.0).at_least(30.0).clip(true))
            .column(Column::initial(52.0).at_least(30.0).clip(true))
            .column(Column::initial(130.0).at_least(40.0).clip(true))
            .column(Column::initial(100.0).at_least(40.0).clip(true))
            .column(Column::remainder().at_least(120.0).clip(true))
            .header(row_h, |mut header| {
                for label in [
                    tr(lang, "时间（UTC）", "Time (UTC)"),
                    tr(lang, "用户", "User"),
                    tr(lang, "操作", "Action"),
                    tr(lang, "图层", "Layer"),
                    tr(lang, "要素", "Feature"),
                    tr(lang, "字段", "Field"),
                ] {
                    header.col(|ui| {
                        ui.label(RichText::new(label).strong());
                    });
                }
                header.col(|ui| {
                    arrow_ui(
                        ui,
                        tr(lang, "原值", "Old value"),
                        tr(lang, "新值", "New value"),
                        true,
                    );
                });
            })
            .body(|body| {
                body.rows(row_h, rows.len(), |mut row| {
                    let i = row.index();
                    let Some(r) = rows.get(i) else {
                        return;
                    };
                    // a line above the first row of each edit (rows of one edit share a group)
                    let first_of_group =
                        i > 0 && rows.get(i - 1).is_some_and(|p| p.group != r.group);
                    row.set_overline(first_of_group);
                    row.col(|ui| {
                        ui.label(&r.time);
                    });
                    row.col(|ui| {
                        ui.label(&r.user);
                    });
                    row.col(|ui| {
                        ui.label(&r.action);
                    });
                    row.col(|ui| {
                        ui.label(&r.layer);
                    });
                    row.col(|ui| {
                        let resp = ui.label(&r.feature);
                        if !r.round.is_empty() {
                            resp.on_hover_text(format!(
                                "{}：{}",
                                tr(lang, "轮次", "Round"),
                                r.round
                            ));
                        }
                    });
                    row.col(|ui| {
                        ui.label(&r.field);
                    });
                    row.col(|ui| {
                        arrow_ui(ui, &r.old, &r.new, false);
                    });
                });
            });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(field: &str, old: &str, new: &str) -> EditLogEntry {
        EditLogEntry {
            id: 1,
            group: 7,
            edited_at: "2026-11-21T08:30:12.345Z".into(),
            user: "张三".into(),
            action: "undo".into(),
            layer: "parcels".into(),
            fid: 3,
            feature_code: String::new(),
            field: field.into(),
            old_value: old.into(),
            new_value: new.into(),
            round: String::new(),
        }
    }

    #[test]
    fn formats_times_and_codes() {
        assert_eq!(utc_text("2026-11-21T08:30:12.345Z"), "2026-11-21 08:30:12");
        assert_eq!(utc_text("2026-11-21 08:30:12"), "2026-11-21 08:30:12");
        assert_eq!(utc_text("yesterday"), "yesterday");
        assert_eq!(utc_text("2026-11-21T08:3"), "2026-11-21T08:3");
        assert_eq!(action_label("redo", Lang::Zh), "重做");
        assert_eq!(layer_label("buildings", Lang::Zh), "自建房");
        assert_eq!(layer_label("buildings", Lang::En), "House");
    }

    #[test]
    fn rows_show_labels_and_dashes() {
        let f = Field::SurveyStatus;
        let code = crate::domain::codes::SurveyStatus::Surveyed;
        let code = crate::domain::codes::Coded::code(code);
        let r = HistoryRow::from_entry(&entry(f.key(), "", code), Lang::Zh);
        assert_eq!(r.old, "—");
        assert_eq!(r.new, "已排查");
        assert_eq!(r.field, f.label_zh());
        assert_eq!(r.action, "撤销");
        assert_eq!(r.layer, "图斑");
        assert_eq!(r.feature, "fid 3");
        assert_eq!(r.time, "2026-11-21 08:30:12");
        let unknown = HistoryRow::from_entry(&entry("no_such_field", "a", "b"), Lang::En);
        assert_eq!(
            (unknown.field.as_str(), unknown.old.as_str()),
            ("no_such_field", "a")
        );
    }
}
