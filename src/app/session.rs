//! The state of one open project in the app, independent of any UI toolkit: selection, active
//! filter and its results, map theme, pending zoom requests and the undo history (inside
//! [`Project`]). Every change is a [`Command`] applied by [`Session::apply`], so the GUI, tests
//! and scripts drive the app the same way.

use crate::app::export::{ExportLayer, select};
use crate::app::project::{Project, ProjectError};
use crate::app::theme::Theme;
use crate::domain::admin::VillageId;
use crate::domain::codes::SurveyStatus;
use crate::domain::edit::{Edit, Target};
use crate::domain::fields::{Field, Value};
use crate::domain::filter::Expr;
use crate::spatial::geometry::Bbox;

/// A request to change the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Set fields of one record (saved at once, logged, undoable).
    Edit {
        /// The record.
        target: Target,
        /// New values.
        values: Vec<(Field, Value)>,
    },
    /// Set one field on every selected record of the field's layer (one edit per record).
    EditSelection {
        /// The field.
        field: Field,
        /// The new value.
        value: Value,
    },
    /// Undo the last edit (Ctrl+Z).
    Undo,
    /// Redo (Ctrl+Shift+Z).
    Redo,
    /// Replace the selection, or add to it (Shift-click).
    Select {
        /// Records to select.
        targets: Vec<Target>,
        /// Add instead of replace.
        add: bool,
    },
    /// Clear the selection (Esc).
    ClearSelection,
    /// Set or clear the filter.
    SetFilter {
        /// The expression (`None` clears).
        expr: Option<Expr>,
        /// The layer it selects from.
        layer: ExportLayer,
    },
    /// Change the map theme.
    SetTheme(Theme),
    /// Select the next (or previous) unsurveyed parcel of the current village (N / P).
    NextUnsurveyed {
        /// Forward (N) or backward (P).
        forward: bool,
    },
    /// Zoom the map to the whole project.
    ZoomToExtent,
    /// Zoom the map to the selection.
    ZoomToSelection,
    /// Zoom the map to a village (its polygon, else its parcels).
    ZoomToVillage(VillageId),
    /// Zoom to one record.
    ZoomTo(Target),
    /// The map performed the pending zoom.
    ClearZoomRequest,
}

/// What a command did, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing to report.
    None,
    /// An edit was saved (the applied edit, with old values).
    Saved(Edit),
    /// An edit was undone (the inverse that was applied).
    Undone(Edit),
    /// An edit was redone.
    Redone(Edit),
    /// Nothing to undo/redo, no next parcel …
    Nothing,
}

/// An open project and the UI-independent state around it.
#[derive(Debug)]
pub struct Session {
    /// The project.
    pub project: Project,
    /// Selected records, in selection order.
    pub selection: Vec<Target>,
    /// The active filter.
    pub filter: Option<Expr>,
    /// Layer of the filter.
    pub filter_layer: ExportLayer,
    /// Indices matching the filter (of `filter_layer`).
    pub filter_results: Vec<u32>,
    /// The map theme.
    pub theme: Theme,
    /// A zoom the map should perform (taken by the map).
    pub zoom_request: Option<Bbox>,
    /// Bumped on every change of the data (caches compare it).
    pub revision: u64,
}

impl Session {
    /// A session on an open project, zoomed to its extent.
    pub fn new(project: Project) -> Session {
        let zoom = project.data().parcel_geoms.extent();
        Session {
            project,
            selection: Vec::new(),
            filter: None,
            filter_layer: ExportLayer::Buildings,
            filter_results: Vec::new(),
            theme: Theme::default(),
            zoom_request: (!zoom.is_empty()).then_some(zoom),
            revision: 0,
        }
    }

    fn refresh_filter(&mut self) {
        self.filter_results = match &self.filter {
            Some(e) => select(self.project.data(), self.filter_layer, Some(e)),
            None => Vec::new(),
        };
    }

    fn changed(&mut self) {
        self.revision += 1;
        if self.filter.is_some() {
            self.refresh_filter();
        }
    }

    /// Bounding box of a record.
    pub fn bbox_of(&self, t: Target) -> Bbox {
        let d = self.project.data();
        match t {
            Target::Parcel(i) => d.parcel_geoms.bbox(i),
            Target::Building(i) => d.building_geoms.bbox(i),
        }
    }

    /// The village of the first selected record.
    pub fn current_village(&self) -> Option<VillageId> {
        let s = &self.project.data().survey;
        self.selection.first().and_then(|t| match *t {
            Target::Parcel(i) => s.parcels.get(i as usize).map(|p| p.village),
            Target::Building(i) => s.buildings.get(i as usize).map(|b| b.village),
        })
    }

    /// Applies a command. Errors leave the session unchanged.
    pub fn apply(&mut self, cmd: Command) -> Result<Outcome, ProjectError> {
        match cmd {
            Command::Edit { target, values } => {
                let e = self.project.edit(target, &values)?;
                self.changed();
                Ok(Outcome::Saved(e))
            }
            Command::EditSelection { field, value } => {
                let targets: Vec<Target> = self
                    .selection
                    .iter()
                    .copied()
                    .filter(|t| t.layer() == field.layer())
                    .collect();
                let mut last = Outcome::Nothing;
                for t in targets {
                    let e = self.project.edit(t, &[(field, value.clone())])?;
                    self.changed();
                    last = Outcome::Saved(e);
                }
                Ok(last)
            }
            Command::Undo => match self.project.undo()? {
                Some(e) => {
                    self.changed();
                    Ok(Outcome::Undone(e))
                }
                None => Ok(Outcome::Nothing),
            },
            Command::Redo => match self.project.redo()? {
                Some(e) => {
                    self.changed();
                    Ok(Outcome::Redone(e))
                }
                None => Ok(Outcome::Nothing),
            },
            Command::Select { targets, add } => {
                if !add {
                    self.selection.clear();
                }
                for t in targets {
                    if let Some(pos) = self.selection.iter().position(|s| *s == t) {
                        if add {
                            self.selection.remove(pos);
                        }
                    } else {
                        self.selection.push(t);
                    }
                }
                Ok(Outcome::None)
            }
            Command::ClearSelection => {
                self.selection.clear();
                Ok(Outcome::None)
            }
            Command::SetFilter { expr, layer } => {
                self.filter = expr;
                self.filter_layer = layer;
                self.refresh_filter();
                Ok(Outcome::None)
            }
            Command::SetTheme(t) => {
                self.theme = t;
                Ok(Outcome::None)
            }
            Command::NextUnsurveyed { forward } => {
                let s = &self.project.data().survey;
                let start = match self.selection.first() {
                    Some(Target::Parcel(i)) => Some(*i),
                    Some(Target::Building(i)) => {
                        s.buildings.get(*i as usize).and_then(|b| b.parcel)
                    }
                    None => None,
                };
                let village = self.current_village();
                let n = s.parcels.len() as u32;
                if n == 0 {
                    return Ok(Outcome::Nothing);
                }
                let matches = |i: u32| {
                    s.parcels.get(i as usize).is_some_and(|p| {
                        p.survey_status == SurveyStatus::NotSurveyed
                            && village.is_none_or(|v| p.village == v)
                    })
                };
                let first = start.unwrap_or(if forward { n - 1 } else { 0 });
                let found = (1..=n)
                    .map(|k| {
                        if forward {
                            (first + k) % n
                        } else {
                            (first + n - k % n) % n
                        }
                    })
                    .find(|&i| matches(i));
                match found {
                    Some(i) => {
                        self.selection = vec![Target::Parcel(i)];
                        self.zoom_request = Some(pad(self.bbox_of(Target::Parcel(i)), 6.0));
                        Ok(Outcome::None)
                    }
                    None => Ok(Outcome::Nothing),
                }
            }
            Command::ZoomToExtent => {
                let d = self.project.data();
                let mut b = d.parcel_geoms.extent();
                b.union(&d.building_geoms.extent());
                self.zoom_request = (!b.is_empty()).then_some(b);
                Ok(Outcome::None)
            }
            Command::ZoomToSelection => {
                let mut b = Bbox::EMPTY;
                for t in &self.selection {
                    b.union(&self.bbox_of(*t));
                }
                self.zoom_request = (!b.is_empty()).then(|| pad(b, 1.5));
                Ok(Outcome::None)
            }
            Command::ZoomToVillage(v) => {
                let d = self.project.data();
                let mut b = d.village_geoms.bbox(v.0);
                if b.is_empty() {
                    for (i, p) in d.survey.parcels.iter().enumerate() {
                        if p.village == v {
                            b.union(&d.parcel_geoms.bbox(i as u32));
                        }
                    }
                }
                self.zoom_request = (!b.is_empty()).then(|| pad(b, 1.1));
                Ok(Outcome::None)
            }
            Command::ClearZoomRequest => {
                self.zoom_request = None;
                Ok(Outcome::None)
            }
            Command::ZoomTo(t) => {
                let b = self.bbox_of(t);
                self.zoom_request = (!b.is_empty()).then(|| pad(b, 6.0));
                Ok(Outcome::None)
            }
        }
    }
}

/// Grows a box around its centre by `factor` (at least ~20 m for points).
pub fn pad(b: Bbox, factor: f64) -> Bbox {
    let cx = (b.min_x + b.max_x) / 2.0;
    let cy = (b.min_y + b.max_y) / 2.0;
    let hw = ((b.max_x - b.min_x) / 2.0 * factor).max(0.0002);
    let hh = ((b.max_y - b.min_y) / 2.0 * factor).max(0.0002);
    Bbox {
        min_x: cx - hw,
        min_y: cy - hh,
        max_x: cx + hw,
        max_y: cy + hh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::admin::Village;
    use crate::domain::records::{Building, Parcel};
    use crate::domain::survey::Survey;
    use crate::spatial::geometry::PolygonStore;
    use crate::store::{ProjectData, SourceAttrs, write_new};
    use geo_types::{MultiPolygon, polygon};

    fn session(dir: &std::path::Path) -> Session {
        let villages = vec![
            Village::unassigned(),
            Village {
                code: "640324100001".into(),
                name: "甲".into(),
                township_name: "镇".into(),
                county_name: "县".into(),
            },
            Village {
                code: "640324100002".into(),
                name: "乙".into(),
                township_name: "镇".into(),
                county_name: "县".into(),
            },
        ];
        let mut geoms = PolygonStore::new();
        let mut parcels = Vec::new();
        for i in 0..6u32 {
            let x = f64::from(i) * 0.001;
            geoms.push(&MultiPolygon(vec![polygon![(x: 105.0 + x, y: 36.0), (x: 105.0005 + x, y: 36.0), (x: 105.0005 + x, y: 36.0005), (x: 105.0 + x, y: 36.0005)]]));
            parcels.push(Parcel::new(format!("P{i}"), VillageId(1 + i % 2)));
        }
        let data = ProjectData {
            survey: Survey::new(villages, parcels, Vec::<Building>::new()),
            parcel_geoms: geoms,
            building_geoms: PolygonStore::new(),
            village_geoms: {
                let mut v = PolygonStore::new();
                for _ in 0..3 {
                    v.push(&MultiPolygon(Vec::new()));
                }
                v
            },
            overlays: Vec::new(),
        };
        let path = dir.join("s.gpkg");
        write_new(&path, &data, &SourceAttrs::default(), &[], false).expect("write");
        Session::new(Project::open(&path, "t").expect("open"))
    }

    #[test]
    fn next_unsurveyed_stays_in_the_village_and_follows_the_map() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = session(dir.path());
        s.apply(Command::Select {
            targets: vec![Target::Parcel(0)],
            add: false,
        })
        .expect("select");
        s.apply(Command::ClearZoomRequest).expect("clear");
        // village 1 holds parcels 0, 2, 4
        s.apply(Command::NextUnsurveyed { forward: true })
            .expect("next");
        assert_eq!(s.selection, vec![Target::Parcel(2)]);
        assert!(s.zoom_request.is_some(), "the map follows");
        s.apply(Command::Edit {
            target: Target::Parcel(4),
            values: vec![(Field::SurveyStatus, Value::Text("in_progress".into()))],
        })
        .expect("edit");
        s.apply(Command::NextUnsurveyed { forward: true })
            .expect("next");
        assert_eq!(
            s.selection,
            vec![Target::Parcel(0)],
            "skips the parcel in progress, wraps around"
        );
        s.apply(Command::NextUnsurveyed { forward: false })
            .expect("prev");
        assert_eq!(s.selection, vec![Target::Parcel(2)]);
    }

    #[test]
    fn selection_filter_and_undo() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = session(dir.path());
        s.apply(Command::Select {
            targets: vec![Target::Parcel(1), Target::Parcel(3)],
            add: false,
        })
        .expect("sel");
        s.apply(Command::Select {
            targets: vec![Target::Parcel(3)],
            add: true,
        })
        .expect("toggle off");
        assert_eq!(s.selection, vec![Target::Parcel(1)]);
        let expr = crate::domain::filter::parse("survey_status = 未排查").expect("expr");
        s.apply(Command::SetFilter {
            expr: Some(expr),
            layer: ExportLayer::Parcels,
        })
        .expect("filter");
        assert_eq!(s.filter_results.len(), 6);
        s.apply(Command::EditSelection {
            field: Field::SurveyStatus,
            value: Value::Text("in_progress".into()),
        })
        .expect("edit");
        assert_eq!(s.filter_results.len(), 5, "results follow the edit");
        let rev = s.revision;
        assert!(matches!(s.apply(Command::Undo), Ok(Outcome::Undone(_))));
        assert_eq!(s.filter_results.len(), 6);
        assert!(s.revision > rev);
        assert!(matches!(s.apply(Command::Undo), Ok(Outcome::Nothing)));
    }
}
