//! Plots as SVG text, drawn with plotters' SVG backend.
//!
//! Text is laid out with the bundled DejaVu Sans (registered once as
//! `sans-serif`), so no system font library is needed and the same data gives
//! byte-identical SVG on every machine. The SVG names the family
//! `sans-serif`; the viewer draws it with its own font.
//!
//! Every plot function is pure: data in, SVG text out. Drawing errors (there
//! should be none: the backend writes to a string) give a small SVG that says
//! so rather than a panic.

pub mod latency;
pub mod staleness;
pub mod sweep;
pub mod time;
pub mod timeline;
pub mod verdicts;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family every plot uses.
pub(crate) const FAMILY: &str = "sans-serif";

fn register_font() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        // The bytes are a valid TrueType font shipped with the crate (tested).
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("bundled font DejaVuSans.ttf does not parse"));
    });
}

/// What drawing code returns.
pub(crate) type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Draws `width` × `height` pixels of SVG with `draw`.
pub(crate) fn svg(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Drawn,
) -> String {
    register_font();
    let mut text = String::new();
    let outcome = {
        let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root).map_err(|e| e.to_string()))
            .and_then(|()| root.present().map_err(|e| e.to_string()))
    };
    match outcome {
        Ok(()) => text,
        Err(e) => failed(width, height, &e),
    }
}

fn failed(width: u32, height: u32, error: &str) -> String {
    format!(
        "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"10\" y=\"20\">plot failed: {}</text></svg>\n",
        crate::escape::escape(error)
    )
}

/// A plot with nothing to show: a framed note, so the page keeps its layout.
pub(crate) fn empty(width: u32, height: u32, title: &str, note: &str) -> String {
    svg(width, height, |root| {
        let root = root.titled(title, (FAMILY, 18))?;
        let style = TextStyle::from((FAMILY, 14)).color(&RGBColor(0x75, 0x75, 0x75));
        root.draw_text(note, &style, (20, 20))?;
        Ok(())
    })
}

/// Colours shared by every plot.
pub(crate) mod palette {
    use check::{Function, Verdict};
    use plotters::style::RGBColor;

    pub const GET: RGBColor = RGBColor(0x4e, 0x79, 0xa7);
    pub const PUT: RGBColor = RGBColor(0xf2, 0x8e, 0x2b);
    pub const DELETE: RGBColor = RGBColor(0xb0, 0x7a, 0xa1);
    pub const CAS: RGBColor = RGBColor(0x76, 0xb7, 0xb2);
    pub const VALID: RGBColor = RGBColor(0x59, 0xa1, 0x4f);
    pub const INVALID: RGBColor = RGBColor(0xe1, 0x57, 0x59);
    pub const UNKNOWN: RGBColor = RGBColor(0xed, 0xc9, 0x48);
    pub const NOT_APPLICABLE: RGBColor = RGBColor(0xba, 0xb0, 0xac);
    /// Invalid or unknown seeds of a check expected to fail (or not judged):
    /// a finding, not an alarm.
    pub const EXPECTED: RGBColor = RGBColor(0x8c, 0x9d, 0xb5);
    /// The counterexample's operations.
    pub const HIGHLIGHT: RGBColor = RGBColor(0xd6, 0x00, 0x6e);
    /// Fault windows.
    pub const FAULT: RGBColor = RGBColor(0xff, 0xd8, 0xa8);
    /// A membership movement under way (issue 16), apart from faults.
    pub const MOVE: RGBColor = RGBColor(0xb8, 0xd4, 0xf0);
    /// A series per check or per swept line: Tableau 10.
    pub const SERIES: [RGBColor; 10] = [
        RGBColor(0x4e, 0x79, 0xa7),
        RGBColor(0xe1, 0x57, 0x59),
        RGBColor(0x59, 0xa1, 0x4f),
        RGBColor(0xf2, 0x8e, 0x2b),
        RGBColor(0xb0, 0x7a, 0xa1),
        RGBColor(0x76, 0xb7, 0xb2),
        RGBColor(0xed, 0xc9, 0x48),
        RGBColor(0xff, 0x9d, 0xa7),
        RGBColor(0x9c, 0x75, 0x5f),
        RGBColor(0xba, 0xb0, 0xac),
    ];

    pub fn function(f: Function) -> RGBColor {
        match f {
            Function::Get => GET,
            Function::Put => PUT,
            Function::Delete => DELETE,
            Function::Cas => CAS,
            // Listings are not drawn yet; until they are, the colour of reads.
            Function::List | Function::ListVersions => GET,
            // Policy changes are not drawn; the colour of writes.
            Function::Grant | Function::Revoke => PUT,
        }
    }

    pub fn verdict(v: Verdict) -> RGBColor {
        match v {
            Verdict::Valid => VALID,
            Verdict::Invalid => INVALID,
            Verdict::Unknown => UNKNOWN,
            Verdict::NotApplicable => NOT_APPLICABLE,
        }
    }
}

/// Nanoseconds as milliseconds, for axes.
pub(crate) fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// An axis label for milliseconds on a log axis: `0.01`, `2`, `1500`.
pub(crate) fn ms_label(v: &f64) -> String {
    if *v >= 1.0 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// An axis label for a count: the whole numbers, and nothing between them
/// (a count axis's ticks may fall on fractions).
pub(crate) fn whole_label(v: &f64) -> String {
    if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_registers_and_an_empty_plot_is_svg() {
        let text = empty(300, 100, "nothing", "no data");
        assert!(text.starts_with("<svg"), "{text}");
        assert!(
            text.contains("no data") && !text.contains("plot failed"),
            "{text}"
        );
    }
}
