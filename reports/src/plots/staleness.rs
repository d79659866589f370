//! Staleness: the t-visibility curve (fraction of reads that were fresh vs
//! time since the newest commit, PBS-style) and the k-staleness histogram
//! (reads by versions behind).

use super::{Drawn, FAMILY, empty, ms, ms_label, palette, svg, whole_label};
use crate::visibility::{MIN_READS_PER_POINT, Visibility};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

const SIZE: (u32, u32) = (760, 380);
const VISIBILITY_TITLE: &str = "Fresh reads vs time since the newest commit (all seeds)";
const BEHIND_TITLE: &str = "Reads by versions behind (k-staleness, all seeds)";

/// Smallest time shown on the log axis: 1 µs (a read right after a commit).
const FLOOR_MS: f64 = 1e-3;

/// The t-visibility curve: x = bucket middle (ms, log), y = fraction fresh;
/// sparse buckets merged ([`Visibility::curve_merged`]).
pub fn visibility(v: &Visibility) -> String {
    let points: Vec<(f64, f64, u64)> = (v.curve_merged(MIN_READS_PER_POINT).iter())
        .map(|p| {
            (
                ms(p.from_ns / 2 + p.to_ns / 2).max(FLOOR_MS),
                p.fresh_fraction,
                p.reads,
            )
        })
        .collect();
    let Some(hi) = points.iter().map(|p| p.0).reduce(f64::max) else {
        return empty(
            SIZE.0,
            SIZE.1,
            VISIBILITY_TITLE,
            "no read followed a committed write",
        );
    };
    let lo = points.iter().map(|p| p.0).fold(hi, f64::min);
    svg(SIZE.0, SIZE.1, |root| {
        draw_visibility(root, &points, (lo / 2.0, hi * 2.0))
    })
}

/// The revocation curve: t-visibility for permissions (issue 17). For each
/// time t since a revoke was acknowledged, the fraction of acknowledged
/// revokes in full effect by then — no request of the revoked principal on
/// its bucket got through at or after t. `latencies_ns` are
/// [`crate::access::AccessMetrics::revocation_ns`] (0: none got through).
pub fn revocation(latencies_ns: &[u64]) -> String {
    const TITLE: &str = "Revocation: acknowledged revokes in effect vs time since acknowledgement";
    if latencies_ns.is_empty() {
        return empty(SIZE.0, SIZE.1, TITLE, "no revoke was acknowledged");
    }
    let mut sorted = latencies_ns.to_vec();
    sorted.sort_unstable();
    let n = sorted.len() as f64;
    let at_once = sorted.iter().take_while(|&&ns| ns == 0).count() as f64 / n;
    let hi = ms(*sorted.last().unwrap_or(&0)).max(FLOOR_MS * 10.0) * 2.0;
    // A step up at each latency: in effect from just after the last request
    // that still got in.
    let mut steps = vec![(FLOOR_MS, at_once)];
    for (i, &ns) in sorted.iter().enumerate().filter(|(_, ns)| **ns > 0) {
        let x = ms(ns).max(FLOOR_MS);
        let before = steps.last().map_or(at_once, |p| p.1);
        steps.push((x, before));
        steps.push((x, (i + 1) as f64 / n));
    }
    steps.push((hi, 1.0));
    svg(SIZE.0, SIZE.1, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(TITLE, (FAMILY, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((FLOOR_MS..hi).log_scale(), 0.0..1.05)?;
        chart
            .configure_mesh()
            .x_desc("time since the revoke was acknowledged (ms, log scale)")
            .y_desc("fraction of revokes in effect")
            .x_label_formatter(&ms_label)
            .label_style((FAMILY, 12))
            .draw()?;
        chart.draw_series(LineSeries::new(steps, palette::PUT.stroke_width(2)))?;
        let note = TextStyle::from((FAMILY, 12)).color(&RGBColor(0x66, 0x66, 0x66));
        let text = format!(
            "{} acknowledged revokes; {:.0} % in effect at once",
            sorted.len(),
            at_once * 100.0
        );
        root.draw_text(&text, &note, (70, 40))?;
        Ok(())
    })
}

fn draw_visibility(
    root: &DrawingArea<SVGBackend, Shift>,
    points: &[(f64, f64, u64)],
    x: (f64, f64),
) -> Drawn {
    let mut chart = ChartBuilder::on(root)
        .caption(VISIBILITY_TITLE, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((x.0..x.1).log_scale(), 0.0..1.05)?;
    chart
        .configure_mesh()
        .x_desc("time since the newest committed write (ms, log scale)")
        .y_desc("fraction of reads fresh")
        .x_label_formatter(&ms_label)
        .label_style((FAMILY, 12))
        .draw()?;
    let colour = palette::GET;
    chart.draw_series(LineSeries::new(
        points.iter().map(|p| (p.0, p.1)),
        colour.stroke_width(2),
    ))?;
    // Dot area grows with the number of reads in the bucket.
    let most = points.iter().map(|p| p.2).max().unwrap_or(1).max(1) as f64;
    chart.draw_series(points.iter().map(|&(x, y, n)| {
        let radius = 2.0 + 4.0 * (n as f64 / most).sqrt();
        Circle::new((x, y), radius as i32, colour.filled())
    }))?;
    let note = TextStyle::from((FAMILY, 12)).color(&RGBColor(0x66, 0x66, 0x66));
    let text = format!(
        "dot size: reads behind the point (≥ {MIN_READS_PER_POINT}: sparse buckets merged)"
    );
    root.draw_text(&text, &note, (70, 40))?;
    Ok(())
}

/// The k-staleness histogram: one bar per number of versions behind.
pub fn versions_behind(histogram: &BTreeMap<u32, u64>) -> String {
    let Some(&max_k) = histogram.keys().next_back() else {
        return empty(SIZE.0, SIZE.1, BEHIND_TITLE, "no read was measured");
    };
    let most = histogram.values().copied().max().unwrap_or(1).max(1);
    svg(SIZE.0, SIZE.1, |root| {
        draw_behind(root, histogram, max_k, most)
    })
}

fn draw_behind(
    root: &DrawingArea<SVGBackend, Shift>,
    histogram: &BTreeMap<u32, u64>,
    max_k: u32,
    most: u64,
) -> Drawn {
    let mut chart = ChartBuilder::on(root)
        .caption(BEHIND_TITLE, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5..(f64::from(max_k) + 0.5), 0.0..(most as f64 * 1.15))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("versions behind the newest committed write (0 = fresh)")
        .y_desc("reads")
        .x_labels((max_k as usize + 1).min(20))
        .x_label_formatter(&whole_label)
        .label_style((FAMILY, 12))
        .draw()?;
    chart.draw_series(histogram.iter().map(|(&k, &n)| {
        let colour = if k == 0 {
            palette::VALID
        } else {
            palette::INVALID
        };
        let k = f64::from(k);
        Rectangle::new([(k - 0.35, 0.0), (k + 0.35, n as f64)], colour.filled())
    }))?;
    let label = TextStyle::from((FAMILY, 11)).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Bottom,
    ));
    chart.draw_series(
        histogram
            .iter()
            .map(|(&k, &n)| Text::new(n.to_string(), (f64::from(k), n as f64), label.clone())),
    )?;
    Ok(())
}
