//! `report.html`: one self-contained page — inline CSS, inline SVG, no
//! script, no font or image fetched from anywhere — so it opens from a CI
//! artifact, an e-mail or a laptop offline and looks the same.

use crate::escape::escape;
use crate::report::{Plot, Report, Table};

const CSS: &str = "
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1160px; padding: 16px 24px; color: #222; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { background: #fde2e2; } td.good { background: #e3f1df; } code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
pre { background: #f7f7f7; padding: 12px; overflow-x: auto; }
figure { margin: 12px 0; } figcaption { color: #555; font-size: 13px; }
figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.row { display: flex; flex-wrap: wrap; gap: 12px; } .row figure { flex: 1 1 520px; }
.broken { color: #b00020; font-weight: bold; } .ok { color: #2e7d32; font-weight: bold; }
.sentence { background: #fff4e5; border-left: 4px solid #d6006e; padding: 8px 12px; }
";

/// The whole page.
pub fn render(r: &Report) -> String {
    let mut body = format!("<h1>{}</h1>\n", escape(&r.title));
    if !r.description.is_empty() {
        body.push_str(&format!(
            "<p class=\"lead\">{}</p>\n",
            escape(&r.description)
        ));
    }
    body.push_str(&overview(r));
    body.push_str("<h2>Verdicts</h2>\n");
    body.push_str(&table_classed(&r.verdicts, judged_class));
    body.push_str(&figures(r, &["verdicts.svg"]));
    body.push_str("<h2>Availability (all seeds)</h2>\n");
    body.push_str(&table(&r.outcomes));
    body.push_str(&figures(
        r,
        &["throughput.svg", "availability.svg", "bytes.svg"],
    ));
    if !r.conditional.is_empty() {
        body.push_str("<h2>Conditional writes (all seeds)</h2>\n");
        body.push_str(
            "<p>S3's outcomes of cas (conditional PUT): each refusal (412, 409, 404) means not applied.</p>\n",
        );
        body.push_str(&table(&r.conditional));
        body.push_str(&figures(r, &["conditional.svg"]));
    }
    if !r.access.is_empty() {
        body.push_str("<h2>Access control (all seeds)</h2>\n");
        body.push_str("<p>Signed requests by principal and authority; a denial is S3's 403.</p>\n");
        body.push_str(&table(&r.access));
        if !r.revocation.is_empty() {
            body.push_str("<p>Revocation latency: how long after an acknowledged revoke its principal still got in.</p>\n");
            body.push_str(&table(&r.revocation));
        }
        body.push_str(&figures(r, &["access.svg", "revocation.svg"]));
    }
    body.push_str("<h2>Latency (ok operations, all seeds)</h2>\n");
    body.push_str(&table(&r.latency));
    body.push_str(&figures(r, &["latency.svg", "latency-time.svg"]));
    body.push_str("<h2>Staleness (all seeds)</h2>\n");
    body.push_str(&pairs(&r.staleness));
    if !r.objects.is_empty() {
        body.push_str("<h3>S3 objects: LIST results and versions</h3>\n");
        body.push_str(&table(&r.objects));
    }
    if !r.sizes.is_empty() {
        body.push_str("<h3>S3 objects: latency per object size</h3>\n");
        body.push_str(&table(&r.sizes));
    }
    if !r.probes.is_empty() {
        body.push_str("<h3>Staleness probes: P(fresh read) by time after the write</h3>\n");
        body.push_str(&table(&r.probes));
    }
    body.push_str(&figures(r, &["visibility.svg", "versions-behind.svg"]));
    if !r.visibility.is_empty() {
        body.push_str("<h3>t-visibility: fresh reads by time since the newest commit</h3>\n");
        body.push_str(&table(&r.visibility));
    }
    body.push_str(&failing(r));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{} — storesim report</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(&r.title)
    )
}

fn overview(r: &Report) -> String {
    let mut out = String::from("<table>\n");
    for (k, v) in &r.overview {
        let class = match (k.as_str(), r.breaches.is_empty()) {
            ("outcome", true) => " class=\"ok\"",
            ("outcome", false) => " class=\"broken\"",
            _ => "",
        };
        out.push_str(&format!(
            "<tr><th>{}</th><td{class}>{}</td></tr>\n",
            escape(k),
            escape(v)
        ));
    }
    out.push_str("</table>\n");
    for b in &r.breaches {
        out.push_str(&format!("<p class=\"broken\">broken: {}</p>\n", escape(b)));
    }
    out
}

fn failing(r: &Report) -> String {
    let Some(f) = &r.failing else {
        return "<h2>Counterexample</h2>\n<p>No seed had an invalid verdict.</p>\n".to_string();
    };
    let mut out = format!(
        "<h2>First failing seed: {} ({})</h2>\n",
        f.seed,
        escape(f.check.as_str())
    );
    out.push_str(&format!(
        "<p>Replay it: <code>{}</code></p>\n",
        escape(&f.replay)
    ));
    let Some(first) = f.examples.first() else {
        out.push_str(
            "<p>Its history was not kept in this folder; replay the seed to see it.</p>\n",
        );
        out.push_str(&elsewhere(f));
        return out;
    };
    for e in &f.examples {
        match e.seed == f.seed {
            true => out.push_str(&format!("<h3>{}</h3>\n", escape(e.check.as_str()))),
            false => out.push_str(&format!(
                "<h3>{} (first invalid on seed {})</h3>\n<p>Replay it: <code>{}</code></p>\n",
                escape(e.check.as_str()),
                e.seed,
                escape(&f.replay_of(e.seed))
            )),
        }
        out.push_str(&format!(
            "<p class=\"sentence\">{}</p>\n",
            escape(&e.sentence)
        ));
        out.push_str(&figures(r, &[crate::report::zoom_file(e, first)]));
        if e.check == first.check {
            out.push_str(&figures(r, &["timeline.svg"]));
        }
        out.push_str(&format!(
            "<pre>{}</pre>\n",
            escape(e.explanation.trim_end())
        ));
    }
    out.push_str(&elsewhere(f));
    out
}

/// Checks invalid only on other seeds, each with its replay command.
fn elsewhere(f: &crate::report::Failing) -> String {
    let mut out = String::new();
    for (check, seed, replay) in &f.elsewhere {
        out.push_str(&format!(
            "<p>{} was first invalid on seed {seed}: <code>{}</code></p>\n",
            escape(check.as_str()),
            escape(replay)
        ));
    }
    out
}

/// A table with a header row; numeric cells right-aligned.
pub fn table(rows: &Table) -> String {
    table_classed(rows, |_| None)
}

/// The verdict table's expectation cells: green when met, red when broken
/// (colour by expectation, not by verdict: an expected failure is no alarm).
fn judged_class(cell: &str) -> Option<&'static str> {
    match cell {
        "met" => Some("good"),
        "broken" => Some("bad"),
        _ => None,
    }
}

/// [`table`], with `class` naming a CSS class for some body cells.
fn table_classed(rows: &Table, class: impl Fn(&str) -> Option<&'static str>) -> String {
    let mut out = String::from("<table>\n");
    for (i, row) in rows.iter().enumerate() {
        let tag = if i == 0 { "th" } else { "td" };
        out.push_str("<tr>");
        for cell in row {
            let numeric =
                i > 0 && !cell.is_empty() && cell.chars().all(|c| c.is_ascii_digit() || c == '.');
            let class = match (i > 0).then(|| class(cell)).flatten() {
                Some(c) => format!(" class=\"{c}\""),
                None if numeric => " class=\"num\"".to_string(),
                None => String::new(),
            };
            out.push_str(&format!("<{tag}{class}>{}</{tag}>", escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

/// A two-column table without a header.
fn pairs(rows: &Table) -> String {
    let mut out = String::from("<table>\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
        out.push_str(
            &format!("<tr><th>{}</th></tr>\n", cells.join("</th><td>")).replacen(
                "</th></tr>",
                "</td></tr>",
                1,
            ),
        );
    }
    out.push_str("</table>\n");
    out
}

/// The named plots side by side.
pub fn figures(r: &Report, files: &[&str]) -> String {
    let shown: Vec<&Plot> = files
        .iter()
        .filter_map(|f| r.plots.iter().find(|p| p.file == *f))
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"row\">\n");
    for p in shown {
        out.push_str(&figure(p));
    }
    out.push_str("</div>\n");
    out
}

/// One plot inline, with its caption and file name.
pub fn figure(p: &Plot) -> String {
    format!(
        "<figure>\n{}<figcaption>{} ({})</figcaption>\n</figure>\n",
        inline_svg(&p.svg),
        escape(&p.caption),
        escape(p.file)
    )
}

/// An SVG document as an element of an HTML page: HTML knows the SVG
/// namespace, so the `xmlns` declaration (a URL, though never fetched) goes,
/// keeping the page free of anything that looks like an external reference.
pub fn inline_svg(svg: &str) -> String {
    let svg = svg.trim_start_matches(|c| c != '<');
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map_or(svg, |(_, body)| body.trim_start()),
        None => svg,
    };
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}
