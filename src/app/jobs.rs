//! Long work off the UI thread (opening a big project, importing, exporting) with progress and
//! cancellation. The UI polls [`Job::poll`] every frame and never waits on it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use geo_types::MultiPolygon;
use geojson::JsonObject;

use crate::app::import::{ImportReport, ImportRequest, run_import};
use crate::app::project::Project;
use crate::io::geojson_out::write_feature_collection;

/// What a finished job produced.
#[derive(Debug)]
pub enum JobResult {
    /// A project was opened.
    Opened(Box<Project>),
    /// An import finished and its project was opened.
    Imported {
        /// The import report.
        report: Box<ImportReport>,
        /// The new project.
        project: Box<Project>,
    },
    /// An export finished.
    Exported {
        /// Features written.
        count: usize,
        /// The file.
        path: PathBuf,
    },
    /// The job failed; the message names the file.
    Failed(String),
    /// The user cancelled; nothing was written.
    Cancelled,
}

enum Event {
    Progress(String, f32),
    Done(JobResult),
}

/// A running background job.
#[derive(Debug)]
pub struct Job {
    /// What it does (for the progress window).
    pub title: String,
    /// Current stage.
    pub stage: String,
    /// Progress 0–1.
    pub fraction: f32,
    rx: Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Progress(s, x) => write!(f, "Progress({s}, {x})"),
            Event::Done(_) => f.write_str("Done"),
        }
    }
}

impl Job {
    fn spawn(
        title: String,
        work: impl FnOnce(&dyn Fn(&str, f32) -> bool) -> JobResult + Send + 'static,
    ) -> Job {
        let (tx, rx) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let thread_tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("fangcha-job".into())
            .spawn(move || {
                let report = |stage: &str, f: f32| {
                    let _ = thread_tx.send(Event::Progress(stage.to_string(), f));
                    !flag.load(Ordering::Relaxed)
                };
                let result = work(&report);
                let _ = thread_tx.send(Event::Done(result));
            });
        if let Err(e) = spawned {
            let _ = tx.send(Event::Done(JobResult::Failed(format!(
                "cannot start a worker thread: {e}"
            ))));
        }
        Job {
            title,
            stage: String::new(),
            fraction: 0.0,
            rx,
            cancel,
        }
    }

    /// Opens a project in the background.
    pub fn open(path: PathBuf, user: String) -> Job {
        Job::spawn(format!("打开 {}", path.display()), move |progress| {
            progress("loading", 0.1);
            match Project::open_for_app(&path, &user) {
                Ok(p) => JobResult::Opened(Box::new(p)),
                Err(e) => JobResult::Failed(format!("{}: {e}", path.display())),
            }
        })
    }

    /// Imports in the background, then opens the new project.
    pub fn import(req: ImportRequest, user: String) -> Job {
        Job::spawn(
            format!("导入 {}", req.parcels.display()),
            move |progress| {
                let mut p = |stage: &str, f: f32| progress(stage, f * 0.9);
                match run_import(&req, &mut p) {
                    Ok(report) => {
                        progress("opening", 0.95);
                        match Project::open(&req.output, &user) {
                            Ok(project) => JobResult::Imported {
                                report: Box::new(report),
                                project: Box::new(project),
                            },
                            Err(e) => JobResult::Failed(format!("{}: {e}", req.output.display())),
                        }
                    }
                    Err(crate::app::import::ImportError::Cancelled) => JobResult::Cancelled,
                    Err(e) => JobResult::Failed(e.to_string()),
                }
            },
        )
    }

    /// Writes prepared features as GeoJSON in the background.
    pub fn export(path: PathBuf, features: Vec<(MultiPolygon<f64>, JsonObject)>) -> Job {
        Job::spawn(format!("导出 {}", path.display()), move |progress| {
            progress("writing", 0.5);
            match write_feature_collection(&path, features.into_iter()) {
                Ok(count) => JobResult::Exported { count, path },
                Err(e) => JobResult::Failed(e.to_string()),
            }
        })
    }

    /// Asks the job to stop at its next progress report.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Drains progress; returns the result once the job is done.
    pub fn poll(&mut self) -> Option<JobResult> {
        loop {
            match self.rx.try_recv() {
                Ok(Event::Progress(stage, f)) => {
                    self.stage = stage;
                    self.fraction = f;
                }
                Ok(Event::Done(r)) => return Some(r),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => {
                    return Some(JobResult::Failed("the worker thread stopped".into()));
                }
            }
        }
    }
}
