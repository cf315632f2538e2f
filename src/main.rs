//! The `fangcha` binary: `fangcha` opens the desktop app on the last project (or the bundled
//! sample), `fangcha P.gpkg` opens P, `fangcha import|stats|edit|export|check|log …` run
//! headless (see `fangcha --help`).

use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: an import allocates and frees millions of small values
/// on several threads, and glibc's per-thread arenas kept that memory resident long after it
/// was freed (peak 2.8 GB at 1M + 1M features); mimalloc reuses and returns it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let gui_path = match args.as_slice() {
        [] => Some(None),
        [one] => {
            let p = PathBuf::from(one);
            let is_gpkg = p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
            (is_gpkg && p.is_file()).then_some(Some(p))
        }
        _ => None,
    };
    match gui_path {
        Some(path) => run_gui(path),
        None => fangcha::cli::main(),
    }
}

#[cfg(feature = "gui")]
fn run_gui(path: Option<PathBuf>) -> ExitCode {
    match fangcha::ui::app::run(path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fangcha: error: cannot start the window: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "gui"))]
fn run_gui(_path: Option<PathBuf>) -> ExitCode {
    eprintln!(
        "fangcha: error: built without the desktop app (feature `gui`); see `fangcha --help` for the command line"
    );
    ExitCode::from(2)
}
