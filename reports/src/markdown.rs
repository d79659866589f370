//! `report.md`: the report as GitHub-flavoured Markdown, plots linked as the
//! `.svg` files next to it (GitHub shows them inline).

use crate::report::{Report, Table};
use tabled::builder::Builder;
use tabled::settings::Style;

/// The whole `report.md`.
pub fn render(r: &Report) -> String {
    let mut out = format!("# {}\n\n", r.title);
    if !r.description.is_empty() {
        out.push_str(&format!("{}\n\n", r.description.replace('\n', " ")));
    }
    let overview: Table = std::iter::once(vec![String::new(), String::new()])
        .chain(
            r.overview
                .iter()
                .map(|(k, v)| vec![format!("**{k}**"), v.clone()]),
        )
        .collect();
    out.push_str(&table(&overview));
    for b in &r.breaches {
        out.push_str(&format!("- broken: {b}\n"));
    }
    out.push_str("\n## Verdicts\n\n");
    out.push_str(&table(&r.verdicts));
    out.push_str(&image(r, "verdicts.svg"));
    out.push_str("\n## Availability (all seeds)\n\n");
    out.push_str(&table(&r.outcomes));
    out.push_str(&image(r, "throughput.svg"));
    out.push_str(&image(r, "availability.svg"));
    out.push_str(&image(r, "bytes.svg"));
    if !r.conditional.is_empty() {
        out.push_str("\n## Conditional writes (all seeds)\n\n");
        out.push_str(
            "S3's outcomes of cas (conditional PUT): each refusal (412, 409, 404) means not applied.\n\n",
        );
        out.push_str(&table(&r.conditional));
        out.push_str(&image(r, "conditional.svg"));
    }
    if !r.access.is_empty() {
        out.push_str("\n## Access control (all seeds)\n\n");
        out.push_str("Signed requests by principal and authority; a denial is S3's 403.\n\n");
        out.push_str(&table(&r.access));
        if !r.revocation.is_empty() {
            out.push_str("\nRevocation latency: how long after an acknowledged revoke its principal still got in.\n\n");
            out.push_str(&table(&r.revocation));
        }
        out.push_str(&image(r, "access.svg"));
        out.push_str(&image(r, "revocation.svg"));
    }
    out.push_str("\n## Latency (ok operations, all seeds)\n\n");
    out.push_str(
        "Percentiles across seeds come from merged log-bucketed histograms (within 6.25 %).\n\n",
    );
    out.push_str(&table(&r.latency));
    out.push_str(&image(r, "latency.svg"));
    out.push_str(&image(r, "latency-time.svg"));
    out.push_str("\n## Staleness (all seeds)\n\n");
    let staleness: Table = std::iter::once(vec!["reads".to_string(), String::new()])
        .chain(r.staleness.iter().cloned())
        .collect();
    out.push_str(&table(&staleness));
    if !r.objects.is_empty() {
        out.push_str("\n### S3 objects: LIST results and versions\n\n");
        out.push_str(&table(&r.objects));
    }
    if !r.sizes.is_empty() {
        out.push_str("\n### S3 objects: latency per object size\n\n");
        out.push_str(&table(&r.sizes));
    }
    if !r.probes.is_empty() {
        out.push_str("\n### Staleness probes: P(fresh read) by time after the write\n\n");
        out.push_str(&table(&r.probes));
    }
    out.push_str(&image(r, "visibility.svg"));
    if !r.visibility.is_empty() {
        out.push_str("\n### t-visibility: fresh reads by time since the newest commit\n\n");
        out.push_str(&table(&r.visibility));
    }
    out.push_str(&image(r, "versions-behind.svg"));
    out.push_str(&failing(r));
    out
}

fn failing(r: &Report) -> String {
    let Some(f) = &r.failing else {
        return "\n## Counterexample\n\nNo seed had an invalid verdict.\n".to_string();
    };
    let mut out = format!("\n## First failing seed: {} ({})\n\n", f.seed, f.check);
    out.push_str(&format!("Replay it: `{}`\n\n", f.replay));
    let Some(first) = f.examples.first() else {
        out.push_str("Its history was not kept in this folder; replay the seed to see it.\n");
        out.push_str(&elsewhere(f));
        return out;
    };
    for e in &f.examples {
        match e.seed == f.seed {
            true => out.push_str(&format!("\n### {}\n\n{}\n\n", e.check, e.sentence)),
            false => out.push_str(&format!(
                "\n### {} (first invalid on seed {})\n\nReplay it: `{}`\n\n{}\n\n",
                e.check,
                e.seed,
                f.replay_of(e.seed),
                e.sentence
            )),
        }
        if e.check == first.check {
            out.push_str(&image(r, "timeline.svg"));
        }
        out.push_str(&image(r, crate::report::zoom_file(e, first)));
        out.push_str(&format!("\n```text\n{}\n```\n", e.explanation.trim_end()));
    }
    out.push_str(&elsewhere(f));
    out
}

/// Checks invalid only on other seeds, each with its replay command.
fn elsewhere(f: &crate::report::Failing) -> String {
    let lines: Vec<String> = (f.elsewhere.iter())
        .map(|(check, seed, replay)| {
            format!("- {check} was first invalid on seed {seed}: `{replay}`\n")
        })
        .collect();
    match lines.is_empty() {
        true => String::new(),
        false => format!("\n{}", lines.concat()),
    }
}

/// A Markdown table; the first row is the header. `|` in cells is escaped.
pub fn table(rows: &Table) -> String {
    let mut builder = Builder::default();
    for row in rows {
        builder.push_record(row.iter().map(|c| c.replace('|', "\\|")));
    }
    format!("{}\n", builder.build().with(Style::markdown()))
}

fn image(r: &Report, file: &str) -> String {
    r.plots
        .iter()
        .find(|p| p.file == file)
        .map(|p| format!("\n![{}]({})\n", p.caption, p.file))
        .unwrap_or_default()
}
