//! Renderers: turn a [`Document`] into text. They never touch the network.

mod human;
pub mod pem;

pub use human::render_human;

use crate::report::Document;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A readable report for a person, coloured on a terminal.
    Human,
    /// One JSON document (see docs/json.md).
    Json,
}

/// Options that change what the human report shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Show the plaintext and TLS dialogue line by line.
    pub transcript: bool,
}

/// Renders the document. The human form carries ANSI styles; the caller's
/// stream strips them when the output is not a colour terminal.
pub fn render(document: &Document, format: Format, options: HumanOptions) -> String {
    match format {
        Format::Human => render_human(document, options),
        Format::Json => {
            // Serializing plain data structs to a String cannot fail.
            let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}
