//! The `mailtls` binary: parse arguments, build the plan, run it, and turn
//! errors into one line and an exit code.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;
use mailtls::cli::Cli;
use mailtls::report::exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(exit::UNKNOWN),
            };
        }
    };
    let result = mailtls::plan::from_cli(cli)
        .map_err(mailtls::app::AppError::from)
        .and_then(|plan| mailtls::app::run(plan, &mut anstream::stdout().lock()));
    match result.map_err(anyhow::Error::from) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mailtls: {e:#}");
            ExitCode::from(exit::UNKNOWN)
        }
    }
}
