//! The `mailtls` binary: parse arguments, run, turn errors into one line and an exit code.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;
use mailtls::cli::Cli;

/// Exit code for "could not check", including bad arguments (monitoring-plugin UNKNOWN).
const EXIT_UNKNOWN: u8 = 3;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(EXIT_UNKNOWN),
            };
        }
    };
    let mut stdout = anstream::stdout().lock();
    match mailtls::app::run(cli, &mut stdout).map_err(anyhow::Error::from) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mailtls: {e:#}");
            ExitCode::from(EXIT_UNKNOWN)
        }
    }
}
