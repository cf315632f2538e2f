//! Helpers for the integration tests: run the real `fangcha` binary, locate the shared data.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of ../shared/data (the real inputs with provenance).
pub fn shared(rel: &str) -> PathBuf {
    root().join("../shared/data").join(rel)
}

/// A file of sample-data/.
pub fn sample(rel: &str) -> PathBuf {
    root().join("sample-data").join(rel)
}

/// Runs the binary with arguments.
pub fn fangcha<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_fangcha"))
        .args(args)
        .env("USER", "tester")
        .output()
        .expect("run fangcha");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "fangcha panicked: {stderr}");
    out
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Asserts exit code 2 with a one-line error and returns it.
pub fn fails(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
    // PROJ may print its own diagnostic line before ours
    let err = stderr(o);
    let ours: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("fangcha: error: "))
        .collect();
    assert_eq!(ours.len(), 1, "one error line: {err}");
    ours[0].to_string()
}

/// Imports bubenec's plots (parcels) and buildings into `dir/bubenec.gpkg`.
pub fn import_bubenec(dir: &Path) -> (PathBuf, String) {
    let gpkg = shared("real/bubenec.gpkg");
    let out = dir.join("bubenec.gpkg");
    let o = fangcha([
        "import".as_ref(),
        "--parcels".as_ref(),
        format!("{}|layername=plots", gpkg.display()).as_ref(),
        "--buildings".as_ref(),
        format!("{}|layername=buildings", gpkg.display()).as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 7]);
    let text = ok(&o);
    (out, text)
}

/// Runs GDAL's GeoPackage validator (Debian python3-gdal) on a file and asserts it passes.
pub fn assert_valid_gpkg(path: &Path) {
    let script = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py";
    let o = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3-gdal must be installed (scripts/deps.sh installs it)");
    assert!(
        o.status.success() && o.stdout.is_empty(),
        "validate_gpkg: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
