//! mailtls: check and explain the TLS security of mail servers.
//!
//! Data flows one way, one folder a stage:
//!
//! ```text
//! argv ─cli─▶ plan ─▶ engine ─▶ gather ─▶ facts ─▶ diagnose ─▶ report ─▶ output
//! ```
//!
//! [`cli`] holds the clap types and [`plan`] turns them into one checked plan;
//! [`engine`] runs its jobs; [`gather`] is the only code that opens connections,
//! driving the sans-I/O [`protocol`] dialogues; [`facts`] is plain serde data at
//! the waist; [`diagnose`] holds the pure rules that turn facts into findings;
//! [`report`] judges a whole run (verdicts, exit codes); [`output`] formats.
//! [`app`] runs a command from a plan; [`exporter`] serves Prometheus probes. See docs/architecture.md.

pub mod app;
pub mod cli;
pub mod diagnose;
pub mod engine;
pub mod exporter;
pub mod facts;
pub mod gather;
pub mod output;
pub mod plan;
pub mod protocol;
pub mod report;
