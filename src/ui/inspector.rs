//! The inspector: the selected parcel (图斑) and its houses (自建房), with the house form grouped
//! as the official form (基本情况, 建设情况, 排查情况, 整治情况, 回头看), dropdowns of the official
//! values, rule violations inline and the derived flags read-only. Every change is a command
//! applied (and saved) at once.

use std::collections::HashMap;

use egui::{Color32, RichText};

use crate::app::session::{Command, Session};
use crate::domain::codes::{Coded, Lang};
use crate::domain::edit::Target;
use crate::domain::fields::{Field, FieldKind, Value};
use crate::ui::i18n::tr;

/// Text being typed into fields, until committed with Enter or by leaving the field.
#[derive(Debug, Default)]
pub struct InspectorState {
    buffers: HashMap<(Target, Field), String>,
    errors: HashMap<(Target, Field), String>,
}

/// Form sections of a house: (Chinese, English, fields).
pub const SECTIONS: [(&str, &str, &[Field]); 5] = [
    (
        "基本情况",
        "Basic",
        &[
            Field::UseClass,
            Field::FloorsAbove,
            Field::FloorAreaM2,
            Field::BuiltYear,
            Field::StructureType,
            Field::Occupants,
            Field::CrowdedUse,
        ],
    ),
    (
        "建设情况",
        "Construction",
        &[
            Field::Altered,
            Field::Alterations,
            Field::AlterationApproved,
            Field::UseChanged,
        ],
    ),
    (
        "排查情况",
        "Inspection",
        &[
            Field::Round,
            Field::PrelimHazard,
            Field::AppraisalStatus,
            Field::AppraisalGrade,
        ],
    ),
    (
        "整治情况",
        "Rectification",
        &[
            Field::RectStatus,
            Field::Measures,
            Field::RectDoneAt,
            Field::WarningPosted,
        ],
    ),
    (
        "回头看",
        "Look-back",
        &[Field::LookbackDone, Field::LookbackAt],
    ),
];

fn field_label(f: Field, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => f.label_zh(),
        Lang::En => f.label_en(),
    }
}

fn field_row(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut InspectorState,
    target: Target,
    field: Field,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let current = session
        .project
        .data()
        .survey
        .value(target, field)
        .unwrap_or(Value::Null);
    let label_id = ui.label(field_label(field, lang)).id;
    let key = (target, field);
    let set = |v: Value, commands: &mut Vec<Command>| {
        if v != current {
            commands.push(Command::Edit {
                target,
                values: vec![(field, v)],
            });
        }
    };
    match field.kind() {
        FieldKind::Enum(opts) => {
            let shown = field.display_value(&current, lang);
            egui::ComboBox::from_id_salt(("enum", target_key(target), field.key()))
                .selected_text(if shown.is_empty() {
                    "—".to_string()
                } else {
                    shown
                })
                .show_ui(ui, |ui| {
                    if ui.selectable_label(current.is_null(), "—").clicked() {
                        set(Value::Null, commands);
                    }
                    for (code, zh, en) in opts() {
                        let selected = current == Value::Text(code.to_string());
                        if ui
                            .selectable_label(selected, if lang == Lang::Zh { zh } else { en })
                            .clicked()
                        {
                            set(Value::Text(code.to_string()), commands);
                        }
                    }
                })
                .response
                .labelled_by(label_id);
        }
        FieldKind::Bool => {
            let mut b = matches!(current, Value::Bool(true));
            if ui.checkbox(&mut b, "").labelled_by(label_id).changed() {
                set(Value::Bool(b), commands);
            }
        }
        FieldKind::Set(opts) => {
            let codes: Vec<String> = match &current {
                Value::Text(t) => t.split(',').map(str::to_string).collect(),
                _ => Vec::new(),
            };
            let summary = field.display_value(&current, lang);
            let summary = if summary.is_empty() {
                "—".to_string()
            } else {
                summary
            };
            ui.menu_button(summary, |ui| {
                for (code, zh, en) in opts() {
                    let mut on = codes.iter().any(|c| c == code);
                    if ui
                        .checkbox(&mut on, if lang == Lang::Zh { zh } else { en })
                        .changed()
                    {
                        let mut next: Vec<String> =
                            codes.iter().filter(|c| *c != code).cloned().collect();
                        if on {
                            next.push(code.to_string());
                        }
                        let text = next.join(",");
                        if let Ok(v) = field.parse_value(&text) {
                            set(v, commands);
                        }
                    }
                }
            })
            .response
            .labelled_by(label_id);
        }
        _ => {
            let buf = state
                .buffers
                .entry(key)
                .or_insert_with(|| current.to_text());
            let resp = ui
                .add(egui::TextEdit::singleline(buf).desired_width(140.0))
                .labelled_by(label_id);
            let commit = resp.lost_focus();
            if !resp.has_focus() && !commit {
                // follow the record when not typing (undo, other edits)
                *buf = current.to_text();
            }
            if commit {
                match field.parse_value(buf) {
                    Ok(v) => {
                        state.errors.remove(&key);
                        set(v, commands);
                    }
                    Err(e) => {
                        state.errors.insert(key, e.to_string());
                    }
                }
            }
            if matches!(field.kind(), FieldKind::Date)
                && ui.small_button(tr(lang, "今天", "Today")).clicked()
                && let Some(d) = crate::app::project::today()
            {
                set(Value::Text(d.to_string()), commands);
            }
        }
    }
    ui.end_row();
    if let Some(err) = state.errors.get(&key) {
        ui.label("");
        ui.label(RichText::new(err).color(Color32::RED).small());
        ui.end_row();
    }
}

fn target_key(t: Target) -> (u8, u32) {
    match t {
        Target::Parcel(i) => (0, i),
        Target::Building(i) => (1, i),
    }
}

fn violations_ui(ui: &mut egui::Ui, session: &Session, target: Target, lang: Lang) {
    for v in session.project.data().survey.violations(target) {
        let msg = match lang {
            Lang::Zh => v.rule.message_zh(),
            Lang::En => v.rule.message_en(),
        };
        let house = v
            .building_code
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        ui.label(RichText::new(format!("⚠ {msg}{house}")).color(Color32::from_rgb(200, 40, 40)));
    }
}

fn parcel_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut InspectorState,
    i: u32,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let s = &session.project.data().survey;
    let Some(p) = s.parcels.get(i as usize) else {
        return;
    };
    let v = s.villages.get(p.village.index());
    ui.heading(format!("{} {}", tr(lang, "图斑", "Parcel"), p.code));
    if let Some(v) = v {
        let name = if v.code.is_empty() {
            tr(lang, "未分配", "Unassigned").to_string()
        } else {
            format!("{} {}", v.township_name, v.name)
        };
        ui.label(RichText::new(format!("{name} {}", v.code)).weak());
    }
    ui.horizontal(|ui| {
        ui.label(tr(lang, "排查状态", "Survey status"));
        for (k, st) in crate::domain::codes::SurveyStatus::ALL.iter().enumerate() {
            let on = p.survey_status == *st;
            if ui
                .selectable_label(on, format!("{} {}", k + 1, st.label(lang)))
                .clicked()
                && !on
            {
                commands.push(Command::Edit {
                    target: Target::Parcel(i),
                    values: vec![(Field::SurveyStatus, Value::Text(st.code().to_string()))],
                });
            }
        }
    });
    egui::Grid::new(("parcel_grid", i))
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for f in [Field::Surveyor, Field::SurveyedAt] {
                field_row(ui, session, state, Target::Parcel(i), f, lang, commands);
            }
        });
    violations_ui(ui, session, Target::Parcel(i), lang);
    let houses = s.houses_of(i).to_vec();
    ui.separator();
    ui.label(
        RichText::new(format!(
            "{} ({})",
            tr(lang, "自建房", "Houses"),
            houses.len()
        ))
        .strong(),
    );
    for h in houses {
        building_ui(
            ui,
            session,
            state,
            h,
            lang,
            commands,
            houses_default_open(session, i),
        );
    }
}

fn houses_default_open(session: &Session, parcel: u32) -> bool {
    session.project.data().survey.houses_of(parcel).len() <= 2
}

fn building_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut InspectorState,
    i: u32,
    lang: Lang,
    commands: &mut Vec<Command>,
    open: bool,
) {
    let s = &session.project.data().survey;
    let Some(b) = s.buildings.get(i as usize) else {
        return;
    };
    let title = format!(
        "{} {}{}",
        tr(lang, "房屋", "House"),
        b.code,
        b.appraisal_grade
            .map(|g| format!(" · {}", g.label(lang)))
            .unwrap_or_default()
    );
    egui::CollapsingHeader::new(title)
        .id_salt(("house", i))
        .default_open(open)
        .show(ui, |ui| {
            let target = Target::Building(i);
            for (zh, en, fields) in SECTIONS {
                ui.label(
                    RichText::new(tr(lang, zh, en))
                        .strong()
                        .color(Color32::from_rgb(40, 90, 160)),
                );
                egui::Grid::new(("house_grid", i, zh))
                    .num_columns(2)
                    .spacing([8.0, 3.0])
                    .show(ui, |ui| {
                        for f in fields {
                            field_row(ui, session, state, target, *f, lang, commands);
                        }
                    });
            }
            let d = b.derived();
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(tr(lang, "派生标志：", "Derived:")).weak());
                for (on, zh, en) in [
                    (d.hazardous, "存在安全隐患", "hazardous"),
                    (d.priority, "重点", "priority"),
                    (d.commercial, "经营性", "commercial"),
                    (d.three_plus_floors, "三层及以上", "≥3 floors"),
                    (d.crowded, "人员密集", "crowded"),
                    (d.illegal_alteration, "违规改扩建", "illegal alteration"),
                ] {
                    if on {
                        ui.label(
                            RichText::new(tr(lang, zh, en))
                                .background_color(Color32::from_rgb(255, 236, 200)),
                        );
                    }
                }
            });
            violations_ui(ui, session, target, lang);
        });
}

/// Shows the inspector for the selection.
pub fn inspector_ui(
    ui: &mut egui::Ui,
    session: &Session,
    state: &mut InspectorState,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        match session.selection.as_slice() {
            [] => {
                ui.label(tr(lang, "在地图上点击图斑或房屋以查看和编辑。", "Click a parcel or house on the map to inspect and edit it."));
                ui.add_space(8.0);
                ui.label(RichText::new(tr(
                    lang,
                    "快捷键：1/2/3 排查状态 · A/B/C/D 鉴定等级 · N/P 下一个/上一个未排查图斑 · Ctrl+Z 撤销 · Ctrl+Shift+Z 重做 · Home 全图 · Shift+点击 加选 · Ctrl+拖动 框选",
                    "Keys: 1/2/3 survey status · A/B/C/D grade · N/P next/previous unsurveyed parcel · Ctrl+Z undo · Ctrl+Shift+Z redo · Home full extent · Shift+click add · Ctrl+drag box select",
                )).weak());
            }
            [first, rest @ ..] => {
                if !rest.is_empty() {
                    ui.label(RichText::new(format!("{} {}", tr(lang, "已选择", "Selected"), rest.len() + 1)).strong());
                    ui.label(RichText::new(tr(lang, "快捷键作用于全部所选要素；下面显示第一个。", "Keys apply to all selected; the first is shown below.")).weak());
                    ui.separator();
                }
                match *first {
                    Target::Parcel(i) => parcel_ui(ui, session, state, i, lang, commands),
                    Target::Building(i) => {
                        let parcel = session.project.data().survey.buildings.get(i as usize).and_then(|b| b.parcel);
                        building_ui(ui, session, state, i, lang, commands, true);
                        if let Some(p) = parcel {
                            ui.separator();
                            if ui.link(tr(lang, "转到所在图斑", "Go to its parcel")).clicked() {
                                commands.push(Command::Select { targets: vec![Target::Parcel(p)], add: false });
                            }
                        } else {
                            ui.label(RichText::new(tr(lang, "该房屋不在任何图斑内", "This house lies in no parcel")).color(Color32::from_rgb(200, 40, 40)));
                        }
                    }
                }
            }
        }
    });
}
