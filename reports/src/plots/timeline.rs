//! Draws a [`Timeline`]: one lane per client top to bottom (a process
//! change marked with a tick and the new process id), time left to right,
//! fault windows shaded behind, bars coloured by operation kind (faint when
//! `fail`; when `info`, faint up to when the client gave up and ended with
//! an open `›` mark), the counterexample's operations outlined and named.
//! Every bar carries its details as an SVG `<title>` (shown on hover).

use super::{Drawn, FAMILY, ms, palette, svg};
use crate::timeline::{Bar, Timeline};
use check::{Function, Outcome};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 1100;
/// Lane height in pixels, shrunk for runs with many processes.
const LANE_PX_MAX: u32 = 26;
const LANES_PX_MAX: u32 = 900;

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Hover targets drawn at most per plot (the bars past it have no `<title>`).
const TITLES_MAX: usize = 5_000;

/// The diagram of `[from, to]` ns, titled `title`.
pub fn plot(timeline: &Timeline, (from, to): (u64, u64), title: &str) -> String {
    let lanes = timeline.lanes.len().max(1) as u32;
    let lane_px = (LANES_PX_MAX / lanes).clamp(4, LANE_PX_MAX);
    let height = 130 + lanes * lane_px;
    let to = to.max(from + 1);
    let mut titles = String::new();
    let text = svg(WIDTH, height, |root| {
        draw(root, timeline, (from, to), title, &mut titles)
    });
    // plotters has no `<title>`: add transparent hover targets on top.
    match text.rfind("</svg>") {
        Some(end) => format!("{}{titles}{}", &text[..end], &text[end..]),
        None => text,
    }
}

fn draw(
    root: &DrawingArea<SVGBackend, Shift>,
    t: &Timeline,
    (from, to): (u64, u64),
    title: &str,
    titles: &mut String,
) -> Drawn {
    let lanes = t.lanes.len().max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 18))
        .margin(12)
        .margin_bottom(34)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(ms(from)..ms(to), -0.5..(lanes - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(1)
        .y_labels(0)
        .x_desc("simulated time (ms)")
        .label_style((FAMILY, 12))
        .draw()?;
    faults(&mut chart, t, (from, to))?;
    policy(&mut chart, t, (from, to))?;
    lane_names(root, &chart, t)?;
    let visible = |b: &&Bar| b.start_ns <= to && b.drawn_end_ns >= from;
    let clip = |ns: u64| ms(ns.clamp(from, to));
    let mark = TextStyle::from((FAMILY, 12)).pos(Pos::new(HPos::Left, VPos::Center));
    for (n, b) in t.bars.iter().filter(visible).enumerate() {
        let y = lane_y(t, b.lane);
        let end = clip(b.drawn_end_ns);
        let colour = palette::function(b.f);
        let style = match b.outcome {
            Outcome::Ok => colour.filled(),
            Outcome::Fail => colour.mix(0.35).filled(),
            Outcome::Info => colour.mix(0.15).filled(),
        };
        chart.draw_series([Rectangle::new(
            [(clip(b.start_ns), y - 0.3), (end, y + 0.3)],
            style,
        )])?;
        if b.outcome == Outcome::Info && b.drawn_end_ns <= to {
            // Open end: the client stopped waiting here; the op may still land.
            let (x, py) = chart.backend_coord(&(end, y));
            root.draw_text("›", &mark.color(&colour), (x + 1, py))?;
        }
        if n < TITLES_MAX {
            let (x0, y0) = chart.backend_coord(&(clip(b.start_ns), y + 0.4));
            let (x1, y1) = chart.backend_coord(&(end, y - 0.4));
            titles.push_str(&format!(
                "<rect x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" fill=\"transparent\"><title>{}</title></rect>\n",
                (x1 - x0).max(3),
                (y1 - y0).max(3),
                crate::escape::escape(&b.title)
            ));
        }
    }
    changes(root, &chart, t, (from, to))?;
    for b in t.bars.iter().filter(visible).filter(|b| b.highlighted) {
        highlight(root, &mut chart, t, b, (from, to))?;
    }
    legend(root)?;
    Ok(())
}

/// Lane `i` drawn top to bottom.
fn lane_y(t: &Timeline, lane: usize) -> f64 {
    (t.lanes.len().max(1) - 1 - lane.min(t.lanes.len().saturating_sub(1))) as f64
}

/// A tick and the new process id where a lane's process changed.
fn changes(
    root: &DrawingArea<SVGBackend, Shift>,
    chart: &Chart,
    t: &Timeline,
    (from, to): (u64, u64),
) -> Drawn {
    let style = TextStyle::from((FAMILY, 10))
        .color(&RGBColor(0x55, 0x55, 0x55))
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    for c in t.changes.iter().filter(|c| (from..=to).contains(&c.at_ns)) {
        let y = lane_y(t, c.lane);
        let (x, y0) = chart.backend_coord(&(ms(c.at_ns), y + 0.45));
        let (_, y1) = chart.backend_coord(&(ms(c.at_ns), y - 0.45));
        root.draw(&PathElement::new(
            [(x, y0), (x, y1)],
            RGBColor(0x55, 0x55, 0x55).stroke_width(1),
        ))?;
        root.draw_text(&format!("p{}", c.process), &style, (x + 2, y0 + 1))?;
    }
    Ok(())
}

fn faults(chart: &mut Chart, t: &Timeline, (from, to): (u64, u64)) -> Drawn {
    let top = t.lanes.len().max(1) as f64 - 0.5;
    let label = TextStyle::from((FAMILY, 11)).color(&RGBColor(0x55, 0x44, 0x33));
    for f in t.faults.iter().filter(|f| f.overlaps(from, to)) {
        let (a, b) = (ms(f.start_ns.max(from)), ms(f.end_ns.min(to)));
        if f.end_ns == f.start_ns {
            let line = [(a, -0.5), (a, top)];
            chart.draw_series([PathElement::new(line, palette::PUT.stroke_width(2))])?;
        } else {
            chart.draw_series([Rectangle::new(
                [(a, -0.5), (b, top)],
                palette::FAULT.mix(0.6).filled(),
            )])?;
        }
        chart.draw_series([Text::new(f.what.clone(), (a, top), label.clone())])?;
    }
    Ok(())
}

/// Access control's moments across every lane: an acknowledged grant or
/// revoke as a solid line, a revoke's deadline (+ Δ) dashed, each named
/// at the bottom.
fn policy(chart: &mut Chart, t: &Timeline, (from, to): (u64, u64)) -> Drawn {
    let top = t.lanes.len().max(1) as f64 - 0.5;
    let colour = palette::HIGHLIGHT;
    let label = TextStyle::from((FAMILY, 11)).color(&colour);
    let shown = (t.concerned()).filter(|m| (from..=to).contains(&m.at_ns));
    for (n, m) in shown.enumerate() {
        let x = ms(m.at_ns);
        if m.deadline {
            // Dashes: short segments down the plot (bounded: 40).
            let step = (top + 0.5) / 40.0;
            chart.draw_series((0..40).step_by(2).map(|i| {
                let y = -0.5 + i as f64 * step;
                PathElement::new([(x, y), (x, y + step)], colour.stroke_width(1))
            }))?;
        } else {
            chart.draw_series([PathElement::new(
                [(x, -0.5), (x, top)],
                colour.stroke_width(1),
            )])?;
        }
        // Names staggered over three heights, so neighbours stay legible.
        let y = -0.45 + (n % 3) as f64 * 0.3;
        chart.draw_series([Text::new(format!(" {}", m.what), (x, y), label.clone())])?;
    }
    Ok(())
}

fn lane_names(root: &DrawingArea<SVGBackend, Shift>, chart: &Chart, t: &Timeline) -> Drawn {
    let lanes = t.lanes.len();
    let px = (LANES_PX_MAX / lanes.max(1) as u32).clamp(4, LANE_PX_MAX);
    // Name every lane when they are tall enough to read, else every few.
    let every = (14 / px.max(1) as usize).max(1);
    let style = TextStyle::from((FAMILY, 11)).pos(Pos::new(HPos::Right, VPos::Center));
    let x0 = chart.x_range().start;
    for (lane, processes) in t.lanes.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let (x, y) = chart.backend_coord(&(x0, lane_y(t, lane)));
        let first = processes.first().copied().unwrap_or(0);
        root.draw_text(&format!("p{first}"), &style, (x - 6, y))?;
    }
    Ok(())
}

/// Outlines a counterexample operation (at least 4 px wide, so it shows on
/// the whole-run view) and names it.
fn highlight(
    root: &DrawingArea<SVGBackend, Shift>,
    chart: &mut Chart,
    t: &Timeline,
    b: &Bar,
    (from, to): (u64, u64),
) -> Drawn {
    let y = lane_y(t, b.lane);
    let (x0, y0) = chart.backend_coord(&(ms(b.start_ns.max(from)), y + 0.45));
    let (x1, y1) = chart.backend_coord(&(ms(b.drawn_end_ns.clamp(from, to)), y - 0.45));
    let x1 = x1.max(x0 + 4);
    root.draw(&Rectangle::new(
        [(x0 - 2, y0), (x1 + 2, y1)],
        palette::HIGHLIGHT.stroke_width(2),
    ))?;
    let style = TextStyle::from((FAMILY, 12))
        .color(&palette::HIGHLIGHT)
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    let node = b.node.map(|n| format!(" via n{n}")).unwrap_or_default();
    let right = i32::try_from(WIDTH).unwrap_or(i32::MAX) - 260;
    root.draw_text(
        &format!("#{} {}{node}", b.index, b.label),
        &style,
        (x0.min(right), y0 - 1),
    )?;
    Ok(())
}

fn legend(root: &DrawingArea<SVGBackend, Shift>) -> Drawn {
    let y = i32::try_from(root.dim_in_pixel().1).unwrap_or(i32::MAX) - 10;
    let style = TextStyle::from((FAMILY, 12)).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = 60;
    let items = [
        Function::Get,
        Function::Put,
        Function::Delete,
        Function::Cas,
    ]
    .map(|f| (f.as_str().to_string(), palette::function(f).filled()));
    let extra = [
        (
            "faint: fail / info (› gave up)".to_string(),
            palette::GET.mix(0.3).filled(),
        ),
        ("fault window".to_string(), palette::FAULT.filled()),
        (
            "counterexample".to_string(),
            palette::HIGHLIGHT.stroke_width(2),
        ),
    ];
    for (name, style_box) in items.into_iter().chain(extra) {
        root.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 6)], style_box))?;
        root.draw_text(&name, &style, (x + 18, y))?;
        x += 30 + 8 * i32::try_from(name.len()).unwrap_or(10);
    }
    Ok(())
}
