//! The desktop application shell (eframe): menus, panels, keyboard shortcuts, drag-and-drop,
//! background jobs with a progress window, dialogs, persistence of UI settings. Panels push
//! [`Command`]s; the shell applies them after the frame, reports errors and saves nothing
//! itself: every edit goes through the project's store.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use crate::app::export::{ExportLayer, add_source_attrs, properties};
use crate::app::import::ImportRequest;
use crate::app::jobs::{Job, JobResult};
use crate::app::project::Project;
use crate::app::session::{Command, Outcome, Session};
use crate::app::theme::Theme;
use crate::domain::codes::{AppraisalGrade, Coded, Lang, SurveyStatus};
use crate::domain::edit::Target;
use crate::domain::fields::{Field, Value};
use crate::ui::filter_panel::{FilterAction, FilterPanelState, filter_panel_ui};
use crate::ui::history::{HistoryState, history_ui};
use crate::ui::i18n::tr;
use crate::ui::import_wizard::{ImportWizard, import_wizard_ui};
use crate::ui::inspector::{InspectorState, inspector_ui};
use crate::ui::map::{MapState, MapView, map_ui};
use crate::ui::stats_panel::{StatsPanelState, stats_panel_ui};
use crate::ui::{colors, fonts};

/// UI settings kept between runs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// 中文 (true) or English.
    pub chinese: bool,
    /// Map theme code.
    pub theme: String,
    /// Recently opened projects, newest first.
    pub recent: Vec<PathBuf>,
    /// Last view per project path.
    pub last_view: Option<(PathBuf, MapView)>,
    /// Panels shown.
    pub show_left: bool,
    /// Inspector shown.
    pub show_right: bool,
    /// Bottom panel shown.
    pub show_bottom: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            chinese: true,
            theme: Theme::SurveyStatus.code().into(),
            recent: Vec::new(),
            last_view: None,
            show_left: true,
            show_right: true,
            show_bottom: true,
        }
    }
}

const SETTINGS_KEY: &str = "fangcha_settings";

/// Which tab of the bottom panel is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BottomTab {
    Stats,
    History,
}

/// A file dialog running off the UI thread.
#[derive(Debug)]
enum DialogPurpose {
    Open,
    Export,
}

/// The application.
#[derive(Debug)]
pub struct FangchaApp {
    /// The open project, if any.
    pub session: Option<Session>,
    /// Map widget state.
    pub map: MapState,
    /// Persisted settings.
    pub settings: Settings,
    /// The background job, if one runs.
    pub job: Option<Job>,
    /// Last status message.
    pub status: String,
    /// An error to show in a window.
    pub error: Option<String>,
    /// Import report of the last import, shown once.
    pub report: Option<String>,
    inspector: InspectorState,
    filter: FilterPanelState,
    stats: StatsPanelState,
    history: HistoryState,
    wizard: ImportWizard,
    bottom_tab: BottomTab,
    dialog: Option<(DialogPurpose, Receiver<Option<PathBuf>>)>,
    user: String,
    commands: Vec<Command>,
    /// Time spent in the last `ui` call, ms.
    pub frame_ms: f64,
    /// Per-frame timings appended to the file named by `FANGCHA_FRAME_LOG`, when set (for
    /// measuring interaction: ui ms, map ms, fresh map, dots, parcels, houses drawn).
    frame_log: Option<std::io::BufWriter<std::fs::File>>,
    /// Don't pop up the report of the next import (the bundled sample on first start).
    quiet_import: bool,
}

/// The bundled sample folder: `FANGCHA_SAMPLE_DIR`, next to the executable's repository, or the
/// source tree's.
pub fn sample_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FANGCHA_SAMPLE_DIR") {
        return PathBuf::from(d);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(4) {
            let d = dir.join("sample-data");
            if d.is_dir() {
                return d;
            }
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

/// The import of the bundled 宝安 sample into `output`.
pub fn sample_request(output: PathBuf) -> ImportRequest {
    let s = sample_dir().join("baoan");
    ImportRequest {
        parcels: s.join("buildings.geojson"),
        buildings: Some(s.join("buildings.geojson")),
        villages: Some(s.join("communities_generated.geojson")),
        village_names: vec![s.join("admin_440306.csv")],
        overlays: vec![s.join("boundary.geojson")],
        output,
        overwrite: true,
        ..Default::default()
    }
}

fn default_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "fangcha".into())
}

impl FangchaApp {
    /// An app with no project yet.
    pub fn empty(ctx: &egui::Context, settings: Settings) -> FangchaApp {
        fonts::install(ctx);
        ctx.set_theme(egui::Theme::Light);
        FangchaApp {
            session: None,
            map: MapState::new(),
            settings,
            job: None,
            status: String::new(),
            error: None,
            report: None,
            inspector: InspectorState::default(),
            filter: FilterPanelState::default(),
            stats: StatsPanelState::default(),
            history: HistoryState::default(),
            wizard: ImportWizard::default(),
            bottom_tab: BottomTab::Stats,
            dialog: None,
            user: default_user(),
            commands: Vec::new(),
            frame_ms: 0.0,
            frame_log: std::env::var_os("FANGCHA_FRAME_LOG")
                .and_then(|p| std::fs::File::create(p).ok())
                .map(std::io::BufWriter::new),
            quiet_import: false,
        }
    }

    /// An app on an already open project (tests, scripts).
    pub fn with_project(ctx: &egui::Context, project: Project) -> FangchaApp {
        let mut app = FangchaApp::empty(ctx, Settings::default());
        app.set_project(project);
        app
    }

    /// The app as eframe starts it: `path` if given, else the last project, else the bundled
    /// sample (imported into the data folder on first start, in the background).
    pub fn new(cc: &eframe::CreationContext<'_>, path: Option<PathBuf>) -> FangchaApp {
        let settings: Settings = cc
            .storage
            .and_then(|s| s.get_string(SETTINGS_KEY))
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let mut app = FangchaApp::empty(&cc.egui_ctx, settings);
        let target = path.or_else(|| app.settings.recent.first().filter(|p| p.is_file()).cloned());
        match target {
            Some(p) => app.job = Some(Job::open(p, app.user.clone())),
            None => {
                let dir = eframe::storage_dir("fangcha").unwrap_or_else(std::env::temp_dir);
                let _ = std::fs::create_dir_all(&dir);
                let sample = dir.join("baoan-sample.gpkg");
                app.job = Some(if sample.is_file() {
                    Job::open(sample, app.user.clone())
                } else {
                    app.quiet_import = true;
                    Job::import(sample_request(sample), app.user.clone())
                });
            }
        }
        app
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        if self.settings.chinese {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    fn set_project(&mut self, project: Project) {
        let path = project.file().path().to_path_buf();
        self.settings.recent.retain(|p| p != &path);
        self.settings.recent.insert(0, path.clone());
        self.settings.recent.truncate(10);
        let mut session = Session::new(project);
        session.theme = Theme::parse(&self.settings.theme).unwrap_or_default();
        self.map = MapState::new();
        if let Some((p, view)) = &self.settings.last_view
            && *p == path
        {
            self.map.view = *view;
            self.map.fitted = true;
            session.zoom_request = None;
        }
        self.status = format!("{} {}", tr(self.lang(), "已打开", "Opened"), path.display());
        self.session = Some(session);
        self.inspector = InspectorState::default();
        self.history = HistoryState::default();
    }

    /// Queues a command (applied after the current frame's widgets).
    pub fn push(&mut self, cmd: Command) {
        self.commands.push(cmd);
    }

    /// Applies queued commands now.
    pub fn apply_commands(&mut self) {
        let lang = self.lang();
        let cmds = std::mem::take(&mut self.commands);
        let Some(session) = self.session.as_mut() else {
            return;
        };
        for cmd in cmds {
            if let Command::SetTheme(t) = &cmd {
                self.settings.theme = t.code().into();
            }
            match session.apply(cmd) {
                Ok(Outcome::Saved(e)) => {
                    let what: Vec<String> = e
                        .changes
                        .iter()
                        .filter(|c| c.old != c.new)
                        .map(|c| {
                            let lbl = if lang == Lang::Zh {
                                c.field.label_zh()
                            } else {
                                c.field.label_en()
                            };
                            format!(
                                "{lbl}: {} → {}",
                                show(c.field, &c.old, lang),
                                show(c.field, &c.new, lang)
                            )
                        })
                        .collect();
                    self.status = format!("✔ {} {}", tr(lang, "已保存", "Saved"), what.join("，"));
                }
                Ok(Outcome::Undone(_)) => self.status = tr(lang, "已撤销", "Undone").into(),
                Ok(Outcome::Redone(_)) => self.status = tr(lang, "已重做", "Redone").into(),
                Ok(Outcome::Nothing) => self.status = tr(lang, "无可操作", "Nothing to do").into(),
                Ok(Outcome::None) => {}
                Err(e) => {
                    self.status = format!("✖ {e}");
                    self.error = Some(e.to_string());
                }
            }
        }
    }

    fn targets_for(&self, layer_parcel: bool) -> Vec<Target> {
        let Some(s) = &self.session else {
            return Vec::new();
        };
        let survey = &s.project.data().survey;
        let mut out = Vec::new();
        for t in &s.selection {
            match (*t, layer_parcel) {
                (Target::Parcel(i), true) => out.push(Target::Parcel(i)),
                (Target::Building(i), true) => {
                    if let Some(p) = survey.buildings.get(i as usize).and_then(|b| b.parcel) {
                        out.push(Target::Parcel(p));
                    }
                }
                (Target::Building(i), false) => out.push(Target::Building(i)),
                (Target::Parcel(i), false) => {
                    out.extend(survey.houses_of(i).iter().map(|&h| Target::Building(h)))
                }
            }
        }
        out.dedup();
        out
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let undo = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
        let redo = KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        let new = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
        if ctx.input_mut(|i| i.consume_shortcut(&redo)) {
            self.push(Command::Redo);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&undo)) {
            self.push(Command::Undo);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            self.start_dialog(DialogPurpose::Open);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&new)) {
            self.wizard.open = true;
        }
        if ctx.egui_wants_keyboard_input() || self.session.is_none() {
            return;
        }
        let pressed = |k: Key| ctx.input(|i| i.key_pressed(k) && i.modifiers.is_none());
        for (k, st) in [
            (Key::Num1, SurveyStatus::NotSurveyed),
            (Key::Num2, SurveyStatus::InProgress),
            (Key::Num3, SurveyStatus::Surveyed),
        ] {
            if pressed(k) {
                for t in self.targets_for(true) {
                    self.push(Command::Edit {
                        target: t,
                        values: vec![(Field::SurveyStatus, Value::Text(st.code().into()))],
                    });
                }
            }
        }
        for (k, g) in [
            (Key::A, AppraisalGrade::A),
            (Key::B, AppraisalGrade::B),
            (Key::C, AppraisalGrade::C),
            (Key::D, AppraisalGrade::D),
        ] {
            if pressed(k) {
                for t in self.targets_for(false) {
                    self.push(Command::Edit {
                        target: t,
                        values: vec![(Field::AppraisalGrade, Value::Text(g.code().into()))],
                    });
                }
            }
        }
        if pressed(Key::N) {
            self.push(Command::NextUnsurveyed { forward: true });
        }
        if pressed(Key::P) {
            self.push(Command::NextUnsurveyed { forward: false });
        }
        if pressed(Key::Home) {
            self.push(Command::ZoomToExtent);
        }
        if pressed(Key::Z) {
            self.push(Command::ZoomToSelection);
        }
        if pressed(Key::Escape) {
            self.push(Command::ClearSelection);
            self.map.chooser = None;
        }
    }

    fn start_dialog(&mut self, purpose: DialogPurpose) {
        if self.dialog.is_some() {
            return;
        }
        let (tx, rx) = channel();
        let lang = self.lang();
        let spawned = match purpose {
            DialogPurpose::Open => {
                std::thread::Builder::new()
                    .name("dialog".into())
                    .spawn(move || {
                        let f = rfd::FileDialog::new()
                            .set_title(tr(lang, "打开项目", "Open project"))
                            .add_filter("GeoPackage", &["gpkg"])
                            .pick_file();
                        let _ = tx.send(f);
                    })
            }
            DialogPurpose::Export => {
                std::thread::Builder::new()
                    .name("dialog".into())
                    .spawn(move || {
                        let f = rfd::FileDialog::new()
                            .set_title(tr(lang, "导出 GeoJSON", "Export GeoJSON"))
                            .add_filter("GeoJSON", &["geojson", "json"])
                            .set_file_name("筛选结果.geojson")
                            .save_file();
                        let _ = tx.send(f);
                    })
            }
        };
        match spawned {
            Ok(_) => self.dialog = Some((purpose, rx)),
            Err(e) => self.error = Some(format!("cannot open a file dialog: {e}")),
        }
    }

    /// Starts exporting the filter result to `path` in the background.
    pub fn export_filter_result(&mut self, path: PathBuf) {
        let Some(s) = &self.session else { return };
        let d = s.project.data();
        let geoms = match s.filter_layer {
            ExportLayer::Parcels => &d.parcel_geoms,
            ExportLayer::Buildings => &d.building_geoms,
        };
        let layer = match s.filter_layer {
            ExportLayer::Parcels => crate::domain::fields::Layer::Parcel,
            ExportLayer::Buildings => crate::domain::fields::Layer::Building,
        };
        // imported attributes go along, personal data masked (the CLI can unmask)
        let source = s.project.file().source_attrs(layer).unwrap_or_default();
        let features = s
            .filter_results
            .iter()
            .map(|&i| {
                let mut props = properties(d, s.filter_layer, i);
                let src = source.get(i as usize).and_then(|a| a.as_deref());
                add_source_attrs(&mut props, src, false);
                (geoms.to_multipolygon(i), props)
            })
            .collect();
        self.job = Some(Job::export(path, features));
    }

    fn poll_background(&mut self, ctx: &egui::Context) {
        if let Some((purpose, rx)) = &self.dialog
            && let Ok(result) = rx.try_recv()
        {
            let purpose = match purpose {
                DialogPurpose::Open => DialogPurpose::Open,
                DialogPurpose::Export => DialogPurpose::Export,
            };
            self.dialog = None;
            if let Some(path) = result {
                match purpose {
                    DialogPurpose::Open => self.open_path(path),
                    DialogPurpose::Export => self.export_filter_result(path),
                }
            }
        }
        if let Some(job) = self.job.as_mut() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
            if let Some(result) = job.poll() {
                self.job = None;
                let lang = self.lang();
                match result {
                    JobResult::Opened(p) => self.set_project(*p),
                    JobResult::Imported { report, project } => {
                        if !std::mem::take(&mut self.quiet_import) {
                            self.report = Some(report.to_string());
                        }
                        self.set_project(*project);
                    }
                    JobResult::Exported { count, path } => {
                        self.status = format!(
                            "✔ {} {count} → {}",
                            tr(lang, "已导出", "Exported"),
                            path.display()
                        );
                    }
                    JobResult::Failed(msg) => {
                        self.status = format!("✖ {msg}");
                        self.error = Some(msg);
                    }
                    JobResult::Cancelled => self.status = tr(lang, "已取消", "Cancelled").into(),
                }
            }
        }
    }

    /// Opens a project (.gpkg) or starts the import wizard on a data file.
    pub fn open_path(&mut self, path: PathBuf) {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ext == "gpkg" && is_project(&path) {
            self.job = Some(Job::open(path, self.user.clone()));
        } else if matches!(ext.as_str(), "shp" | "geojson" | "json" | "gpkg") {
            self.wizard.open = true;
            self.wizard.set_parcels(path);
        } else {
            self.error = Some(format!(
                "{}: {}",
                path.display(),
                tr(self.lang(), "不支持的文件类型", "unsupported file type")
            ));
        }
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(lang, "文件", "File"), |ui| {
                if ui
                    .button(tr(
                        lang,
                        "新建项目（导入）…  Ctrl+N",
                        "New project from import…  Ctrl+N",
                    ))
                    .clicked()
                {
                    self.wizard.open = true;
                }
                if ui
                    .button(tr(lang, "打开…  Ctrl+O", "Open…  Ctrl+O"))
                    .clicked()
                {
                    self.start_dialog(DialogPurpose::Open);
                }
                ui.menu_button(tr(lang, "最近打开", "Recent"), |ui| {
                    for p in self.settings.recent.clone() {
                        if ui.button(p.display().to_string()).clicked() {
                            self.open_path(p);
                        }
                    }
                });
                let can_export = self.session.as_ref().is_some_and(|s| s.filter.is_some());
                if ui
                    .add_enabled(
                        can_export,
                        egui::Button::new(tr(lang, "导出筛选结果…", "Export filter result…")),
                    )
                    .clicked()
                {
                    self.start_dialog(DialogPurpose::Export);
                }
                ui.separator();
                if ui.button(tr(lang, "退出", "Quit")).clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button(tr(lang, "编辑", "Edit"), |ui| {
                let (can_undo, can_redo) = self.session.as_ref().map_or((false, false), |s| {
                    (s.project.can_undo(), s.project.can_redo())
                });
                if ui
                    .add_enabled(
                        can_undo,
                        egui::Button::new(tr(lang, "撤销  Ctrl+Z", "Undo  Ctrl+Z")),
                    )
                    .clicked()
                {
                    self.push(Command::Undo);
                }
                if ui
                    .add_enabled(
                        can_redo,
                        egui::Button::new(tr(lang, "重做  Ctrl+Shift+Z", "Redo  Ctrl+Shift+Z")),
                    )
                    .clicked()
                {
                    self.push(Command::Redo);
                }
                if ui
                    .button(tr(lang, "取消选择  Esc", "Clear selection  Esc"))
                    .clicked()
                {
                    self.push(Command::ClearSelection);
                }
            });
            ui.menu_button(tr(lang, "视图", "View"), |ui| {
                if ui
                    .button(tr(lang, "全图  Home", "Full extent  Home"))
                    .clicked()
                {
                    self.push(Command::ZoomToExtent);
                }
                if ui
                    .button(tr(lang, "缩放到所选  Z", "Zoom to selection  Z"))
                    .clicked()
                {
                    self.push(Command::ZoomToSelection);
                }
                ui.separator();
                ui.checkbox(
                    &mut self.settings.show_left,
                    tr(lang, "图层与筛选面板", "Layers & filter panel"),
                );
                ui.checkbox(
                    &mut self.settings.show_right,
                    tr(lang, "属性面板", "Inspector"),
                );
                ui.checkbox(
                    &mut self.settings.show_bottom,
                    tr(lang, "统计与历史面板", "Statistics & history panel"),
                );
            });
            ui.menu_button(tr(lang, "专题", "Theme"), |ui| {
                let current = self.session.as_ref().map(|s| s.theme);
                for t in Theme::ALL {
                    if ui
                        .selectable_label(current == Some(t), t.label(lang))
                        .clicked()
                    {
                        self.push(Command::SetTheme(t));
                    }
                }
            });
            ui.menu_button("语言 Language", |ui| {
                ui.radio_value(&mut self.settings.chinese, true, "中文");
                ui.radio_value(&mut self.settings.chinese, false, "English");
            });
        });
    }

    fn layers_ui(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();
        let Some(s) = &self.session else { return };
        ui.heading(tr(lang, "图层", "Layers"));
        ui.checkbox(
            &mut self.map.show_villages,
            tr(lang, "村/社区界", "Village boundaries"),
        );
        ui.checkbox(&mut self.map.show_parcels, tr(lang, "图斑", "Parcels"));
        ui.checkbox(&mut self.map.show_buildings, tr(lang, "自建房", "Houses"));
        if !s.project.data().overlays.is_empty() {
            ui.checkbox(
                &mut self.map.show_overlays,
                tr(lang, "参考图层", "Overlays"),
            );
        }
        ui.separator();
        ui.horizontal(|ui| {
            ui.heading(tr(lang, "图例", "Legend"));
            egui::ComboBox::new("theme", tr(lang, "专题", "Theme"))
                .selected_text(s.theme.label(lang))
                .show_ui(ui, |ui| {
                    for t in Theme::ALL {
                        if ui.selectable_label(s.theme == t, t.label(lang)).clicked() {
                            self.commands.push(Command::SetTheme(t));
                        }
                    }
                });
        });
        legend_ui(ui, s, lang);
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();
        ui.horizontal(|ui| {
            if let Some([lon, lat]) = self.map.cursor_lonlat {
                ui.monospace(format!("{lon:.6}°E {lat:.6}°N"));
                ui.separator();
            }
            ui.monospace(format!(
                "1:{:.0}",
                self.map.view.meters_per_pt() / 0.000_264_6
            ));
            ui.separator();
            if let Some(s) = &self.session {
                ui.label(format!(
                    "{} {}",
                    tr(lang, "已选", "Selected"),
                    s.selection.len()
                ));
                ui.separator();
            }
            ui.label(&self.status);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(
                    RichText::new(format!(
                        "{} {:.1} ms · {} {:.1} ms · {} {} / {} · {} {}",
                        tr(lang, "地图", "map"),
                        self.map.last_prepare_ms,
                        tr(lang, "界面", "ui"),
                        self.frame_ms,
                        tr(lang, "绘制", "drawn"),
                        self.map.last_drawn.0,
                        self.map.last_drawn.1,
                        tr(lang, "点", "dots"),
                        self.map.last_dots.0,
                    ))
                    .weak(),
                );
            });
        });
    }

    fn windows_ui(&mut self, ctx: &egui::Context) {
        let lang = self.lang();
        if let Some(job) = &self.job {
            let mut cancel = false;
            egui::Window::new(tr(lang, "请稍候", "Working"))
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
                    ui.label(&job.title);
                    ui.add(
                        egui::ProgressBar::new(job.fraction)
                            .show_percentage()
                            .text(&job.stage),
                    );
                    cancel = ui.button(tr(lang, "取消", "Cancel")).clicked();
                });
            if cancel {
                job.cancel();
            }
        }
        if let Some(err) = self.error.clone() {
            let mut open = true;
            egui::Window::new(tr(lang, "错误", "Error"))
                .open(&mut open)
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.label(RichText::new(err).color(egui::Color32::from_rgb(180, 30, 30)));
                });
            if !open {
                self.error = None;
            }
        }
        if let Some(report) = self.report.clone() {
            let mut open = true;
            egui::Window::new(tr(lang, "导入报告", "Import report"))
                .open(&mut open)
                .default_width(640.0)
                .show(ctx, |ui| {
                    egui::ScrollArea::vertical()
                        .max_height(400.0)
                        .show(ui, |ui| {
                            ui.monospace(report);
                        });
                });
            if !open {
                self.report = None;
            }
        }
        if let Some(req) = import_wizard_ui(ctx, &mut self.wizard, lang) {
            self.job = Some(Job::import(req, self.user.clone()));
        }
    }
}

/// Text of a value for the status bar.
fn show(field: Field, v: &Value, lang: Lang) -> String {
    let t = field.display_value(v, lang);
    if t.is_empty() { "—".into() } else { t }
}

/// True when the file is a fangcha project (has the fangcha_meta table).
pub fn is_project(path: &Path) -> bool {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| {
            c.query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'fangcha_meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .is_ok_and(|n| n > 0)
}

fn legend_ui(ui: &mut egui::Ui, s: &Session, lang: Lang) {
    let survey = &s.project.data().survey;
    let classes = s.theme.classes();
    let mut parcel_counts = vec![0usize; classes.len()];
    let mut house_counts = vec![0usize; classes.len()];
    for (i, p) in survey.parcels.iter().enumerate() {
        let c = s.theme.parcel_class(survey, i as u32, p) as usize;
        if let Some(n) = parcel_counts.get_mut(c) {
            *n += 1;
        }
    }
    if s.theme != Theme::SurveyStatus {
        for b in &survey.buildings {
            let c = s.theme.building_class(b) as usize;
            if let Some(n) = house_counts.get_mut(c) {
                *n += 1;
            }
        }
    }
    egui::Grid::new("legend")
        .num_columns(3)
        .spacing([6.0, 3.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label("");
            ui.label(
                RichText::new(if s.theme == Theme::SurveyStatus {
                    tr(lang, "图斑", "parcels")
                } else {
                    tr(lang, "图斑 / 房屋", "parcels / houses")
                })
                .weak(),
            );
            ui.end_row();
            for (k, (zh, en)) in classes.iter().enumerate() {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(18.0, 12.0), egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 2.0, colors::class_color(s.theme, k as u8));
                ui.label(if lang == Lang::Zh { *zh } else { *en });
                if s.theme == Theme::SurveyStatus {
                    ui.label(parcel_counts[k].to_string());
                } else {
                    ui.label(format!("{} / {}", parcel_counts[k], house_counts[k]));
                }
                ui.end_row();
            }
        });
}

impl eframe::App for FangchaApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = std::time::Instant::now();
        let ctx = ui.ctx().clone();
        self.poll_background(&ctx);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if let Some(p) = dropped.into_iter().next() {
            self.open_path(p);
        }
        self.shortcuts(&ctx);
        let lang = self.lang();

        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        if self
            .session
            .as_ref()
            .is_some_and(|s| s.project.is_read_only())
        {
            egui::Panel::top("read_only_banner").show(ui, |ui| {
                ui.label(
                    RichText::new(tr(
                        lang,
                        "只读：此项目正在另一个房查窗口中编辑，本窗口的修改不会保存。请在另一窗口中关闭后重新打开。",
                        "Read-only: this project is being edited in another fangcha window; changes here are refused. Close it there and reopen.",
                    ))
                    .color(egui::Color32::WHITE)
                    .background_color(egui::Color32::from_rgb(190, 40, 40))
                    .strong(),
                );
            });
        }
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        if self.session.is_some() {
            if self.settings.show_left {
                egui::Panel::left("left")
                    .resizable(true)
                    .default_size(300.0)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical()
                            .id_salt("left_scroll")
                            .show(ui, |ui| {
                                self.layers_ui(ui);
                                ui.separator();
                                ui.heading(tr(lang, "筛选", "Filter"));
                                if let Some(s) = &self.session
                                    && let Some(FilterAction::Export) = filter_panel_ui(
                                        ui,
                                        s,
                                        &mut self.filter,
                                        lang,
                                        &mut self.commands,
                                    )
                                {
                                    self.start_dialog(DialogPurpose::Export);
                                }
                            });
                    });
            }
            if self.settings.show_right {
                egui::Panel::right("inspector")
                    .resizable(true)
                    .default_size(360.0)
                    .show(ui, |ui| {
                        ui.heading(tr(lang, "属性", "Inspector"));
                        if let Some(s) = &self.session {
                            inspector_ui(ui, s, &mut self.inspector, lang, &mut self.commands);
                        }
                    });
            }
            if self.settings.show_bottom {
                egui::Panel::bottom("bottom")
                    .resizable(true)
                    .default_size(260.0)
                    .show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.selectable_value(
                                &mut self.bottom_tab,
                                BottomTab::Stats,
                                RichText::new(tr(lang, "统计", "Statistics")).strong(),
                            );
                            ui.selectable_value(
                                &mut self.bottom_tab,
                                BottomTab::History,
                                RichText::new(tr(lang, "编辑历史", "Edit history")).strong(),
                            );
                        });
                        ui.separator();
                        if let Some(s) = &self.session {
                            match self.bottom_tab {
                                BottomTab::Stats => {
                                    stats_panel_ui(ui, s, &mut self.stats, lang, &mut self.commands)
                                }
                                BottomTab::History => history_ui(ui, s, &mut self.history, lang),
                            }
                        }
                    });
            }
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| match &self.session {
                Some(s) => map_ui(ui, s, &mut self.map, lang, &mut self.commands),
                None => {
                    ui.centered_and_justified(|ui| {
                        ui.label(tr(
                            lang,
                            "文件 → 打开项目，或拖入 .gpkg / .shp / .geojson 文件",
                            "File → Open a project, or drop a .gpkg / .shp / .geojson file",
                        ));
                    });
                }
            });
        self.windows_ui(&ctx);
        self.apply_commands();
        if let Some(s) = &self.session {
            self.settings.last_view = Some((s.project.file().path().to_path_buf(), self.map.view));
        }
        self.frame_ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Some(log) = &mut self.frame_log {
            use std::io::Write;
            let _ = writeln!(
                log,
                "{:.2} {:.2} {} {} {} {}",
                self.frame_ms,
                self.map.last_prepare_ms,
                u8::from(self.map.last_fresh),
                self.map.last_dots.0,
                self.map.last_drawn.0,
                self.map.last_drawn.1
            );
            let _ = log.flush();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(text) = serde_json::to_string(&self.settings) {
            storage.set_string(SETTINGS_KEY, text);
        }
    }
}

/// Runs the desktop app (blocking until the window closes).
pub fn run(path: Option<PathBuf>) -> Result<(), eframe::Error> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1500.0, 950.0])
            .with_title("房查 fangcha"),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        "fangcha",
        options,
        Box::new(move |cc| Ok(Box::new(FangchaApp::new(cc, path)))),
    )
}
