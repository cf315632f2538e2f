//! New project from import (新建项目): a window where the user picks the parcels (图斑, required),
//! houses (自建房), village boundaries (村界), a division code list (村名代码表) and a reference
//! layer (参考图层), and the project file to write. Every layer file is read in the background as
//! soon as it is chosen, and the wizard shows what the import will find: the text encoding, the
//! declared and resolved CRS, feature and skipped counts, reader warnings, the first features'
//! attributes and the field mapping, which the user can change. Nothing here blocks the UI
//! thread: file dialogs and reads run on their own threads and are polled every frame.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

use egui::{Color32, RichText};

use crate::app::import::{ImportRequest, split_layer};
use crate::domain::codes::Lang;
use crate::domain::mapping::{FieldOverride, ImportKey, MappedLayer, MatchKind, detect};
use crate::io::read::{ReadOptions, read_layer};
use crate::io::source::{DeclaredCrs, RawLayer};
use crate::spatial::crs::{Reprojector, SourceCrs, resolve, wkt_name};
use crate::spatial::geometry::Bbox;
use crate::ui::i18n::tr;

/// Red used for errors.
const ERROR_RED: Color32 = Color32::from_rgb(190, 30, 30);
/// Amber used for warnings.
const WARN_AMBER: Color32 = Color32::from_rgb(170, 110, 0);
/// Green used for success.
const OK_GREEN: Color32 = Color32::from_rgb(30, 130, 60);

/// Text encodings offered for Shapefile attributes: (value passed to the reader, zh, en).
pub const ENCODINGS: [(Option<&str>, &str, &str); 5] = [
    (None, "自动", "Auto"),
    (Some("UTF-8"), "UTF-8", "UTF-8"),
    (Some("GBK"), "GBK", "GBK"),
    (Some("GB18030"), "GB18030", "GB18030"),
    (Some("Big5"), "Big5", "Big5"),
];

/// Number of features shown in the preview grid.
pub const PREVIEW_ROWS: usize = 5;

/// The files the wizard asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileRole {
    /// 图斑 (required).
    Parcels,
    /// 自建房.
    Buildings,
    /// 村界.
    Villages,
    /// 参考图层.
    Overlay,
    /// 村名代码表 (CSV).
    CodeList,
    /// The project file to write.
    Output,
}

impl FileRole {
    /// The layer files that are read for a preview, in window order.
    pub const LAYERS: [FileRole; 4] = [
        FileRole::Parcels,
        FileRole::Buildings,
        FileRole::Villages,
        FileRole::Overlay,
    ];

    /// Row label.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FileRole::Parcels => tr(lang, "图斑", "Parcels"),
            FileRole::Buildings => tr(lang, "自建房", "Houses"),
            FileRole::Villages => tr(lang, "村界", "Village boundaries"),
            FileRole::Overlay => tr(lang, "参考图层", "Reference layer"),
            FileRole::CodeList => tr(lang, "村名代码表", "Division code list"),
            FileRole::Output => tr(lang, "输出项目", "Project file"),
        }
    }

    /// The field mapping layer of a role, if it has one.
    pub fn mapped_layer(self) -> Option<MappedLayer> {
        match self {
            FileRole::Parcels => Some(MappedLayer::Parcels),
            FileRole::Buildings => Some(MappedLayer::Buildings),
            FileRole::Villages => Some(MappedLayer::Villages),
            _ => None,
        }
    }

    fn slot(self) -> Option<usize> {
        FileRole::LAYERS.iter().position(|r| *r == self)
    }
}

/// What the preview read of a layer found.
#[derive(Debug, Clone)]
pub struct LayerPreview {
    /// Layer name (file stem or GeoPackage table).
    pub name: String,
    /// Text encoding and how it was chosen (Shapefiles).
    pub encoding: Option<String>,
    /// The CRS the file declares.
    pub declared_crs: Option<DeclaredCrs>,
    /// Extent of the polygons in the file's own coordinates.
    pub extent: Bbox,
    /// Polygon features read.
    pub features: usize,
    /// Features skipped, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Warnings of the reader.
    pub warnings: Vec<String>,
    /// Attribute names.
    pub field_names: Vec<String>,
    /// Attribute values of the first features, as text.
    pub sample: Vec<Vec<String>>,
}

impl LayerPreview {
    /// Summarises a layer read in full.
    pub fn of(raw: &RawLayer) -> LayerPreview {
        let mut extent = Bbox::EMPTY;
        for f in &raw.features {
            for p in &f.geometry.0 {
                for c in p.exterior().0.iter() {
                    if c.x.is_finite() && c.y.is_finite() {
                        extent.expand(c.x, c.y);
                    }
                }
            }
        }
        LayerPreview {
            name: raw.name.clone(),
            encoding: raw.encoding.clone(),
            declared_crs: raw.declared_crs.clone(),
            extent,
            features: raw.features.len(),
            skipped: raw.skipped.clone(),
            warnings: raw.warnings.clone(),
            field_names: raw.field_names.clone(),
            sample: raw
                .features
                .iter()
                .take(PREVIEW_ROWS)
                .map(|f| f.attrs.iter().map(|v| short(&v.to_text(), 40)).collect())
                .collect(),
        }
    }

    /// Resolves the source CRS as the import will (`crs` is the user's override).
    pub fn resolve_crs(&self, crs: Option<&str>) -> Result<(SourceCrs, Vec<String>), String> {
        resolve(self.declared_crs.as_ref(), crs, &self.extent).map_err(|e| e.to_string())
    }
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Reads a layer file (`file.gpkg|layername=x` selects a GeoPackage table) for the preview.
pub fn read_preview(text: &str, encoding: Option<&str>) -> Result<LayerPreview, String> {
    let (path, layer) = split_layer(Path::new(text.trim()));
    let opts = ReadOptions {
        encoding: encoding.map(str::to_string),
        layer,
    };
    read_layer(&path, &opts)
        .map(|raw| LayerPreview::of(&raw))
        .map_err(|e| e.to_string())
}

/// The preview of one layer file.
#[derive(Debug, Default)]
enum PreviewState {
    /// No file.
    #[default]
    Empty,
    /// Being read in the background.
    Loading(Receiver<Result<LayerPreview, String>>),
    /// Read (or failed).
    Ready(Result<Arc<LayerPreview>, String>),
}

/// One layer file row and its preview.
#[derive(Debug, Default)]
struct LayerSlot {
    /// The path as typed or chosen.
    path: String,
    /// (path, encoding) of the read shown or running.
    read_for: Option<(String, Option<String>)>,
    preview: PreviewState,
}

impl LayerSlot {
    fn ready(&self) -> Option<&LayerPreview> {
        match &self.preview {
            PreviewState::Ready(Ok(p)) => Some(p),
            _ => None,
        }
    }
}

/// A PROJ check of a resolved CRS, run in the background.
#[derive(Debug)]
enum CrsCheck {
    Pending(Receiver<Option<String>>),
    /// `None` = PROJ builds the transformation; else its error.
    Done(Option<String>),
}

/// The wizard's state.
#[derive(Debug, Default)]
pub struct ImportWizard {
    /// Whether the window is open.
    pub open: bool,
    /// Parcels, houses, villages, overlay (in [`FileRole::LAYERS`] order).
    slots: [LayerSlot; 4],
    /// Division code list (CSV or CSV.gz).
    code_list: String,
    /// The project file to write.
    output: String,
    /// The user typed or chose the output (no longer follows the parcels file).
    output_edited: bool,
    /// Replace an existing output file.
    pub overwrite: bool,
    /// Index into [`ENCODINGS`].
    encoding: usize,
    /// CRS override text; empty = auto.
    crs: String,
    /// Field mapping changes: key → source attribute (`None` = do not map).
    overrides: BTreeMap<ImportKey, Option<String>>,
    /// A file dialog running on its own thread.
    dialog: Option<(FileRole, Receiver<Option<PathBuf>>)>,
    /// PROJ checks by CRS definition.
    crs_checks: HashMap<String, CrsCheck>,
    /// Error of the last dialog start.
    dialog_error: Option<String>,
}

impl ImportWizard {
    /// Opens the wizard with a parcels file chosen (drag-and-drop, File → Open of a data file).
    pub fn set_parcels(&mut self, path: PathBuf) {
        self.set_file(FileRole::Parcels, path);
        self.open = true;
    }

    /// Sets the file of a role (the read starts with the next frame or [`ImportWizard::update`]).
    pub fn set_file(&mut self, role: FileRole, path: PathBuf) {
        let text = path.to_string_lossy().into_owned();
        match role {
            FileRole::CodeList => self.code_list = text,
            FileRole::Output => {
                self.output = with_gpkg_extension(&text);
                self.output_edited = true;
            }
            layer => {
                if let Some(slot) = layer.slot().and_then(|i| self.slots.get_mut(i)) {
                    slot.path = text;
                }
                if layer == FileRole::Parcels {
                    self.default_output();
                }
            }
        }
    }

    /// The path set for a role ("" when none).
    pub fn file(&self, role: FileRole) -> &str {
        match role {
            FileRole::CodeList => &self.code_list,
            FileRole::Output => &self.output,
            layer => layer
                .slot()
                .and_then(|i| self.slots.get(i))
                .map_or("", |s| s.path.as_str()),
        }
    }

    /// Sets the encoding override (`None` = detect); must be one of [`ENCODINGS`].
    pub fn set_encoding(&mut self, encoding: Option<&str>) {
        self.encoding = ENCODINGS
            .iter()
            .position(|(e, _, _)| *e == encoding)
            .unwrap_or(0);
    }

    /// Sets the CRS override text (`EPSG:4527`; empty = auto).
    pub fn set_crs(&mut self, crs: &str) {
        self.crs = crs.to_string();
    }

    /// Sets a field mapping change: `source: None` turns the key off.
    pub fn set_override(&mut self, key: ImportKey, source: Option<String>) {
        self.overrides.insert(key, source);
    }

    /// The preview of a layer role, once read.
    pub fn preview(&self, role: FileRole) -> Option<Result<&LayerPreview, &str>> {
        let slot = self.slots.get(role.slot()?)?;
        match &slot.preview {
            PreviewState::Ready(Ok(p)) => Some(Ok(p.as_ref())),
            PreviewState::Ready(Err(e)) => Some(Err(e.as_str())),
            PreviewState::Empty | PreviewState::Loading(_) => None,
        }
    }

    /// True while a file is being read, a dialog is open or a CRS is being checked.
    pub fn is_busy(&self) -> bool {
        self.dialog.is_some()
            || self
                .slots
                .iter()
                .any(|s| matches!(s.preview, PreviewState::Loading(_)))
            || self
                .crs_checks
                .values()
                .any(|c| matches!(c, CrsCheck::Pending(_)))
    }

    fn encoding_value(&self) -> Option<&'static str> {
        ENCODINGS.get(self.encoding).and_then(|(e, _, _)| *e)
    }

    fn crs_override(&self) -> Option<&str> {
        Some(self.crs.trim()).filter(|c| !c.is_empty())
    }

    fn default_output(&mut self) {
        if self.output_edited {
            return;
        }
        self.output = default_output_for(&self.slots[0].path)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
    }

    /// Starts the reads that are due (a new file or encoding), collects finished reads, dialog
    /// results and CRS checks. Called every frame by [`import_wizard_ui`]; never blocks.
    pub fn update(&mut self) {
        self.poll_dialog();
        let encoding = self.encoding_value();
        for slot in &mut self.slots {
            if let PreviewState::Loading(rx) = &slot.preview {
                match rx.try_recv() {
                    Ok(r) => slot.preview = PreviewState::Ready(r.map(Arc::new)),
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => {
                        slot.preview = PreviewState::Ready(Err(
                            "the reader stopped unexpectedly / 读取意外中止".into(),
                        ));
                    }
                }
            }
            let path = slot.path.trim().to_string();
            if path.is_empty() {
                slot.read_for = None;
                slot.preview = PreviewState::Empty;
                continue;
            }
            let (file, _) = split_layer(Path::new(&path));
            let is_shp = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
            let wanted = (
                path.clone(),
                encoding.filter(|_| is_shp).map(str::to_string),
            );
            if slot.read_for.as_ref() == Some(&wanted) {
                continue;
            }
            slot.read_for = Some(wanted.clone());
            if !file.is_file() {
                slot.preview = PreviewState::Ready(Err(format!(
                    "{}: file not found / 文件不存在",
                    file.display()
                )));
                continue;
            }
            let (tx, rx) = channel();
            let spawned = std::thread::Builder::new()
                .name("import-preview".into())
                .spawn(move || {
                    let _ = tx.send(read_preview(&wanted.0, wanted.1.as_deref()));
                });
            slot.preview = match spawned {
                Ok(_) => PreviewState::Loading(rx),
                Err(e) => PreviewState::Ready(Err(format!("cannot start a reader thread: {e}"))),
            };
        }
        self.update_crs_checks();
    }

    /// Starts PROJ checks of the CRSs the layers resolve to and collects finished ones.
    fn update_crs_checks(&mut self) {
        for check in self.crs_checks.values_mut() {
            if let CrsCheck::Pending(rx) = check {
                match rx.try_recv() {
                    Ok(r) => *check = CrsCheck::Done(r),
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => *check = CrsCheck::Done(None),
                }
            }
        }
        let crs = self.crs_override().map(str::to_string);
        let mut wanted = Vec::new();
        for slot in &self.slots {
            if let Some(p) = slot.ready().filter(|p| p.features > 0)
                && let Ok((c, _)) = p.resolve_crs(crs.as_deref())
                && !c.is_project_lonlat()
            {
                wanted.push(c);
            }
        }
        for c in wanted {
            let def = c.proj_definition();
            if self.crs_checks.contains_key(&def) {
                continue;
            }
            let (tx, rx) = channel();
            let spawned = std::thread::Builder::new()
                .name("crs-check".into())
                .spawn(move || {
                    let _ = tx.send(Reprojector::new(&c).err().map(|e| e.to_string()));
                });
            let check = match spawned {
                Ok(_) => CrsCheck::Pending(rx),
                Err(_) => CrsCheck::Done(None),
            };
            self.crs_checks.insert(def, check);
        }
    }

    /// The PROJ error of a CRS, if the check found one.
    fn crs_problem(&self, crs: &SourceCrs) -> Option<&str> {
        match self.crs_checks.get(&crs.proj_definition()) {
            Some(CrsCheck::Done(Some(e))) => Some(e.as_str()),
            _ => None,
        }
    }

    fn poll_dialog(&mut self) {
        let Some((role, rx)) = &self.dialog else {
            return;
        };
        let role = *role;
        match rx.try_recv() {
            Ok(Some(path)) => {
                self.dialog = None;
                self.set_file(role, path);
            }
            Ok(None) | Err(TryRecvError::Disconnected) => self.dialog = None,
            Err(TryRecvError::Empty) => {}
        }
    }

    /// Opens a file dialog for a role on a background thread (one at a time).
    fn start_dialog(&mut self, role: FileRole, lang: Lang) {
        if self.dialog.is_some() {
            return;
        }
        let start_dir = {
            let (p, _) = split_layer(Path::new(self.file(FileRole::Parcels).trim()));
            p.parent().filter(|d| d.is_dir()).map(Path::to_path_buf)
        };
        let default_name = Path::new(self.output.trim())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "项目.gpkg".to_string());
        let title = format!("{} – {}", tr(lang, "选择", "Choose"), role.label(lang));
        let all_files = tr(lang, "所有文件", "All files");
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("wizard-dialog".into())
            .spawn(move || {
                let mut d = rfd::FileDialog::new().set_title(title);
                if let Some(dir) = start_dir {
                    d = d.set_directory(dir);
                }
                let result = match role {
                    FileRole::Output => d
                        .add_filter("GeoPackage", &["gpkg"])
                        .set_file_name(default_name)
                        .save_file(),
                    FileRole::CodeList => d
                        .add_filter("CSV", &["csv", "gz"])
                        .add_filter(all_files, &["*"])
                        .pick_file(),
                    _ => d
                        .add_filter(
                            "Shapefile / GeoJSON / GeoPackage",
                            &["shp", "geojson", "json", "gpkg"],
                        )
                        .add_filter("Shapefile", &["shp"])
                        .add_filter("GeoJSON", &["geojson", "json"])
                        .add_filter("GeoPackage", &["gpkg"])
                        .pick_file(),
                };
                let _ = tx.send(result);
            });
        match spawned {
            Ok(_) => {
                self.dialog = Some((role, rx));
                self.dialog_error = None;
            }
            Err(e) => self.dialog_error = Some(format!("cannot open a file dialog: {e}")),
        }
    }

    /// The overrides for the request: the user's mapping changes, without those naming an
    /// attribute no loaded layer taking that key has (left over from a file changed since).
    fn override_list(&self) -> Vec<FieldOverride> {
        self.overrides
            .iter()
            .filter(|(key, source)| match source {
                None => true,
                Some(src) => FileRole::LAYERS.iter().any(|role| {
                    let (Some(layer), Some(p)) = (
                        role.mapped_layer(),
                        role.slot()
                            .and_then(|i| self.slots.get(i))
                            .and_then(LayerSlot::ready),
                    ) else {
                        return false;
                    };
                    ImportKey::for_layer(layer).contains(key)
                        && p.field_names.iter().any(|n| n == src)
                }),
            })
            .map(|(key, source)| FieldOverride {
                key: *key,
                source: source.clone(),
            })
            .collect()
    }

    /// The import request, or why the import cannot start yet (in `lang`).
    pub fn request(&self, lang: Lang) -> Result<ImportRequest, String> {
        let crs = self.crs_override();
        let parcels = self.slots[0].path.trim();
        if parcels.is_empty() {
            return Err(tr(lang, "请选择图斑文件", "Choose the parcels file").into());
        }
        for role in FileRole::LAYERS {
            let Some(slot) = role.slot().and_then(|i| self.slots.get(i)) else {
                continue;
            };
            if slot.path.trim().is_empty() {
                continue;
            }
            let name = role.label(lang);
            match &slot.preview {
                PreviewState::Empty | PreviewState::Loading(_) => {
                    return Err(format!("{name}: {}", tr(lang, "正在读取…", "reading…")));
                }
                PreviewState::Ready(Err(_)) => {
                    return Err(format!(
                        "{name}: {}",
                        tr(lang, "文件读取失败", "cannot be read")
                    ));
                }
                PreviewState::Ready(Ok(p)) => {
                    if p.features == 0 {
                        if role == FileRole::Parcels {
                            return Err(tr(
                                lang,
                                "图斑文件中没有面要素",
                                "The parcels file holds no polygon",
                            )
                            .into());
                        }
                        continue;
                    }
                    match p.resolve_crs(crs) {
                        Err(_) => {
                            return Err(format!(
                                "{name}: {}",
                                tr(lang, "坐标系未知，请填写坐标系", "unknown CRS; enter one")
                            ));
                        }
                        Ok((c, _)) => {
                            if self.crs_problem(&c).is_some() {
                                return Err(format!(
                                    "{name}: {}",
                                    tr(lang, "无法转换该坐标系", "the CRS cannot be transformed")
                                ));
                            }
                        }
                    }
                }
            }
        }
        let overrides = self.override_list();
        if let Some(p) = self.slots[2].ready().filter(|p| p.features > 0) {
            let (m, _) = detect(MappedLayer::Villages, &p.field_names, &overrides);
            if m.source_of(ImportKey::VillageCode).is_none() {
                return Err(tr(
                    lang,
                    "村界图层没有村代码字段，请在字段对应中指定",
                    "The village layer has no village code attribute; choose one in the field mapping",
                )
                .into());
            }
        }
        let code_list = self.code_list.trim();
        if !code_list.is_empty() && !Path::new(code_list).is_file() {
            return Err(format!(
                "{}: {}",
                FileRole::CodeList.label(lang),
                tr(lang, "文件不存在", "file not found")
            ));
        }
        let output = self.output.trim();
        if output.is_empty() {
            return Err(tr(
                lang,
                "请选择输出项目文件",
                "Choose the project file to write",
            )
            .into());
        }
        let output = PathBuf::from(with_gpkg_extension(output));
        if let Some(dir) = output.parent()
            && !dir.as_os_str().is_empty()
            && !dir.is_dir()
        {
            return Err(format!(
                "{}: {}",
                tr(lang, "输出目录不存在", "The output folder does not exist"),
                dir.display()
            ));
        }
        let inputs = self
            .slots
            .iter()
            .map(|s| split_layer(Path::new(s.path.trim())).0)
            .chain(std::iter::once(PathBuf::from(code_list)));
        for input in inputs {
            if !input.as_os_str().is_empty() && same_file(&input, &output) {
                return Err(tr(
                    lang,
                    "输出文件不能是输入文件",
                    "The project file must not be an input file",
                )
                .into());
            }
        }
        if output.exists() && !self.overwrite {
            return Err(tr(
                lang,
                "输出文件已存在；勾选“覆盖已有文件”或另选文件名",
                "The project file exists; tick “Overwrite” or choose another name",
            )
            .into());
        }
        let optional = |i: usize| {
            let t = self.slots[i].path.trim();
            (!t.is_empty()).then(|| PathBuf::from(t))
        };
        Ok(ImportRequest {
            parcels: PathBuf::from(parcels),
            buildings: optional(1),
            villages: optional(2),
            village_names: (!code_list.is_empty())
                .then(|| PathBuf::from(code_list))
                .into_iter()
                .collect(),
            overlays: optional(3).into_iter().collect(),
            overrides,
            encoding: self.encoding_value().map(str::to_string),
            crs: crs.map(str::to_string),
            output,
            overwrite: self.overwrite,
        })
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn with_gpkg_extension(text: &str) -> String {
    let t = text.trim();
    if t.is_empty()
        || Path::new(t)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
    {
        t.to_string()
    } else {
        format!("{t}.gpkg")
    }
}

/// The default project file next to a parcels file: `<stem>.gpkg` (`<stem>_fangcha.gpkg` when
/// the parcels are a GeoPackage themselves, so the input is never overwritten).
pub fn default_output_for(parcels: &str) -> Option<PathBuf> {
    let (path, _) = split_layer(Path::new(parcels.trim()));
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    if stem.is_empty() {
        return None;
    }
    let is_gpkg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    let name = if is_gpkg {
        format!("{stem}_fangcha.gpkg")
    } else {
        format!("{stem}.gpkg")
    };
    Some(match path.parent() {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    })
}

/// Label of an import key.
pub fn import_key_label(key: ImportKey, lang: Lang) -> &'static str {
    match key {
        ImportKey::ParcelCode => tr(lang, "图斑编码", "Parcel code"),
        ImportKey::BuildingCode => tr(lang, "房屋编码", "House code"),
        ImportKey::VillageCode => tr(lang, "村代码", "Village code"),
        ImportKey::VillageName => tr(lang, "村名称", "Village name"),
        ImportKey::BuildingParcelCode => tr(lang, "所在图斑编码", "Parcel code of the house"),
        ImportKey::Field(f) => match lang {
            Lang::Zh => f.label_zh(),
            Lang::En => f.label_en(),
        },
    }
}

fn declared_text(d: Option<&DeclaredCrs>, lang: Lang) -> String {
    match d {
        None => tr(lang, "未声明", "none").to_string(),
        Some(DeclaredCrs::Epsg(c)) => format!("EPSG:{c}"),
        Some(DeclaredCrs::Crs84) => "CRS84 (WGS 84 lon/lat)".to_string(),
        Some(DeclaredCrs::Wkt(w)) => format!("WKT “{}”", wkt_name(w).unwrap_or("?")),
    }
}

// ---------------------------------------------------------------------------------------------
// UI
// ---------------------------------------------------------------------------------------------

/// Shows the wizard window; returns a request when the user starts the import.
pub fn import_wizard_ui(
    ctx: &egui::Context,
    wizard: &mut ImportWizard,
    lang: Lang,
) -> Option<ImportRequest> {
    if !wizard.open {
        return None;
    }
    wizard.update();
    if wizard.is_busy() {
        ctx.request_repaint_after(Duration::from_millis(100));
    }
    let mut open = true;
    let mut start = None;
    let mut cancel = false;
    egui::Window::new(tr(lang, "新建项目（导入）", "New project from import"))
        .id(egui::Id::unique("import_wizard"))
        .open(&mut open)
        .default_width(760.0)
        .default_height(640.0)
        .resizable(true)
        .collapsible(false)
        .show(ctx, |ui| {
            files_ui(ui, wizard, lang);
            ui.separator();
            options_ui(ui, wizard, lang);
            ui.separator();
            // the details scroll; the buttons below stay in view
            egui::ScrollArea::vertical()
                .id_salt("import_wizard_details")
                .max_height(420.0)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    for role in [FileRole::Parcels, FileRole::Buildings, FileRole::Villages] {
                        layer_details_ui(ui, wizard, role, lang);
                    }
                    overlay_details_ui(ui, wizard, lang);
                });
            ui.separator();
            let request = wizard.request(lang);
            if let Err(reason) = &request {
                ui.label(RichText::new(reason).color(WARN_AMBER));
            }
            ui.horizontal(|ui| {
                let ready = request.is_ok();
                if ui
                    .add_enabled(ready, egui::Button::new(tr(lang, "开始导入", "Import")))
                    .clicked()
                {
                    start = request.ok();
                }
                if ui.button(tr(lang, "取消", "Cancel")).clicked() {
                    cancel = true;
                }
            });
        });
    if !open || cancel {
        wizard.open = false;
    }
    if start.is_some() {
        wizard.open = false;
    }
    start
}

fn files_ui(ui: &mut egui::Ui, wizard: &mut ImportWizard, lang: Lang) {
    let dialog_open = wizard.dialog.is_some();
    let mut pick = None;
    egui::Grid::new("import_wizard_files")
        .num_columns(4)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            for role in [
                FileRole::Parcels,
                FileRole::Buildings,
                FileRole::Villages,
                FileRole::CodeList,
                FileRole::Overlay,
                FileRole::Output,
            ] {
                let label = ui.label(role.label(lang));
                let hint = match role {
                    FileRole::Parcels => tr(
                        lang,
                        "必选：.shp / .geojson / .gpkg",
                        "required: .shp / .geojson / .gpkg",
                    ),
                    FileRole::CodeList => {
                        tr(lang, "可选：.csv / .csv.gz", "optional: .csv / .csv.gz")
                    }
                    FileRole::Output => tr(lang, "新项目 .gpkg", "new project .gpkg"),
                    _ => tr(lang, "可选", "optional"),
                };
                let text = match role {
                    FileRole::CodeList => &mut wizard.code_list,
                    FileRole::Output => &mut wizard.output,
                    layer => match layer.slot() {
                        Some(i) => &mut wizard.slots[i].path,
                        None => &mut wizard.code_list,
                    },
                };
                let resp = ui
                    .add(
                        egui::TextEdit::singleline(text)
                            .id_salt(("import_wizard_path", role.label(Lang::En)))
                            .hint_text(hint)
                            .desired_width(420.0)
                            .min_size(egui::vec2(420.0, 0.0)),
                    )
                    .labelled_by(label.id);
                if resp.changed() {
                    match role {
                        FileRole::Output => wizard.output_edited = !wizard.output.trim().is_empty(),
                        FileRole::Parcels => wizard.default_output(),
                        _ => {}
                    }
                }
                let button = if role == FileRole::Output {
                    tr(lang, "另存为…", "Save as…")
                } else {
                    tr(lang, "选择…", "Choose…")
                };
                if ui
                    .add_enabled(!dialog_open, egui::Button::new(button))
                    .on_hover_text(role.label(lang))
                    .clicked()
                {
                    pick = Some(role);
                }
                status_ui(ui, wizard, role, lang);
                ui.end_row();
            }
        });
    ui.checkbox(
        &mut wizard.overwrite,
        tr(lang, "覆盖已有文件", "Overwrite an existing file"),
    );
    if let Some(e) = &wizard.dialog_error {
        ui.label(RichText::new(e).color(ERROR_RED));
    }
    if let Some(role) = pick {
        wizard.start_dialog(role, lang);
    }
}

/// The ✔ / spinner / ✖ after a file row.
fn status_ui(ui: &mut egui::Ui, wizard: &ImportWizard, role: FileRole, lang: Lang) {
    match role {
        FileRole::CodeList => {
            let t = wizard.code_list.trim();
            if t.is_empty() {
                ui.label("");
            } else if Path::new(t).is_file() {
                ui.label(RichText::new("✔").color(OK_GREEN));
            } else {
                ui.label(RichText::new(tr(lang, "✖ 文件不存在", "✖ not found")).color(ERROR_RED));
            }
        }
        FileRole::Output => {
            let t = wizard.output.trim();
            if !t.is_empty() && Path::new(&with_gpkg_extension(t)).exists() {
                let color = if wizard.overwrite {
                    WARN_AMBER
                } else {
                    ERROR_RED
                };
                ui.label(RichText::new(tr(lang, "已存在", "exists")).color(color));
            } else {
                ui.label("");
            }
        }
        layer => {
            let Some(slot) = layer.slot().and_then(|i| wizard.slots.get(i)) else {
                ui.label("");
                return;
            };
            match &slot.preview {
                PreviewState::Empty => {
                    ui.label("");
                }
                PreviewState::Loading(_) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr(lang, "读取中…", "reading…"));
                    });
                }
                PreviewState::Ready(Ok(p)) => {
                    ui.label(RichText::new(format!("✔ {}", p.features)).color(OK_GREEN))
                        .on_hover_text(tr(lang, "面要素数", "polygon features"));
                }
                PreviewState::Ready(Err(_)) => {
                    ui.label(RichText::new("✖").color(ERROR_RED));
                }
            }
        }
    }
}

fn options_ui(ui: &mut egui::Ui, wizard: &mut ImportWizard, lang: Lang) {
    ui.horizontal(|ui| {
        let label = ui.label(tr(lang, "编码", "Encoding"));
        let shown = ENCODINGS
            .get(wizard.encoding)
            .map_or("", |(_, zh, en)| tr(lang, zh, en));
        egui::ComboBox::from_id_salt("import_wizard_encoding")
            .selected_text(shown)
            .width(100.0)
            .show_ui(ui, |ui| {
                for (i, (_, zh, en)) in ENCODINGS.iter().enumerate() {
                    ui.selectable_value(&mut wizard.encoding, i, tr(lang, zh, en));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(tr(
                lang,
                "Shapefile 属性表（.dbf）的文字编码；自动 = 先读 .cpg，再看语言驱动字节，再检测 GBK/UTF-8",
                "Text encoding of Shapefile attributes; Auto = .cpg, then the LDID byte, then a GBK/UTF-8 check",
            ));
        ui.add_space(16.0);
        let label = ui.label(tr(lang, "坐标系", "CRS"));
        ui.add(
            egui::TextEdit::singleline(&mut wizard.crs)
                .id_salt("import_wizard_crs")
                .hint_text("EPSG:4527")
                .desired_width(120.0),
        )
        .labelled_by(label.id)
        .on_hover_text(tr(
            lang,
            "留空 = 自动（.prj / 文件声明）；填写后用于所有输入图层",
            "Empty = automatic (.prj / declared); when set, used for every input layer",
        ));
        ui.label(RichText::new(tr(lang, "留空为自动", "empty = auto")).weak());
    });
}

/// Encoding, CRS, counts, warnings, preview grid and field mapping of one layer.
fn layer_details_ui(ui: &mut egui::Ui, wizard: &mut ImportWizard, role: FileRole, lang: Lang) {
    let Some(i) = role.slot() else { return };
    let crs = wizard.crs_override().map(str::to_string);
    let preview = match &wizard.slots[i].preview {
        PreviewState::Empty => return,
        PreviewState::Loading(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "{}：{}",
                    role.label(lang),
                    tr(lang, "读取中…", "reading…")
                ));
            });
            return;
        }
        PreviewState::Ready(Err(e)) => {
            ui.label(RichText::new(format!("✖ {}：{e}", role.label(lang))).color(ERROR_RED));
            return;
        }
        PreviewState::Ready(Ok(p)) => Arc::clone(p),
    };
    let title = format!(
        "{} — {}{}",
        role.label(lang),
        preview.name,
        tr(lang, "（预览与字段对应）", " (preview and field mapping)")
    );
    egui::CollapsingHeader::new(title)
        .id_salt(("import_wizard_layer", i))
        .default_open(role == FileRole::Parcels)
        .show(ui, |ui| {
            summary_ui(ui, wizard, &preview, i, crs.as_deref(), lang);
            sample_grid_ui(ui, &preview, i, lang);
            if let Some(layer) = role.mapped_layer() {
                mapping_ui(ui, wizard, layer, &preview, i, lang);
            }
        });
}

fn overlay_details_ui(ui: &mut egui::Ui, wizard: &mut ImportWizard, lang: Lang) {
    let role = FileRole::Overlay;
    let Some(i) = role.slot() else { return };
    let crs = wizard.crs_override().map(str::to_string);
    let preview = match &wizard.slots[i].preview {
        PreviewState::Ready(Ok(p)) => Arc::clone(p),
        PreviewState::Ready(Err(e)) => {
            ui.label(RichText::new(format!("✖ {}：{e}", role.label(lang))).color(ERROR_RED));
            return;
        }
        _ => return,
    };
    egui::CollapsingHeader::new(format!(
        "{} — {}{}",
        role.label(lang),
        preview.name,
        tr(lang, "（预览）", " (preview)")
    ))
    .id_salt(("import_wizard_layer", i))
    .default_open(false)
    .show(ui, |ui| {
        summary_ui(ui, wizard, &preview, i, crs.as_deref(), lang);
    });
}

fn summary_ui(
    ui: &mut egui::Ui,
    wizard: &ImportWizard,
    p: &LayerPreview,
    slot: usize,
    crs: Option<&str>,
    lang: Lang,
) {
    egui::Grid::new(("import_wizard_summary", slot))
        .num_columns(2)
        .spacing([8.0, 3.0])
        .show(ui, |ui| {
            ui.label(tr(lang, "文字编码", "Text encoding"));
            ui.label(
                p.encoding
                    .clone()
                    .unwrap_or_else(|| tr(lang, "—（非 Shapefile）", "— (not a Shapefile)").into()),
            );
            ui.end_row();
            ui.label(tr(lang, "声明坐标系", "Declared CRS"));
            ui.label(declared_text(p.declared_crs.as_ref(), lang));
            ui.end_row();
            ui.label(tr(lang, "使用坐标系", "CRS used"));
            if p.features == 0 {
                ui.label(RichText::new("—").weak());
            } else {
                match p.resolve_crs(crs) {
                    Ok((c, _)) => {
                        let how = if c.is_project_lonlat() {
                            tr(lang, "（无需转换）", " (no transformation)").to_string()
                        } else {
                            " → EPSG:4490 (CGCS2000)".to_string()
                        };
                        match wizard.crs_problem(&c) {
                            Some(e) => {
                                ui.label(RichText::new(format!("{c}: {e}")).color(ERROR_RED));
                            }
                            None => {
                                ui.label(format!("{c}{how}"));
                            }
                        }
                    }
                    Err(e) => {
                        ui.vertical(|ui| {
                            ui.label(RichText::new(e).color(ERROR_RED));
                            ui.label(
                                RichText::new(tr(
                                    lang,
                                    "请在上方“坐标系”中填写，如 EPSG:4527（CGCS2000 3度带第39带，带带号）或 EPSG:4545（中央经线117°E，不带带号）",
                                    "Enter the CRS above, e.g. EPSG:4527 (CGCS2000 3° zone 39 with zone prefix) or EPSG:4545 (CM 117°E, no prefix)",
                                ))
                                .color(ERROR_RED),
                            );
                        });
                    }
                }
            }
            ui.end_row();
            ui.label(tr(lang, "要素数", "Features"));
            ui.label(p.features.to_string());
            ui.end_row();
            let skipped: usize = p.skipped.values().sum();
            if skipped > 0 {
                ui.label(tr(lang, "已跳过", "Skipped"));
                let parts: Vec<String> =
                    p.skipped.iter().map(|(k, n)| format!("{k} {n}")).collect();
                ui.label(
                    RichText::new(format!("{skipped}（{}）", parts.join("，"))).color(WARN_AMBER),
                );
                ui.end_row();
            }
        });
    if p.features > 0
        && let Ok((_, warnings)) = p.resolve_crs(crs)
    {
        for w in warnings {
            ui.label(RichText::new(format!("⚠ {w}")).color(WARN_AMBER));
        }
    }
    for w in p.warnings.iter().take(10) {
        ui.label(RichText::new(format!("⚠ {w}")).color(WARN_AMBER));
    }
    if p.warnings.len() > 10 {
        ui.label(
            RichText::new(format!(
                "… {} {}",
                p.warnings.len() - 10,
                tr(lang, "条更多警告", "more warnings")
            ))
            .color(WARN_AMBER),
        );
    }
}

fn sample_grid_ui(ui: &mut egui::Ui, p: &LayerPreview, slot: usize, lang: Lang) {
    if p.field_names.is_empty() {
        ui.label(RichText::new(tr(lang, "（无属性字段）", "(no attributes)")).weak());
        return;
    }
    ui.label(
        RichText::new(format!(
            "{} {}",
            tr(lang, "前几个要素", "First features"),
            p.sample.len()
        ))
        .strong(),
    );
    egui::ScrollArea::horizontal()
        .id_salt(("import_wizard_sample_scroll", slot))
        .show(ui, |ui| {
            egui::Grid::new(("import_wizard_sample", slot))
                .striped(true)
                .num_columns(p.field_names.len())
                .spacing([12.0, 3.0])
                .show(ui, |ui| {
                    for name in &p.field_names {
                        ui.label(RichText::new(short(name, 24)).strong());
                    }
                    ui.end_row();
                    for row in &p.sample {
                        for v in row {
                            ui.label(v);
                        }
                        ui.end_row();
                    }
                });
        });
}

fn mapping_ui(
    ui: &mut egui::Ui,
    wizard: &mut ImportWizard,
    layer: MappedLayer,
    p: &LayerPreview,
    slot: usize,
    lang: Lang,
) {
    ui.label(RichText::new(tr(lang, "字段对应", "Field mapping")).strong());
    let overrides = wizard.override_list();
    let (mapping, _) = detect(layer, &p.field_names, &overrides);
    let none = tr(lang, "—（不导入）", "— (none)");
    let mut changed: Option<(ImportKey, Option<String>)> = None;
    egui::Grid::new(("import_wizard_mapping", slot))
        .num_columns(3)
        .spacing([8.0, 3.0])
        .striped(true)
        .show(ui, |ui| {
            for key in ImportKey::for_layer(layer) {
                let label = ui.label(import_key_label(key, lang));
                let entry = mapping.entries.iter().find(|e| e.key == key);
                let current: Option<usize> = entry.map(|e| e.source);
                let shown = current
                    .and_then(|i| p.field_names.get(i))
                    .map_or(none, String::as_str);
                let mut choice = current;
                egui::ComboBox::from_id_salt(("import_wizard_map", slot, key.key()))
                    .selected_text(shown)
                    .width(180.0)
                    .height(360.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut choice, None, none);
                        for (i, name) in p.field_names.iter().enumerate() {
                            ui.selectable_value(&mut choice, Some(i), name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let how = if wizard.overrides.contains_key(&key) {
                    tr(lang, "手动", "manual")
                } else {
                    match entry.map(|e| e.how) {
                        Some(MatchKind::Detected) => tr(lang, "自动识别", "detected"),
                        Some(MatchKind::Truncated) => tr(
                            lang,
                            "自动识别（字段名被截断）",
                            "detected (name cut at 10 bytes)",
                        ),
                        Some(MatchKind::Explicit) => tr(lang, "手动", "manual"),
                        None => match key {
                            ImportKey::ParcelCode => tr(
                                lang,
                                "未识别：将按村代码+序号生成",
                                "none: generated from village code",
                            ),
                            ImportKey::BuildingCode => tr(
                                lang,
                                "未识别：将按图斑编码+序号生成",
                                "none: generated from parcel code",
                            ),
                            ImportKey::VillageCode => tr(
                                lang,
                                "未识别：按村界空间关系归属",
                                "none: assigned by village polygons",
                            ),
                            _ => "",
                        },
                    }
                };
                ui.label(RichText::new(how).weak());
                ui.end_row();
                if choice != current {
                    changed = Some((key, choice.and_then(|i| p.field_names.get(i).cloned())));
                }
            }
        });
    let mapped_layers = wizard.slots[..3]
        .iter()
        .filter(|s| s.ready().is_some())
        .count();
    if mapped_layers > 1 {
        ui.label(
            RichText::new(tr(
                lang,
                "注：村代码的对应按字段名作用于所有图层",
                "Note: the village code mapping applies by attribute name to every layer",
            ))
            .weak()
            .small(),
        );
    }
    if let Some((key, source)) = changed {
        // A choice equal to what detection finds without it needs no override.
        let mut others = wizard.override_list();
        others.retain(|o| o.key != key);
        let (auto, _) = detect(layer, &p.field_names, &others);
        let auto_source = auto
            .source_of(key)
            .and_then(|i| p.field_names.get(i).cloned());
        if auto_source == source {
            wizard.overrides.remove(&key);
        } else {
            wizard.overrides.insert(key, source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel)
    }

    fn wait(w: &mut ImportWizard) {
        for _ in 0..600 {
            w.update();
            if !w.is_busy() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("preview did not finish");
    }

    #[test]
    fn changing_the_encoding_rereads_a_shapefile() {
        let shp = data("odd/gbk_no_cpg/面84.shp");
        let mut w = ImportWizard::default();
        w.set_parcels(shp);
        wait(&mut w);
        let detected = match w.preview(FileRole::Parcels) {
            Some(Ok(p)) => p.encoding.clone().unwrap_or_default(),
            other => panic!("{other:?}"),
        };
        assert!(detected.contains("GBK"), "{detected}");
        w.set_encoding(Some("UTF-8"));
        w.update();
        assert!(w.is_busy() || w.preview(FileRole::Parcels).is_some());
        wait(&mut w);
        match w.preview(FileRole::Parcels) {
            Some(Ok(p)) => assert_eq!(p.encoding.as_deref(), Some("UTF-8 (user override)")),
            other => panic!("{other:?}"),
        }
        let req = w.request(Lang::Zh).expect("ready");
        assert_eq!(req.encoding.as_deref(), Some("UTF-8"));
    }

    #[test]
    fn default_output_sits_next_to_the_parcels() {
        assert_eq!(
            default_output_for("/data/图斑.shp"),
            Some(PathBuf::from("/data/图斑.gpkg"))
        );
        assert_eq!(
            default_output_for("/data/survey.gpkg|layername=plots"),
            Some(PathBuf::from("/data/survey_fangcha.gpkg"))
        );
        assert_eq!(default_output_for(""), None);
        assert_eq!(with_gpkg_extension("/tmp/p"), "/tmp/p.gpkg");
        assert_eq!(with_gpkg_extension("/tmp/p.GPKG"), "/tmp/p.GPKG");
    }

    #[test]
    fn request_needs_parcels_and_a_successful_read() {
        let mut w = ImportWizard::default();
        assert!(w.request(Lang::Zh).is_err());
        w.set_parcels(PathBuf::from("/no/such/parcels.geojson"));
        assert!(w.open);
        assert_eq!(w.file(FileRole::Output), "/no/such/parcels.gpkg");
        wait(&mut w);
        assert!(matches!(w.preview(FileRole::Parcels), Some(Err(_))));
        assert!(w.request(Lang::En).is_err());
    }

    #[test]
    fn reads_a_layer_in_the_background_and_builds_the_request() {
        let src = data("real/kunming_buildings.geojson");
        if !src.is_file() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = ImportWizard::default();
        w.set_parcels(src.clone());
        w.set_file(FileRole::Output, dir.path().join("out"));
        wait(&mut w);
        let p = match w.preview(FileRole::Parcels) {
            Some(Ok(p)) => p.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(p.features, 140);
        assert!(p.sample.len() <= PREVIEW_ROWS);
        assert!(p.resolve_crs(None).is_ok());
        // a mapping change becomes an override; "none" turns detection off
        let first = p.field_names.first().cloned().expect("a field");
        w.set_override(ImportKey::ParcelCode, Some(first.clone()));
        w.set_override(
            ImportKey::Field(crate::domain::fields::Field::SurveyStatus),
            None,
        );
        w.set_override(
            ImportKey::Field(crate::domain::fields::Field::Surveyor),
            Some("NOPE".into()),
        );
        let req = w.request(Lang::Zh).expect("ready");
        assert_eq!(req.parcels, src);
        assert_eq!(req.output, dir.path().join("out.gpkg"));
        assert!(req.overrides.contains(&FieldOverride {
            key: ImportKey::ParcelCode,
            source: Some(first)
        }));
        assert!(req.overrides.contains(&FieldOverride {
            key: ImportKey::Field(crate::domain::fields::Field::SurveyStatus),
            source: None
        }));
        assert!(
            req.overrides
                .iter()
                .all(|o| o.source.as_deref() != Some("NOPE"))
        );
        // a CRS that does not fit is reported, not a panic
        w.set_crs("EPSG:nonsense");
        w.update();
        assert!(w.request(Lang::Zh).is_err());
        // the output must not be the input
        w.set_crs("");
        let gpkg = data("real/bubenec.gpkg");
        w.set_file(
            FileRole::Parcels,
            PathBuf::from(format!("{}|layername=buildings", gpkg.display())),
        );
        wait(&mut w);
        assert!(matches!(w.preview(FileRole::Parcels), Some(Ok(p)) if p.features == 144));
        assert!(w.request(Lang::Zh).is_ok());
        w.set_file(FileRole::Output, gpkg);
        assert!(w.request(Lang::Zh).is_err());
    }

    // ---- the window driven through egui_kittest -----------------------------------------

    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT, Queryable};

    fn harness(w: ImportWizard) -> Harness<'static, (ImportWizard, Vec<ImportRequest>)> {
        Harness::builder()
            .with_size(egui::vec2(1000.0, 900.0))
            .with_context_setup(crate::ui::fonts::install)
            .build_ui_state(
                |ui, st: &mut (ImportWizard, Vec<ImportRequest>)| {
                    let ctx = ui.ctx().clone();
                    if let Some(r) = import_wizard_ui(&ctx, &mut st.0, Lang::Zh) {
                        st.1.push(r);
                    }
                },
                (w, Vec::new()),
            )
    }

    fn settle(h: &mut Harness<'static, (ImportWizard, Vec<ImportRequest>)>) {
        for _ in 0..600 {
            h.run_steps(1);
            if !h.state().0.is_busy() {
                h.run_steps(2);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("wizard stayed busy");
    }

    #[test]
    fn the_window_previews_the_parcels_and_starts_the_import() {
        let src = data("real/kunming_buildings.geojson");
        let dir = tempfile::tempdir().expect("tmp");
        let w = ImportWizard {
            open: true,
            ..ImportWizard::default()
        };
        let mut h = harness(w);
        h.run_steps(2);
        assert!(h.get_by_label("开始导入").accesskit_node().is_disabled());
        assert!(h.query_by_label("覆盖已有文件").is_some());
        assert!(h.query_by_label("请选择图斑文件").is_some());

        h.state_mut().0.set_parcels(src.clone());
        h.state_mut()
            .0
            .set_file(FileRole::Output, dir.path().join("kunming.gpkg"));
        settle(&mut h);
        h.run();
        assert!(h.query_by_label("140").is_some(), "feature count");
        assert!(h.query_by_label("字段对应").is_some());
        assert!(h.query_by_label("图斑编码").is_some());

        // an unknown CRS is shown in red with the hint, and blocks the import
        h.state_mut().0.set_crs("EPSG:nonsense");
        settle(&mut h);
        assert!(h.query_by_label_contains("请在上方").is_some());
        assert!(h.get_by_label("开始导入").accesskit_node().is_disabled());
        h.state_mut().0.set_crs("");
        settle(&mut h);

        // the other layers of the bundled sample
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/baoan");
        for (role, file) in [
            (FileRole::Buildings, "buildings.geojson"),
            (FileRole::Villages, "communities_generated.geojson"),
            (FileRole::CodeList, "admin_440306.csv"),
            (FileRole::Overlay, "boundary.geojson"),
        ] {
            h.state_mut().0.set_file(role, sample.join(file));
        }
        settle(&mut h);
        h.run();
        for role in [FileRole::Buildings, FileRole::Villages, FileRole::Overlay] {
            assert!(matches!(h.state().0.preview(role), Some(Ok(_))), "{role:?}");
        }

        assert!(!h.get_by_label("开始导入").accesskit_node().is_disabled());
        h.get_by_label("开始导入").click();
        h.run_steps(2);
        let (w, reqs) = h.state();
        assert!(!w.open);
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].parcels, src);
        assert_eq!(reqs[0].output, dir.path().join("kunming.gpkg"));
        assert_eq!(reqs[0].crs, None);
        assert_eq!(reqs[0].buildings, Some(sample.join("buildings.geojson")));
        assert_eq!(
            reqs[0].villages,
            Some(sample.join("communities_generated.geojson"))
        );
        assert_eq!(reqs[0].village_names, vec![sample.join("admin_440306.csv")]);
        assert_eq!(reqs[0].overlays, vec![sample.join("boundary.geojson")]);
    }
}
