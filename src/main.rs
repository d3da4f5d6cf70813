//! The `mailtls` binary: parse arguments, build the plan, run it, and turn
//! errors into one line and an exit code.

use std::io::Write;
use std::process::ExitCode;

use anstream::{AutoStream, ColorChoice};
use clap::error::ErrorKind;
use clap::Parser;
use mailtls::cli::Cli;
use mailtls::plan::{Color, Plan};
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
    match mailtls::plan::from_cli(cli)
        .map_err(mailtls::app::AppError::from)
        .and_then(run)
    {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Each error's message is a whole sentence, its cause included once.
            eprintln!("mailtls: {e}");
            ExitCode::from(exit::UNKNOWN)
        }
    }
}

/// Runs the plan on standard output: styled and coloured as asked for the
/// human formats, byte for byte for the machine formats (so nothing a JSON
/// string holds is stripped on its way to a pipe).
fn run(plan: Plan) -> Result<u8, mailtls::app::AppError> {
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = match plan.styled_output() {
        Some(color) => {
            let choice = match color {
                Color::Auto => ColorChoice::Auto,
                Color::Always => ColorChoice::Always,
                Color::Never => ColorChoice::Never,
            };
            // Also for what goes to standard error (the batch summary).
            choice.write_global();
            Box::new(AutoStream::new(stdout.lock(), choice))
        }
        None => Box::new(stdout.lock()),
    };
    mailtls::app::run(plan, &mut out)
}
