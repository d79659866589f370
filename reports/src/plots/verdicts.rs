//! Violations per check across seeds: one horizontal bar per check, split
//! into the seeds that were invalid, unknown, valid and n/a.
//!
//! Coloured by expectation, not by verdict alone: invalid and unknown seeds
//! are red and yellow only where they break `[expect]`; where the check was
//! expected to fail (or not judged) they are a quiet grey-blue, and the
//! check's name says whether its expectation was met (✓) or broken (✗).

use super::{Drawn, FAMILY, empty, palette, svg, whole_label};
use crate::results::Judged;
use check::{CheckName, Verdict};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The order of the stacked segments, worst first.
pub const ORDER: [Verdict; 4] = [
    Verdict::Invalid,
    Verdict::Unknown,
    Verdict::Valid,
    Verdict::NotApplicable,
];

const TITLE: &str = "Verdicts per check across seeds";

/// One bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub check: CheckName,
    /// Seeds per verdict in [`ORDER`].
    pub counts: [u64; 4],
    pub judged: Judged,
}

/// The colour of `verdict`'s segment in a bar judged `judged`.
fn colour(verdict: Verdict, judged: Judged) -> RGBColor {
    match (verdict, judged) {
        (Verdict::Invalid | Verdict::Unknown, Judged::Met | Judged::NotJudged) => palette::EXPECTED,
        _ => palette::verdict(verdict),
    }
}

/// `rows`: per check (display order).
pub fn plot(rows: &[Row]) -> String {
    let seeds = rows
        .iter()
        .map(|r| r.counts.iter().sum::<u64>())
        .max()
        .unwrap_or(0);
    if rows.is_empty() || seeds == 0 {
        return empty(760, 200, TITLE, "no check ran");
    }
    let height = 110 + 30 * rows.len() as u32;
    svg(760, height, |root| draw(root, rows, seeds))
}

fn draw(root: &DrawingArea<SVGBackend, Shift>, rows: &[Row], seeds: u64) -> Drawn {
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(TITLE, (FAMILY, 18))
        .margin(12)
        .margin_bottom(34)
        .x_label_area_size(35)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..seeds as f64, -0.5..(n - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("seeds")
        .x_label_formatter(&whole_label)
        .label_style((FAMILY, 12))
        .draw()?;
    let name_style = TextStyle::from((FAMILY, 13)).pos(Pos::new(HPos::Right, VPos::Center));
    let count_style = TextStyle::from((FAMILY, 11))
        .color(&WHITE)
        .pos(Pos::new(HPos::Center, VPos::Center));
    for (i, row) in rows.iter().enumerate() {
        // Top to bottom in display order.
        let y = n - 1.0 - i as f64;
        let (px, py) = chart.backend_coord(&(0.0, y));
        let (mark, name_colour) = match row.judged {
            Judged::Met => (" ✓", BLACK),
            Judged::Broken => (" ✗", palette::INVALID),
            Judged::NotJudged => ("", BLACK),
        };
        root.draw_text(
            &format!("{}{mark}", row.check.as_str()),
            &name_style.color(&name_colour),
            (px - 8, py),
        )?;
        let mut from = 0.0;
        for (verdict, &count) in ORDER.iter().zip(&row.counts) {
            if count == 0 {
                continue;
            }
            let to = from + count as f64;
            let colour = colour(*verdict, row.judged);
            chart.draw_series([Rectangle::new(
                [(from, y - 0.35), (to, y + 0.35)],
                colour.filled(),
            )])?;
            let (left, right) = (
                chart.backend_coord(&(from, y)).0,
                chart.backend_coord(&(to, y)).0,
            );
            if right - left > 24 {
                root.draw_text(&count.to_string(), &count_style, ((left + right) / 2, py))?;
            }
            from = to;
        }
    }
    let legend = [
        (palette::INVALID, "invalid, breaks expect"),
        (palette::UNKNOWN, "unknown, breaks expect"),
        (palette::EXPECTED, "failed, as expected"),
        (palette::VALID, "valid"),
        (palette::NOT_APPLICABLE, "n/a"),
    ];
    let mut x = 20;
    for (colour, label) in legend {
        let y = height_of(root) - 14;
        root.draw(&Rectangle::new(
            [(x, y - 6), (x + 12, y + 6)],
            colour.filled(),
        ))?;
        root.draw_text(
            label,
            &TextStyle::from((FAMILY, 12)).pos(Pos::new(HPos::Left, VPos::Center)),
            (x + 16, y),
        )?;
        x += 28 + 7 * i32::try_from(label.chars().count()).unwrap_or(0);
    }
    Ok(())
}

fn height_of(root: &DrawingArea<SVGBackend, Shift>) -> i32 {
    i32::try_from(root.dim_in_pixel().1).unwrap_or(i32::MAX)
}
