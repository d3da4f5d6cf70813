//! mailtls: check and explain the TLS security of mail servers.
//!
//! Data flows one way: [`target`] → [`plan`] → [`protocol`] dialogue driven by
//! [`session`] → [`tls`] session → [`check`] facts → [`diagnose`] findings →
//! [`report`] → [`output`]. Gathering facts never prints; renderers never touch
//! the network.

pub mod app;
pub mod audit;
pub mod cert;
pub mod chain;
pub mod check;
pub mod cli;
pub mod compare;
pub mod diagnose;
pub mod fetch;
pub mod lines;
pub mod output;
pub mod plan;
pub mod protocol;
pub mod report;
pub mod scan;
pub mod session;
pub mod target;
pub mod tls;
