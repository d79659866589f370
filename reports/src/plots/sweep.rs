//! Sweep plots: a metric per point of the grid, points in `--set` order on a
//! categorical x axis labelled with their values; rates with 95 % Wilson
//! intervals as error bars.

use super::{Drawn, FAMILY, empty, palette, svg};
use crate::sweep::Row;
use check::CheckName;
use plotters::coord::Shift;
use plotters::prelude::*;

const SIZE: (u32, u32) = (760, 400);

/// One line: a value per point, and an error bar (low, high) per point
/// where the value is a rate.
struct Line {
    name: String,
    ys: Vec<f64>,
    bars: Vec<Option<(f64, f64)>>,
}

impl Line {
    fn plain(name: &str, ys: Vec<f64>) -> Line {
        Line {
            name: name.to_string(),
            bars: vec![None; ys.len()],
            ys,
        }
    }
}

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
    let series: Vec<Line> = checks
        .iter()
        .map(|c| {
            let ys = rows.iter().map(|r| {
                r.invalid
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or(0.0, |(_, f)| *f)
            });
            let bars = rows.iter().map(|r| {
                (r.invalid_interval.iter())
                    .find(|(k, _)| k == c)
                    .map(|(_, i)| *i)
            });
            Line {
                name: c.to_string(),
                ys: ys.collect(),
                bars: bars.collect(),
            }
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
    let stale = vec![Line {
        name: "stale reads".to_string(),
        ys: rows.iter().map(|r| r.stale_fraction).collect(),
        bars: rows.iter().map(|r| Some(r.stale_interval)).collect(),
    }];
    let behind = vec![Line::plain(
        "mean versions behind",
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

/// The cost side: latency of ok operations (median and p99) and
/// availability (fraction of operations ok, with its interval).
pub fn cost(rows: &[Row], axis: &str) -> String {
    if rows.is_empty() {
        return empty(SIZE.0, SIZE.1, "Cost", "no point ran");
    }
    let latency = vec![
        Line::plain(
            "median",
            rows.iter().map(|r| r.p50_ns as f64 / 1e6).collect(),
        ),
        Line::plain("p99", rows.iter().map(|r| r.p99_ns as f64 / 1e6).collect()),
    ];
    let available = vec![Line {
        name: "ok".to_string(),
        ys: rows
            .iter()
            .map(|r| r.availability.map_or(0.0, |a| a.0))
            .collect(),
        bars: rows.iter().map(|r| r.availability.map(|a| a.1)).collect(),
    }];
    svg(SIZE.0 * 2, SIZE.1, |root| {
        let halves = root.split_evenly((1, 2));
        let title = ("Latency of ok operations", "ms");
        lines(&halves[0], rows, axis, title, &latency, None)?;
        let title = ("Availability (fraction of operations ok)", "fraction ok");
        lines(&halves[1], rows, axis, title, &available, Some(1.05))
    })
}

/// One line per series over the points, with its error bars; the y axis
/// ends at `top`, or a little above the largest value or bar.
fn lines(
    root: &DrawingArea<SVGBackend, Shift>,
    rows: &[Row],
    axis: &str,
    (title, y_desc): (&str, &str),
    series: &[Line],
    top: Option<f64>,
) -> Drawn {
    let most = series
        .iter()
        .flat_map(|l| {
            let bars = l.bars.iter().flatten().map(|b| b.1);
            l.ys.iter().copied().chain(bars)
        })
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
    for (i, line) in series.iter().enumerate() {
        let colour = palette::SERIES[i % palette::SERIES.len()];
        let points: Vec<(f64, f64)> = (line.ys.iter().enumerate())
            .map(|(x, y)| (x as f64, *y))
            .collect();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(line.name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
        // An I per bar (a stem and two caps), shifted a little per series
        // so that overlapping bars stay apart.
        let (shift, cap) = (0.04 * i as f64, 0.06);
        let bars: Vec<(f64, f64, f64)> = (points.iter().zip(&line.bars))
            .filter_map(|(&(x, _), bar)| bar.map(|(lo, hi)| (x + shift, lo, hi)))
            .collect();
        chart.draw_series(bars.iter().flat_map(|&(x, lo, hi)| {
            [
                PathElement::new([(x, lo), (x, hi)], colour.stroke_width(1)),
                PathElement::new([(x - cap, lo), (x + cap, lo)], colour.stroke_width(1)),
                PathElement::new([(x - cap, hi), (x + cap, hi)], colour.stroke_width(1)),
            ]
        }))?;
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
