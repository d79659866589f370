//! Sweep plots: a metric per point of the grid, points in `--set` order on a
//! categorical x axis labelled with their values.

use super::{Drawn, FAMILY, empty, palette, svg};
use crate::sweep::Row;
use check::CheckName;
use plotters::coord::Shift;
use plotters::prelude::*;

const SIZE: (u32, u32) = (760, 400);

/// Fraction of seeds invalid, one line per check invalid at some point
/// (every check that ran when none was).
pub fn violations(rows: &[Row], axis: &str) -> String {
    let title = "Seeds invalid per check";
    let Some(first) = rows.first() else {
        return empty(SIZE.0, SIZE.1, title, "no point ran");
    };
    let failing = |c: &CheckName| {
        rows.iter()
            .any(|r| r.invalid.iter().any(|(k, f)| k == c && *f > 0.0))
    };
    let mut checks: Vec<CheckName> = first.invalid.iter().map(|(c, _)| *c).collect();
    if checks.iter().any(failing) {
        checks.retain(failing);
    }
    let series: Vec<(String, Vec<f64>)> = checks
        .iter()
        .map(|c| {
            let ys = rows.iter().map(|r| {
                r.invalid
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or(0.0, |(_, f)| *f)
            });
            (c.to_string(), ys.collect())
        })
        .collect();
    svg(SIZE.0, SIZE.1, |root| {
        lines(
            root,
            rows,
            axis,
            (title, "fraction of seeds invalid"),
            &series,
            Some(1.05),
        )
    })
}

/// Fraction of stale reads and mean versions behind, side by side.
pub fn staleness(rows: &[Row], axis: &str) -> String {
    if rows.is_empty() {
        return empty(SIZE.0, SIZE.1, "Staleness", "no point ran");
    }
    let stale = vec![(
        "stale reads".to_string(),
        rows.iter().map(|r| r.stale_fraction).collect(),
    )];
    let behind = vec![(
        "mean versions behind".to_string(),
        rows.iter().map(|r| r.mean_versions_behind).collect(),
    )];
    svg(SIZE.0 * 2, SIZE.1, |root| {
        let halves = root.split_evenly((1, 2));
        let stale_title = ("Stale reads (≥ 1 version behind)", "fraction of reads");
        lines(&halves[0], rows, axis, stale_title, &stale, None)?;
        lines(
            &halves[1],
            rows,
            axis,
            ("Mean versions behind", "versions"),
            &behind,
            None,
        )
    })
}

/// One line per series over the points; the y axis ends at `top`, or a
/// little above the largest value.
fn lines(
    root: &DrawingArea<SVGBackend, Shift>,
    rows: &[Row],
    axis: &str,
    (title, y_desc): (&str, &str),
    series: &[(String, Vec<f64>)],
    top: Option<f64>,
) -> Drawn {
    let most = series
        .iter()
        .flat_map(|(_, ys)| ys.iter().copied())
        .fold(0.0, f64::max);
    let top = top.unwrap_or(if most > 0.0 { most * 1.15 } else { 1.0 });
    let n = rows.len() as f64;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 18))
        .margin(14)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(-0.5..(n - 0.5), 0.0..top)?;
    let label_of = |v: &f64| {
        let i = v.round();
        let near = (v - i).abs() < 1e-6 && i >= 0.0;
        near.then(|| labels.get(i as usize).cloned())
            .flatten()
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(rows.len() * 2 + 1)
        .x_label_formatter(&label_of)
        .x_desc(axis)
        .y_desc(y_desc)
        .label_style((FAMILY, 12))
        .draw()?;
    for (i, (name, ys)) in series.iter().enumerate() {
        let colour = palette::SERIES[i % palette::SERIES.len()];
        let points: Vec<(f64, f64)> = ys.iter().enumerate().map(|(x, y)| (x as f64, *y)).collect();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FAMILY, 12))
        .draw()?;
    Ok(())
}
