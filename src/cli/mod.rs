//! Command-line interface (clap). Every subcommand calls the same library code as the app.
//! Exit codes: 0 ok, 1 check failures found, 2 error (one line naming the file).

/// Writes to stdout. A reader that went away (`fangcha stats … | head`) ends the program
/// quietly with exit 0 instead of a panic; any other write failure is an error (exit 2).
pub(crate) fn emit(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(text) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("fangcha: error: cannot write the output: {e}");
        std::process::exit(2);
    }
}

/// `print!` through [`emit`].
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::emit(format_args!($($t)*)) };
}

/// `println!` through [`emit`].
macro_rules! outln {
    ($($t:tt)*) => { $crate::cli::emit(format_args!("{}\n", format_args!($($t)*))) };
}

mod bench;
mod commands;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// 房查 fangcha — self-built house survey GIS (自建房安全专项整治 / 房屋建筑调查).
#[derive(Debug, Parser)]
#[command(name = "fangcha", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import parcels (图斑), houses (自建房) and village boundaries into a new project file.
    Import(ImportArgs),
    /// Print coverage statistics per village, township, county or in total.
    Stats(StatsArgs),
    /// Change survey fields of one parcel or house (the app's edit path, logged in edit_log).
    Edit(EditArgs),
    /// Export parcels or houses, optionally filtered, as RFC 7946 GeoJSON.
    Export(ExportArgs),
    /// List records that break the survey's state rules (exit 1 when there are any).
    Check(CheckArgs),
    /// Show the edit log (newest first).
    Log(LogArgs),
    /// Write a generated prefecture (real 昌吉州 village codes, generated parcels and houses)
    /// as GBK Shapefiles, for benchmarks and demos.
    Generate(GenerateArgs),
    /// Generate (or reuse) a prefecture and measure import, open, pick, statistics, edits,
    /// frame preparation and memory against DESIGN §6, with GDAL's ogr2ogr for comparison.
    Bench(BenchArgs),
}

/// `fangcha bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Number of parcels (图斑); about as many houses.
    #[arg(long, default_value_t = 100_000)]
    pub parcels: usize,
    /// Folder for the generated data and the bench project (default ./fangcha-bench-N); data of
    /// the same size and seed left there by an earlier run is reused.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Seed of the generated data and of the random picks and edits.
    #[arg(long, default_value_t = 20_241_121)]
    pub seed: u64,
    /// Do not time ogr2ogr even when it is installed.
    #[arg(long = "no-ogr2ogr")]
    pub no_ogr2ogr: bool,
}

/// `fangcha generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Number of parcels (图斑); about as many houses are generated.
    #[arg(long, default_value_t = 100_000)]
    pub parcels: usize,
    /// Output folder (parcels.shp, buildings.shp, villages_6523.csv).
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// Seed: the same parcels and seed give the same files.
    #[arg(long, default_value_t = 20_241_121)]
    pub seed: u64,
}

/// `fangcha import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Parcels (图斑) file: .shp, .geojson/.json or .gpkg.
    #[arg(long)]
    pub parcels: PathBuf,
    /// Houses (自建房) file.
    #[arg(long)]
    pub buildings: Option<PathBuf>,
    /// Village boundary (村界) polygons with a 12-digit village code attribute.
    #[arg(long)]
    pub villages: Option<PathBuf>,
    /// Division code list(s) giving village, township and county names (CSV, optionally .gz).
    #[arg(long = "village-names")]
    pub village_names: Vec<PathBuf>,
    /// Reference polygon layer(s) kept in the project (e.g. a renewal-area boundary).
    #[arg(long)]
    pub overlay: Vec<PathBuf>,
    /// The project file to create (.gpkg).
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// Field mapping KEY=SRC (e.g. parcel_code=TBBH, village_code=CJQYDM, floors_above=CS); KEY= turns detection off.
    #[arg(long = "field")]
    pub fields: Vec<String>,
    /// DBF text encoding (GBK, UTF-8, GB18030 …), overriding detection.
    #[arg(long)]
    pub encoding: Option<String>,
    /// CRS of the input files (EPSG:N), overriding .prj / crs members.
    #[arg(long)]
    pub crs: Option<String>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

/// `fangcha stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Project file.
    pub project: PathBuf,
    /// Level: village, township, county or total.
    #[arg(long, default_value = "village")]
    pub level: String,
    /// Output format: table, csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Print the bulletin sentence (通报) for each unit of the level instead of the table.
    #[arg(long)]
    pub bulletin: bool,
    /// Completion convention: exclusive (已排查/total) or census (排查中+已排查 count as 正在调查).
    #[arg(long, default_value = "exclusive")]
    pub convention: String,
    /// Sort rows by completion rate, highest first, instead of by code.
    #[arg(long)]
    pub rank: bool,
}

/// `fangcha edit`.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// Project file.
    pub project: PathBuf,
    /// The parcel's 图斑编码.
    #[arg(
        long,
        conflicts_with = "building",
        required_unless_present = "building"
    )]
    pub parcel: Option<String>,
    /// The house's 房屋编码.
    #[arg(long)]
    pub building: Option<String>,
    /// FIELD=VALUE to set (repeatable; applied together in one transaction).
    #[arg(long = "set", required = true)]
    pub set: Vec<String>,
    /// Who makes the edit (written in edit_log); default $USER.
    #[arg(long)]
    pub user: Option<String>,
}

/// `fangcha export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Project file.
    pub project: PathBuf,
    /// Output GeoJSON file.
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// parcels or buildings (default: buildings when the filter uses house fields, else parcels).
    #[arg(long)]
    pub layer: Option<String>,
    /// Filter, e.g. "appraisal_grade in (C,D) and use_class=commercial", "hazardous and village_code ^= 440306017".
    #[arg(long = "where")]
    pub filter: Option<String>,
    /// Keep owner ID numbers and phone numbers of the imported attributes unmasked.
    #[arg(long = "include-personal-data")]
    pub include_personal_data: bool,
    /// Leave out the imported source attributes (src:… properties).
    #[arg(long = "no-source-attributes")]
    pub no_source_attributes: bool,
}

/// `fangcha check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Project file.
    pub project: PathBuf,
    /// Print at most this many violations.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// `fangcha log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Project file.
    pub project: PathBuf,
    /// Only this parcel (图斑编码).
    #[arg(long)]
    pub parcel: Option<String>,
    /// Only this house (房屋编码).
    #[arg(long)]
    pub building: Option<String>,
    /// At most this many rows.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// True when the error is stdout's reader having gone away (`fangcha stats … | head`): not a
/// failure of ours.
fn reader_went_away(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let io = c.downcast_ref::<std::io::Error>().or_else(|| {
            c.downcast_ref::<csv::Error>().and_then(|e| match e.kind() {
                csv::ErrorKind::Io(io) => Some(io),
                _ => None,
            })
        });
        io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Parses the arguments, runs the command, prints errors as one line, returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) if reader_went_away(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            let mut msg = String::new();
            for part in chain {
                if !msg.contains(&part) {
                    if !msg.is_empty() {
                        msg.push_str(": ");
                    }
                    msg.push_str(&part);
                }
            }
            eprintln!("fangcha: error: {}", msg.replace('\n', " "));
            ExitCode::from(2)
        }
    }
}
