//! Latency distribution per operation kind: one cumulative curve per kind
//! (fraction of ok operations completed within x ms), on a log time axis.

use super::{Drawn, FAMILY, empty, ms, ms_label, palette, svg};
use crate::latency::{LatencyStats, SUB_BITS, bucket_end};
use check::Function;
use plotters::prelude::*;
use std::collections::BTreeMap;

const SIZE: (u32, u32) = (760, 380);
const TITLE: &str = "Latency of ok operations (all seeds)";

/// The cumulative curve of one kind: (bucket end in ms, fraction ≤ it).
fn cdf(stats: &LatencyStats) -> Vec<(f64, f64)> {
    let total = stats.histogram.count().max(1) as f64;
    let mut seen = 0;
    let mut points = Vec::new();
    for (&lower, &n) in &stats.histogram.0 {
        if points.is_empty() {
            points.push((ms(lower.max(1)), 0.0));
        }
        seen += n;
        points.push((ms(bucket_end(lower, SUB_BITS)), seen as f64 / total));
    }
    points
}

/// The plot; `latency` is per kind, merged over seeds.
pub fn plot(latency: &BTreeMap<Function, LatencyStats>) -> String {
    let curves: Vec<(Function, Vec<(f64, f64)>)> = (latency.iter())
        .filter(|(_, s)| s.count > 0)
        .map(|(f, s)| (*f, cdf(s)))
        .collect();
    let xs = curves.iter().flat_map(|(_, c)| c.iter().map(|p| p.0));
    let (lo, hi) = xs.fold((f64::MAX, 0.0_f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if curves.is_empty() {
        return empty(SIZE.0, SIZE.1, TITLE, "no operation completed");
    }
    svg(SIZE.0, SIZE.1, |root| {
        draw(root, &curves, (lo / 1.5, hi * 1.5))
    })
}

fn draw(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    curves: &[(Function, Vec<(f64, f64)>)],
    x: (f64, f64),
) -> Drawn {
    let mut chart = ChartBuilder::on(root)
        .caption(TITLE, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((x.0..x.1).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("latency (ms, log scale)")
        .y_desc("fraction of operations")
        .x_label_formatter(&ms_label)
        .label_style((FAMILY, 12))
        .draw()?;
    for (f, points) in curves {
        let colour = palette::function(*f);
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(f.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FAMILY, 13))
        .draw()?;
    Ok(())
}
