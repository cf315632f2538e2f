//! The open project: the file, everything in memory, the spatial indexes and the undo history.
//! Every state change goes through [`Project::edit`], [`Project::undo`] or [`Project::redo`]:
//! the domain checks the edit, the store writes it (one transaction, logged in edit_log), and
//! only then the in-memory survey and its counters change.

use std::path::Path;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::domain::admin::AdminLevel;
use crate::domain::codes::{Coded, SurveyStatus};
use crate::domain::date::SurveyDate;
use crate::domain::edit::{Edit, Target};
use crate::domain::fields::{Field, Value};
use crate::domain::stats::{Convention, StatRow, rollup};
use crate::domain::survey::{EditError, RuleCheck};
use crate::spatial::index::FeatureIndex;
use crate::store::{EditAction, EditLogEntry, ProjectData, ProjectFile, StoreError};

/// Project errors.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The store failed (nothing was changed in memory).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The edit was refused by the domain.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// Another fangcha holds the project's write lock.
    #[error(
        "{0}: the project is being edited in another fangcha (lock {1}); close it there, or open it read-only"
    )]
    Locked(std::path::PathBuf, std::path::PathBuf),
    /// The lock file could not be created.
    #[error("{0}: cannot create the lock file: {1}")]
    LockIo(std::path::PathBuf, std::io::Error),
    /// No parcel/house with that code.
    #[error("no {layer} with code “{code}” in the project")]
    UnknownCode {
        /// `parcel` or `house`.
        layer: &'static str,
        /// The code asked for.
        code: String,
    },
}

/// Code → dense index (the first of repeated codes wins).
fn code_map<'a>(codes: impl Iterator<Item = &'a String>) -> FxHashMap<String, u32> {
    let mut map = FxHashMap::default();
    for (i, c) in codes.enumerate() {
        map.entry(c.clone()).or_insert(i as u32);
    }
    map
}

/// An open project.
#[derive(Debug)]
pub struct Project {
    file: ProjectFile,
    /// The write lock (None when read-only); declared after `file` so it is released last.
    lock: Option<crate::store::lock::ProjectLock>,
    data: ProjectData,
    parcel_index: FeatureIndex,
    building_index: FeatureIndex,
    /// 图斑编码 → parcel, built on the first lookup (opening a million records needs none).
    parcel_by_code: OnceLock<FxHashMap<String, u32>>,
    /// 房屋编码 → house, built on the first lookup.
    building_by_code: OnceLock<FxHashMap<String, u32>>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    user: String,
}

/// Today's date in local time (UTC when the local offset is unknown).
pub fn today() -> Option<SurveyDate> {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    SurveyDate::from_ymd(now.year(), u8::from(now.month()), now.day())
}

impl Project {
    /// Opens a project for editing and loads it; `user` is written in the edit log. Takes the
    /// project's write lock: [`ProjectError::Locked`] when another fangcha is editing it.
    pub fn open(path: &Path, user: &str) -> Result<Project, ProjectError> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_path_buf()).into());
        }
        // a file that is not a fangcha project gets no lock file next to it
        drop(ProjectFile::open_read_only(path)?);
        let lock = crate::store::lock::try_acquire(path)
            .map_err(|e| ProjectError::LockIo(path.to_path_buf(), e))?
            .ok_or_else(|| {
                ProjectError::Locked(path.to_path_buf(), crate::store::lock::lock_path(path))
            })?;
        let mut p = Self::load(ProjectFile::open(path)?, user)?;
        p.lock = Some(lock);
        Ok(p)
    }

    /// Opens a project read-only (edits are refused); needs no lock.
    pub fn open_read_only(path: &Path, user: &str) -> Result<Project, ProjectError> {
        Self::load(ProjectFile::open_read_only(path)?, user)
    }

    /// Opens for editing, or read-only when another fangcha is editing the project (the app
    /// shows a banner then).
    pub fn open_for_app(path: &Path, user: &str) -> Result<Project, ProjectError> {
        match Self::open(path, user) {
            Err(ProjectError::Locked(..)) => Self::open_read_only(path, user),
            other => other,
        }
    }

    /// True when edits are refused (opened read-only).
    pub fn is_read_only(&self) -> bool {
        self.file.is_read_only()
    }

    fn load(file: ProjectFile, user: &str) -> Result<Project, ProjectError> {
        let data = file.load()?;
        // The two R-trees are built side by side.
        let (parcel_index, building_index) = rayon::join(
            || FeatureIndex::build(&data.parcel_geoms),
            || FeatureIndex::build(&data.building_geoms),
        );
        Ok(Project {
            file,
            lock: None,
            data,
            parcel_index,
            building_index,
            parcel_by_code: OnceLock::new(),
            building_by_code: OnceLock::new(),
            undo: Vec::new(),
            redo: Vec::new(),
            user: user.to_string(),
        })
    }

    /// Closes the project and hands back what was in memory (the file and lock are released).
    pub fn into_data(self) -> ProjectData {
        self.data
    }

    /// Everything in memory.
    pub fn data(&self) -> &ProjectData {
        &self.data
    }

    /// The project file.
    pub fn file(&self) -> &ProjectFile {
        &self.file
    }

    /// R-tree of parcels.
    pub fn parcel_index(&self) -> &FeatureIndex {
        &self.parcel_index
    }

    /// R-tree of houses.
    pub fn building_index(&self) -> &FeatureIndex {
        &self.building_index
    }

    /// The user written in the edit log.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// A parcel by 图斑编码.
    pub fn parcel_by_code(&self, code: &str) -> Result<u32, ProjectError> {
        self.parcel_by_code
            .get_or_init(|| code_map(self.data.survey.parcels.iter().map(|p| &p.code)))
            .get(code)
            .copied()
            .ok_or_else(|| ProjectError::UnknownCode {
                layer: "parcel",
                code: code.into(),
            })
    }

    /// A house by 房屋编码.
    pub fn building_by_code(&self, code: &str) -> Result<u32, ProjectError> {
        self.building_by_code
            .get_or_init(|| code_map(self.data.survey.buildings.iter().map(|b| &b.code)))
            .get(code)
            .copied()
            .ok_or_else(|| ProjectError::UnknownCode {
                layer: "house",
                code: code.into(),
            })
    }

    /// Sets fields of one record as a user edit: checked against the rules, written to the
    /// file with its edit-log rows, then applied in memory. Marking a parcel 已排查 fills in
    /// the surveyor (the current user) and today's date when they are empty and not given.
    /// Returns the edit as applied (with old values).
    pub fn edit(
        &mut self,
        target: Target,
        values: &[(Field, Value)],
    ) -> Result<Edit, ProjectError> {
        let mut values = values.to_vec();
        if let Target::Parcel(i) = target
            && values.iter().any(|(f, v)| {
                *f == Field::SurveyStatus && *v == Value::Text(SurveyStatus::Surveyed.code().into())
            })
            && let Some(p) = self.data.survey.parcels.get(i as usize)
        {
            if p.surveyor.is_none() && !values.iter().any(|(f, _)| *f == Field::Surveyor) {
                values.push((Field::Surveyor, Value::Text(self.user.clone())));
            }
            if p.surveyed_at.is_none()
                && !values.iter().any(|(f, _)| *f == Field::SurveyedAt)
                && let Some(d) = today()
            {
                values.push((Field::SurveyedAt, Value::Text(d.to_string())));
            }
        }
        let edit = self
            .data
            .survey
            .prepare(target, &values, RuleCheck::Enforce)?;
        if edit.is_noop() {
            return Ok(edit);
        }
        self.commit(&edit, EditAction::Edit)?;
        self.undo.push(edit.clone());
        self.redo.clear();
        Ok(edit)
    }

    fn commit(&mut self, edit: &Edit, action: EditAction) -> Result<(), ProjectError> {
        // the values must fit before anything touches the disk
        self.data.survey.check_applies(edit)?;
        self.file
            .write_edit(edit, &self.data.survey, &self.user, action)?;
        self.data.survey.apply(edit)?;
        Ok(())
    }

    /// Undoes the last edit (written to the file as an `undo` entry). `None` when there is
    /// nothing to undo.
    pub fn undo(&mut self) -> Result<Option<Edit>, ProjectError> {
        let Some(edit) = self.undo.pop() else {
            return Ok(None);
        };
        let inverse = edit.inverse();
        if let Err(e) = self.commit(&inverse, EditAction::Undo) {
            self.undo.push(edit);
            return Err(e);
        }
        self.redo.push(edit);
        Ok(Some(inverse))
    }

    /// Redoes the last undone edit.
    pub fn redo(&mut self) -> Result<Option<Edit>, ProjectError> {
        let Some(edit) = self.redo.pop() else {
            return Ok(None);
        };
        if let Err(e) = self.commit(&edit, EditAction::Redo) {
            self.redo.push(edit);
            return Err(e);
        }
        self.undo.push(edit.clone());
        Ok(Some(edit))
    }

    /// True when [`Project::undo`] has something to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// True when [`Project::redo`] has something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Statistics rows at a level (from the incrementally kept counters).
    pub fn stats(&self, level: AdminLevel, _conv: Convention) -> Vec<StatRow> {
        rollup(&self.data.survey.villages, self.data.survey.counts(), level)
    }

    /// Edit-log rows, newest first.
    pub fn edit_log(
        &self,
        feature: Option<Target>,
        limit: usize,
    ) -> Result<Vec<EditLogEntry>, ProjectError> {
        Ok(self.file.edit_log(feature, limit)?)
    }
}
