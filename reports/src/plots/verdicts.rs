//! Violations per check across seeds: one horizontal bar per check, split
//! into the seeds that were invalid, unknown, valid and n/a.

use super::{Drawn, FAMILY, empty, palette, svg};
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

/// `rows`: per check (display order), seeds per verdict in [`ORDER`].
pub fn plot(rows: &[(CheckName, [u64; 4])]) -> String {
    let seeds = rows
        .iter()
        .map(|(_, n)| n.iter().sum::<u64>())
        .max()
        .unwrap_or(0);
    if rows.is_empty() || seeds == 0 {
        return empty(760, 200, TITLE, "no check ran");
    }
    let height = 110 + 30 * rows.len() as u32;
    svg(760, height, |root| draw(root, rows, seeds))
}

fn draw(
    root: &DrawingArea<SVGBackend, Shift>,
    rows: &[(CheckName, [u64; 4])],
    seeds: u64,
) -> Drawn {
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
        .x_label_formatter(&|v| {
            if v.fract().abs() < 1e-9 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .label_style((FAMILY, 12))
        .draw()?;
    let name_style = TextStyle::from((FAMILY, 13)).pos(Pos::new(HPos::Right, VPos::Center));
    let count_style = TextStyle::from((FAMILY, 11))
        .color(&WHITE)
        .pos(Pos::new(HPos::Center, VPos::Center));
    for (i, (check, counts)) in rows.iter().enumerate() {
        // Top to bottom in display order.
        let y = n - 1.0 - i as f64;
        let (px, py) = chart.backend_coord(&(0.0, y));
        root.draw_text(check.as_str(), &name_style, (px - 8, py))?;
        let mut from = 0.0;
        for (verdict, &count) in ORDER.iter().zip(counts) {
            if count == 0 {
                continue;
            }
            let to = from + count as f64;
            let colour = palette::verdict(*verdict);
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
    for (i, verdict) in ORDER.iter().enumerate() {
        let x = 180 + 110 * i as i32;
        let y = height_of(root) - 14;
        root.draw(&Rectangle::new(
            [(x, y - 6), (x + 12, y + 6)],
            palette::verdict(*verdict).filled(),
        ))?;
        root.draw_text(
            verdict.as_str(),
            &TextStyle::from((FAMILY, 12)).pos(Pos::new(HPos::Left, VPos::Center)),
            (x + 16, y),
        )?;
    }
    Ok(())
}

fn height_of(root: &DrawingArea<SVGBackend, Shift>) -> i32 {
    i32::try_from(root.dim_in_pixel().1).unwrap_or(i32::MAX)
}
