//! A sweep's report: how each check's violation rate and the staleness of
//! reads change across a grid of scenario variants (`storesim sweep`).
//!
//! One run folder per point holds that point's own report; this module
//! renders the comparison: `sweep.md`, `sweep.html` and its plots.

use crate::markdown;
use crate::metrics::mean_versions_behind;
use crate::plots;
use crate::report::{Plot, Table};
use crate::results::RunResults;
use check::{CheckName, Verdict};

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// (dotted path, value as written) per swept parameter, in `--set` order.
    pub params: Vec<(String, String)>,
    /// The point's run folder, relative to the sweep folder.
    pub dir: String,
    pub results: RunResults,
}

/// What a sweep report shows of one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The swept values, e.g. `2` or `2, 1`.
    pub label: String,
    pub seeds: u64,
    /// Per check (display order): fraction of seeds invalid.
    pub invalid: Vec<(CheckName, f64)>,
    /// Fraction of measured reads at least one version behind.
    pub stale_fraction: f64,
    pub mean_versions_behind: f64,
}

impl Row {
    pub fn of(point: &Point) -> Row {
        let r = &point.results;
        let seeds = r.digest.count;
        let rate =
            |c: &CheckName| r.digest.count(*c, Verdict::Invalid) as f64 / seeds.max(1) as f64;
        let ran = CheckName::ALL
            .iter()
            .filter(|c| r.digest.checks.contains_key(c));
        let totals = r.totals.clone();
        let reads = totals.staleness.reads.max(1) as f64;
        Row {
            label: point
                .params
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            seeds,
            invalid: ran.map(|c| (*c, rate(c))).collect(),
            stale_fraction: totals.staleness.stale_reads as f64 / reads,
            mean_versions_behind: mean_versions_behind(&totals.staleness),
        }
    }
}

/// The axis name: the swept paths, e.g. `cluster.read_quorum`.
pub fn axis(points: &[Point]) -> String {
    points
        .first()
        .map(|p| {
            p.params
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

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
    ];
    let table = table(points, &rows);
    let mut files = vec![
        (
            "sweep.md".to_string(),
            md(scenario_file, &axis, &table, &plots),
        ),
        (
            "sweep.html".to_string(),
            html(scenario_file, &axis, &table, &plots),
        ),
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
    let mut header = ["point", "seeds", "stale reads", "mean versions behind"]
        .map(String::from)
        .to_vec();
    header.extend(failing.iter().map(|c| format!("{c} invalid")));
    header.push("run folder".to_string());
    let mut table = vec![header];
    for (p, r) in points.iter().zip(rows) {
        let mut row = vec![
            r.label.clone(),
            r.seeds.to_string(),
            format!("{:.1} %", 100.0 * r.stale_fraction),
            format!("{:.3}", r.mean_versions_behind),
        ];
        for c in &failing {
            let rate = r
                .invalid
                .iter()
                .find(|(k, _)| k == c)
                .map_or(0.0, |(_, f)| *f);
            row.push(format!("{:.0} %", 100.0 * rate));
        }
        row.push(format!("{}/", p.dir));
        table.push(row);
    }
    table
}

fn md(scenario_file: &str, axis: &str, table: &Table, plots: &[Plot]) -> String {
    let mut out = format!(
        "# Sweep of {axis}\n\nScenario: `{scenario_file}`; each point is a run folder with its own report.\n\n"
    );
    out.push_str(&markdown::table(table));
    out.push_str("\nChecks not listed were never invalid.\n");
    for p in plots {
        out.push_str(&format!("\n![{}]({})\n", p.caption, p.file));
    }
    out
}

fn html(scenario_file: &str, axis: &str, table: &Table, plots: &[Plot]) -> String {
    use crate::html::{escape, figure};
    let mut body = format!(
        "<h1>Sweep of {}</h1>\n<p>Scenario: <code>{}</code>; each point is a run folder with its own report.html.</p>\n",
        escape(axis),
        escape(scenario_file)
    );
    body.push_str(&crate::html::table(table));
    body.push_str("<p>Checks not listed were never invalid.</p>\n");
    for p in plots {
        body.push_str(&figure(p));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Sweep of {}</title>\n\
         <style>body {{ font-family: system-ui, sans-serif; max-width: 1160px; margin: 0 auto; padding: 16px 24px; }}\n\
         table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ddd; padding: 4px 8px; }}\n\
         figure svg {{ max-width: 100%; height: auto; }}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(axis)
    )
}
