//! A sweep's pages: `sweep.md`, `sweep.html` and the sweep's plots, from
//! the points' data ([`crate::sweep`]). One run folder per point holds that
//! point's own report, linked from the table.

use crate::escape::escape;
use crate::html::figure;
use crate::markdown;
use crate::plots;
use crate::report::{Plot, Table};
use crate::sweep::{Point, Row, axis, fixed};
use check::CheckName;

/// Every file of the sweep report: `sweep.md`, `sweep.html`, its plots.
pub fn render(scenario_file: &str, points: &[Point]) -> Vec<(String, String)> {
    let rows: Vec<Row> = points.iter().map(Row::of).collect();
    let axis = axis(points);
    let plots = vec![
        Plot {
            file: "sweep-violations.svg",
            caption: format!("Fraction of seeds invalid per check vs {axis}"),
            svg: plots::sweep::violations(&rows, &axis),
        },
        Plot {
            file: "sweep-staleness.svg",
            caption: format!("Stale reads and mean versions behind vs {axis}"),
            svg: plots::sweep::staleness(&rows, &axis),
        },
        Plot {
            file: "sweep-cost.svg",
            caption: format!("Latency (median, p99) and availability vs {axis}"),
            svg: plots::sweep::cost(&rows, &axis),
        },
    ];
    let table = table(points, &rows);
    let fixed = fixed(points);
    let page = Page {
        scenario_file,
        axis: &axis,
        table: &table,
        fixed: &fixed,
        plots: &plots,
    };
    let mut files = vec![
        ("sweep.md".to_string(), md(&page)),
        ("sweep.html".to_string(), html(&page)),
    ];
    files.extend(plots.into_iter().map(|p| (p.file.to_string(), p.svg)));
    files
}

/// One row per point: its values, seeds, staleness, then the invalid rate
/// of each check that was invalid on some point.
fn table(points: &[Point], rows: &[Row]) -> Table {
    let failing: Vec<CheckName> = CheckName::ALL
        .iter()
        .copied()
        .filter(|c| {
            rows.iter()
                .any(|r| r.invalid.iter().any(|(k, f)| k == c && *f > 0.0))
        })
        .collect();
    let mut header = [
        "point",
        "seeds",
        "stale reads (95 % interval)",
        "mean versions behind",
        "latency p50 / p99 ms",
        "ok (95 % interval)",
    ]
    .map(String::from)
    .to_vec();
    header.extend(
        failing
            .iter()
            .map(|c| format!("{c} invalid (95 % interval)")),
    );
    header.push("run folder".to_string());
    let mut table = vec![header];
    let pct = |f: f64, (lo, hi): (f64, f64)| {
        format!("{:.1} % ({:.1}–{:.1})", 100.0 * f, 100.0 * lo, 100.0 * hi)
    };
    for (p, r) in points.iter().zip(rows) {
        let mut row = vec![
            r.label.clone(),
            r.seeds.to_string(),
            pct(r.stale_fraction, r.stale_interval),
            format!("{:.3}", r.mean_versions_behind),
            format!(
                "{:.3} / {:.3}",
                r.p50_ns as f64 / 1e6,
                r.p99_ns as f64 / 1e6
            ),
            r.availability.map_or("-".to_string(), |(f, i)| pct(f, i)),
        ];
        for c in &failing {
            let find = |list: &[(CheckName, f64)]| list.iter().find(|(k, _)| k == c).map(|x| x.1);
            let rate = find(&r.invalid).unwrap_or(0.0);
            let interval = (r.invalid_interval.iter())
                .find(|(k, _)| k == c)
                .map_or((0.0, 1.0), |(_, i)| *i);
            row.push(pct(rate, interval));
        }
        row.push(format!("{}/", p.dir));
        table.push(row);
    }
    table
}

/// What both pages show.
struct Page<'a> {
    scenario_file: &'a str,
    axis: &'a str,
    table: &'a Table,
    fixed: &'a [(String, String)],
    plots: &'a [Plot],
}

fn md(page: &Page) -> String {
    let Page {
        scenario_file,
        axis,
        table,
        fixed,
        plots,
    } = page;
    let mut out = format!(
        "# Sweep of {axis}\n\nScenario: `{scenario_file}`; each point is a run folder with its own report and resolved `scenario.toml` (replay a point's seed from it).\n\n"
    );
    let mut linked = (*table).clone();
    for row in linked.iter_mut().skip(1) {
        if let Some(dir) = row.last_mut() {
            *dir = format!("[{dir}]({dir}report.md)");
        }
    }
    out.push_str(&markdown::table(&linked));
    out.push_str("\nChecks not listed were never invalid. Intervals: 95 % Wilson.\n");
    if !fixed.is_empty() {
        out.push_str("\n## Fixed parameters (the same at every point)\n\n");
        let rows: Table = std::iter::once(vec!["parameter".to_string(), "value".to_string()])
            .chain(fixed.iter().map(|(k, v)| vec![k.clone(), v.clone()]))
            .collect();
        out.push_str(&markdown::table(&rows));
    }
    for p in *plots {
        out.push_str(&format!("\n![{}]({})\n", p.caption, p.file));
    }
    out
}

fn html(page: &Page) -> String {
    let Page {
        scenario_file,
        axis,
        table,
        fixed,
        plots,
    } = page;
    let mut body = format!(
        "<h1>Sweep of {}</h1>\n<p>Scenario: <code>{}</code>; each point is a run folder with its own report and resolved <code>scenario.toml</code> (replay a point's seed from it).</p>\n",
        escape(axis),
        escape(scenario_file)
    );
    let mut html_table = crate::html::table(table);
    for row in table.iter().skip(1) {
        if let Some(dir) = row.last() {
            let cell = format!("<td>{}</td>", escape(dir));
            let link = format!(
                "<td><a href=\"{}report.html\">{}</a></td>",
                escape(&href(dir)),
                escape(dir)
            );
            html_table = html_table.replacen(&cell, &link, 1);
        }
    }
    body.push_str(&html_table);
    body.push_str("<p>Checks not listed were never invalid. Intervals: 95 % Wilson.</p>\n");
    if !fixed.is_empty() {
        body.push_str("<h2>Fixed parameters (the same at every point)</h2>\n<table>\n");
        for (k, v) in *fixed {
            body.push_str(&format!(
                "<tr><th>{}</th><td>{}</td></tr>\n",
                escape(k),
                escape(v)
            ));
        }
        body.push_str("</table>\n");
    }
    for p in *plots {
        body.push_str(&figure(p));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Sweep of {}</title>\n\
         <style>body {{ font-family: system-ui, sans-serif; max-width: 1160px; margin: 0 auto; padding: 16px 24px; }}\n\
         table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ddd; padding: 4px 8px; text-align: left; }}\n\
         figure svg {{ max-width: 100%; height: auto; }}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(axis)
    )
}

/// A run folder name as a relative URL: every byte but unreserved ones and
/// `/` percent-encoded (`=` and `,` are legal, but `%` or `#` would not be).
fn href(dir: &str) -> String {
    let mut out = String::new();
    for b in dir.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/=,".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
