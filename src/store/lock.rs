//! One writer per project: an advisory lock on a sidecar file `<project>.lock` held for as long
//! as a project is open for editing. A second fangcha (app or CLI) that finds it locked opens
//! the project read-only (the app shows a banner) or refuses to edit with a clear message; it
//! never writes behind the first one's back, so no edit can be lost to a stale copy.
//!
//! The lock is `flock`-style (std `File::try_lock`), released by the OS when the process ends,
//! also on a crash or `kill -9`; the sidecar file itself is left in place (harmless, tiny).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The held lock; released on drop.
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
    path: PathBuf,
}

impl ProjectLock {
    /// The sidecar lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The sidecar path of a project: `P.gpkg` → `P.gpkg.lock`.
pub fn lock_path(project: &Path) -> PathBuf {
    let mut s = project.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Tries to take the project's write lock. `Ok(None)` when another process (or another open
/// project in this process) holds it.
pub fn try_acquire(project: &Path) -> std::io::Result<Option<ProjectLock>> {
    let path = lock_path(project);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(ProjectLock { _file: file, path })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.gpkg");
        let first = try_acquire(&p).expect("io").expect("free");
        assert!(try_acquire(&p).expect("io").is_none());
        drop(first);
        assert!(try_acquire(&p).expect("io").is_some());
    }
}
