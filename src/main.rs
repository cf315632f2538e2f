//! The `fangcha` binary: see `fangcha --help`.

fn main() -> std::process::ExitCode {
    fangcha::cli::main()
}
