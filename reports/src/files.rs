//! A run's report as files: what [`crate::report::build`] computes, written
//! as Markdown ([`crate::markdown`]), HTML ([`crate::html`]) and one SVG per
//! plot. Its own module so that the report's content does not depend on the
//! pages that show it (they depend on it).

use crate::report::{Kept, build};
use crate::results::RunResults;

/// Every file of the report by name: `report.md`, `report.html` and one
/// `.svg` per plot; the caller writes them.
pub fn render(results: &RunResults, kept: &[Kept]) -> Vec<(String, String)> {
    let report = build(results, kept);
    let mut files = vec![
        ("report.md".to_string(), crate::markdown::render(&report)),
        ("report.html".to_string(), crate::html::render(&report)),
    ];
    files.extend(
        report
            .plots
            .iter()
            .map(|p| (p.file.to_string(), p.svg.clone())),
    );
    files
}
