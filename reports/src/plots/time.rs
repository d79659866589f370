//! Operations over simulated time, after Jepsen's rate and latency plots:
//! throughput by outcome, latency of `ok` operations (median and p99), and
//! availability (fraction `ok`), each over the run's time buckets with the
//! fault windows shaded (darker where more seeds had a fault then).

use super::{Drawn, FAMILY, empty, ms_label, palette, svg};
use crate::activity::{Activity, LATENCY_SUB_BITS, TimeBucket};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

const SIZE: (u32, u32) = (760, 320);

/// (bucket middle in s, bucket) for every bucket with something in it.
fn points(a: &Activity) -> Vec<(f64, &TimeBucket)> {
    let width_s = a.bucket_ns as f64 / 1e9;
    (a.buckets.iter())
        .map(|(&i, b)| ((i as f64 + 0.5) * width_s, b))
        .collect()
}

/// The time axis: from 0 to the end of the last bucket, in seconds.
fn x_range(a: &Activity) -> (f64, f64) {
    let last = a.buckets.keys().next_back().copied().unwrap_or(0);
    (
        0.0,
        ((last + 1) as f64 * a.bucket_ns as f64 / 1e9).max(1e-9),
    )
}

type Chart<'a, Y> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, Y>>;

/// The frame the three plots share: `title`, the time axis, the y axis
/// over `y` (whose ends are `y_ends`) described as `y_desc` and labelled by
/// `y_label` (plotters' default without), the mesh, and the fault windows
/// shaded over the whole height.
fn frame<'b, Y: AsRangedCoord<Value = f64>>(
    root: &DrawingArea<SVGBackend<'b>, Shift>,
    a: &Activity,
    title: &str,
    (y, y_ends): (Y, (f64, f64)),
    y_desc: &str,
    y_label: Option<&dyn Fn(&f64) -> String>,
) -> Result<Chart<'b, Y::CoordDescType>, Box<dyn std::error::Error>>
where
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (x0, x1) = x_range(a);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc("simulated time (s)").y_desc(y_desc);
    if let Some(label) = y_label {
        mesh.y_label_formatter(label);
    }
    mesh.label_style((FAMILY, 12)).draw()?;
    shade(&mut chart, a, y_ends)?;
    Ok(chart)
}

/// Shades every bucket in which some seed had a fault (orange), and in
/// the lower half of the plot every bucket in which some seed had a
/// membership movement under way (blue), so a bucket with both shows both.
fn shade<'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, Y>,
    a: &Activity,
    y: (f64, f64),
) -> Drawn {
    let width_s = a.bucket_ns as f64 / 1e9;
    let seeds = a.seeds.max(1) as f64;
    let middle = y.0 + (y.1 - y.0) / 2.0;
    let layers: [(Count, RGBColor, (f64, f64)); 2] = [
        (|b| b.faulted, palette::FAULT, y),
        (|b| b.moving, palette::MOVE, (y.0, middle)),
    ];
    for (count, colour, (low, high)) in layers {
        chart.draw_series(
            (a.buckets.iter())
                .filter(|(_, b)| count(b) > 0)
                .map(|(&i, b)| {
                    let alpha = 0.25 + 0.6 * (count(b) as f64 / seeds);
                    Rectangle::new(
                        [(i as f64 * width_s, low), ((i + 1) as f64 * width_s, high)],
                        colour.mix(alpha).filled(),
                    )
                }),
        )?;
    }
    Ok(())
}

fn legend<'a, Y: Ranged<ValueType = f64>>(chart: &mut Chart<'a, Y>) -> Drawn {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FAMILY, 12))
        .draw()?;
    Ok(())
}

/// The note on shading, under the title (membership named only when a
/// seed had a movement).
fn caption(root: &DrawingArea<SVGBackend, Shift>, a: &Activity) -> Drawn {
    let note = TextStyle::from((FAMILY, 11)).color(&RGBColor(0x66, 0x66, 0x66));
    let text = if a.buckets.values().any(|b| b.moving > 0) {
        "shaded: a fault active (orange), a membership change under way (blue, lower half); darker: on more seeds"
    } else {
        "shaded: a fault active (darker: on more seeds)"
    };
    root.draw_text(text, &note, (70, 36))?;
    Ok(())
}

/// One of a bucket's counts.
type Count = fn(&TimeBucket) -> u64;

/// Operations per second (mean per seed) by outcome, by invoke time.
pub fn throughput(a: &Activity) -> String {
    const TITLE: &str = "Throughput over time (operations/s per seed, by outcome)";
    if a.buckets.is_empty() {
        return empty(SIZE.0, SIZE.1, TITLE, "no operation ran");
    }
    let per_s = 1e9 / (a.bucket_ns.max(1) as f64 * a.seeds.max(1) as f64);
    let series: [(&str, RGBColor, Count); 3] = [
        ("ok", palette::VALID, |b| b.outcomes.ok),
        ("fail", palette::INVALID, |b| b.outcomes.fail),
        ("info (timed out)", palette::UNKNOWN, |b| b.outcomes.info),
    ];
    let top = (a.buckets.values())
        .map(|b| b.outcomes.total() as f64 * per_s)
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.15;
    svg(SIZE.0, SIZE.1, |root| {
        let y = (0.0..top, (0.0, top));
        let mut chart = frame(root, a, TITLE, y, "operations/s", None)?;
        rate_lines(&mut chart, a, per_s, &series)?;
        legend(&mut chart)?;
        caption(root, a)
    })
}

/// Object body bytes per second of the `ok` GETs and PUTs invoked in each
/// bucket, per seed (S3 runs: throughput in bytes, next to operations).
pub fn bytes(a: &Activity) -> String {
    const TITLE: &str = "Throughput over time (object bytes/s per seed, ok GETs and PUTs)";
    if !a.has_bytes() {
        return empty(SIZE.0, SIZE.1, TITLE, "no object body moved");
    }
    let mb = |bytes_per_s: f64| bytes_per_s / 1e6;
    let rates = a.throughput();
    let top = rates.iter().map(|r| mb(r.2)).fold(0.0, f64::max).max(1e-9) * 1.15;
    svg(SIZE.0, SIZE.1, |root| {
        let y = (0.0..top, (0.0, top));
        let mut chart = frame(root, a, TITLE, y, "MB/s", None)?;
        let line: Vec<(f64, f64)> = (points(a).into_iter().zip(&rates))
            .map(|((x, _), r)| (x, mb(r.2)))
            .collect();
        labelled_line(&mut chart, "bytes", palette::VALID, line)?;
        legend(&mut chart)?;
        caption(root, a)
    })
}

/// Signed requests per second (per seed) that got through and that were
/// refused (403), with every acknowledged grant and revoke marked by a
/// vertical line at its bucket: does the denial follow the revoke, and how
/// soon? (Issue 17.)
pub fn access(a: &Activity) -> String {
    const TITLE: &str = "Access over time (signed requests/s per seed; grants and revokes marked)";
    if !a.has_access() {
        return empty(SIZE.0, SIZE.1, TITLE, "no request named a principal");
    }
    let per_s = 1e9 / (a.bucket_ns.max(1) as f64 * a.seeds.max(1) as f64);
    let top = (a.buckets.values())
        .map(|b| b.allowed.max(b.denied) as f64 * per_s)
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.15;
    let series: [(&str, RGBColor, Count); 2] = [
        ("allowed", palette::VALID, |b| b.allowed),
        ("denied (403)", palette::INVALID, |b| b.denied),
    ];
    let marks: [(&str, RGBColor, Count); 2] = [
        ("grant acknowledged", palette::GET, |b| b.grants),
        ("revoke acknowledged", palette::PUT, |b| b.revokes),
    ];
    svg(SIZE.0, SIZE.1, |root| {
        let y = (0.0..top, (0.0, top));
        let mut chart = frame(root, a, TITLE, y, "requests/s", None)?;
        for (name, colour, count) in marks {
            let at: Vec<f64> = (points(a).into_iter())
                .filter(|(_, b)| count(b) > 0)
                .map(|(x, _)| x)
                .collect();
            let style = colour.mix(0.7).stroke_width(1);
            chart
                .draw_series(
                    at.into_iter()
                        .map(|x| PathElement::new([(x, 0.0), (x, top)], style)),
                )?
                .label(name)
                .legend(move |(x, y)| PathElement::new([(x + 8, y - 6), (x + 8, y + 6)], style));
        }
        rate_lines(&mut chart, a, per_s, &series)?;
        legend(&mut chart)?;
        caption(root, a)
    })
}

/// One line per count in `series`, as a rate: the count per bucket times
/// `per_s` (per second of simulated time, per seed).
fn rate_lines<'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, Y>,
    a: &Activity,
    per_s: f64,
    series: &[(&str, RGBColor, Count)],
) -> Drawn {
    for &(name, colour, count) in series {
        let line: Vec<(f64, f64)> = (points(a).into_iter())
            .map(|(x, b)| (x, count(b) as f64 * per_s))
            .collect();
        labelled_line(chart, name, colour, line)?;
    }
    Ok(())
}

/// Draws `line` in `colour`, listed in the legend as `name`.
fn labelled_line<'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, Y>,
    name: &str,
    colour: RGBColor,
    line: Vec<(f64, f64)>,
) -> Drawn {
    chart
        .draw_series(LineSeries::new(line, colour.stroke_width(2)))?
        .label(name)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
    Ok(())
}

/// Median and p99 latency of the `ok` operations invoked in each bucket.
pub fn latency(a: &Activity) -> String {
    const TITLE: &str = "Latency over time (ok operations, ms, log scale)";
    let quantile = |b: &TimeBucket, q| b.latency.quantile(q, LATENCY_SUB_BITS) as f64 / 1e6;
    let with_ok: Vec<(f64, &TimeBucket)> = (points(a).into_iter())
        .filter(|(_, b)| !b.latency.is_empty())
        .collect();
    let (lo, hi) = (with_ok.iter())
        .flat_map(|(_, b)| [quantile(b, 0.5), quantile(b, 0.99)])
        .fold((f64::MAX, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if with_ok.is_empty() {
        return empty(SIZE.0, SIZE.1, TITLE, "no operation completed ok");
    }
    let (lo, hi) = ((lo / 2.0).max(1e-4), (hi * 2.0).max(lo * 4.0).max(2e-4));
    svg(SIZE.0, SIZE.1, |root| {
        let y = ((lo..hi).log_scale(), (lo, hi));
        let mut chart = frame(root, a, TITLE, y, "latency (ms)", Some(&ms_label))?;
        for (name, q, colour) in [("median", 0.5, palette::GET), ("p99", 0.99, palette::PUT)] {
            let line: Vec<(f64, f64)> = (with_ok.iter())
                .map(|(x, b)| (*x, quantile(b, q)))
                .collect();
            labelled_line(&mut chart, name, colour, line)?;
        }
        legend(&mut chart)?;
        caption(root, a)
    })
}

/// Availability: the fraction of the operations invoked in each bucket that
/// ended `ok`.
pub fn availability(a: &Activity) -> String {
    const TITLE: &str = "Availability over time (fraction of operations ok)";
    let line: Vec<(f64, f64)> = (points(a).into_iter())
        .filter(|(_, b)| b.outcomes.total() > 0)
        .map(|(x, b)| (x, b.outcomes.ok as f64 / b.outcomes.total() as f64))
        .collect();
    if line.is_empty() {
        return empty(SIZE.0, SIZE.1, TITLE, "no operation ran");
    }
    svg(SIZE.0, SIZE.1, |root| {
        let mut chart = frame(
            root,
            a,
            TITLE,
            (0.0..1.05, (0.0, 1.05)),
            "fraction ok",
            None,
        )?;
        chart.draw_series(LineSeries::new(line, palette::VALID.stroke_width(2)))?;
        caption(root, a)
    })
}
