//! `storesim sweep <SCENARIO> --set path=v1,v2 [--set ...] --seeds N --out DIR`:
//! runs the scenario at every point of the grid (the cartesian product of the
//! `--set` values, the first `--set` varying slowest), one run folder per
//! point (`DIR/<path>=<v>[,<path>=<v>...]/`), then writes the comparison
//! (`DIR/sweep.md`, `sweep.html`, plots).
//!
//! A point is the user's own TOML document with values replaced by dotted
//! path (`crate::scenario_edit`), validated by `Scenario::parse` like a
//! hand-written file — so a bad path or value is the usual clear error
//! (exit 2), named after the point, before anything runs.

use crate::cli::SweepArgs;
use crate::run::{self, Plan};
use crate::scenario_edit::ScenarioDoc;
use crate::{output, seeds};
use anyhow::{Context, bail};
use check::{CheckName, Verdict};
use reports::sweep::Point;
use sim::{RunOptions, Scenario};
use std::process::ExitCode;

/// One `--set`: a dotted path and its values (TOML literals, as written).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<String>,
}

/// A point to run: (path, value text) per axis, and its scenario.
struct Variant {
    params: Vec<(String, String)>,
    dir: String,
    scenario: Scenario,
}

pub fn sweep(args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let file = args.scenario.display().to_string();
    let text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("cannot read the scenario file {file}"))?;
    Scenario::parse(&text, &file)?;
    let axes: Vec<Axis> = args
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<anyhow::Result<_>>()?;
    let variants = grid(&axes)
        .into_iter()
        .map(|params| variant(&text, &file, params))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut points = Vec::new();
    let mut broken = 0;
    for v in &variants {
        let out = args.out.join(&v.dir);
        let first = args.seed.unwrap_or(v.scenario.seed);
        let seeds = seeds::range(first, args.seeds, None)?;
        // Replay commands name the point's own resolved scenario, which
        // `execute` writes first: the base file would replay another point.
        let point_file = out.join("scenario.toml").display().to_string();
        let done = run::execute(&Plan {
            scenario: &v.scenario,
            scenario_file: &point_file,
            seeds: &seeds,
            jobs: args
                .jobs
                .map_or_else(sim::batch::default_jobs, |j| j as usize),
            options: RunOptions::default(),
            check_determinism: false,
            keep_histories: args.keep_histories,
            out: &out,
        })?;
        broken += done.breaches.len();
        println!("{}", point_line(&v.dir, &done.results));
        points.push(Point {
            params: v.params.clone(),
            dir: v.dir.clone(),
            results: done.results,
        });
    }
    for (name, content) in reports::sweep_page::render(&file, &points) {
        output::write_atomic(&args.out.join(name), &content)?;
    }
    println!("sweep report: {}", args.out.join("sweep.html").display());
    if broken > 0 {
        println!("{broken} expectation(s) broken across the points (see each point's report)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `cluster.read_quorum=1,2,3` → the path and its values. Commas inside
/// quotes, brackets or braces do not split (`network.latency={ dist = "fixed", value = "1ms" }`).
pub fn parse_set(text: &str) -> anyhow::Result<Axis> {
    let Some((path, values)) = text.split_once('=') else {
        bail!("--set {text:?}: expected PATH=V1,V2,... (e.g. cluster.read_quorum=1,2,3)");
    };
    let path = path.trim();
    let valid = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !path.split('.').all(valid) {
        bail!(
            "--set {text:?}: {path:?} is not a dotted path of TOML keys (e.g. cluster.read_quorum)"
        );
    }
    let values: Vec<String> = split_values(values)
        .into_iter()
        .map(|v| v.trim().to_string())
        .collect();
    if values.iter().any(String::is_empty) {
        bail!("--set {text:?}: an empty value");
    }
    for v in &values {
        literal(v).with_context(|| format!("--set {text:?}"))?;
    }
    Ok(Axis {
        path: path.to_string(),
        values,
    })
}

/// Splits at the commas that are outside strings, arrays and inline tables.
fn split_values(text: &str) -> Vec<&str> {
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A value as a TOML literal: `2`, `"2ms"`, `true`, `{ dist = "fixed", value = "1ms" }`.
fn literal(text: &str) -> anyhow::Result<toml::Value> {
    let mut table: toml::Table = toml::from_str(&format!("v = {text}")).map_err(|_| {
        anyhow::anyhow!("{text:?} is not a TOML value (strings need quotes: '\"2ms\"')")
    })?;
    table.remove("v").context("no value")
}

/// Every combination, the first axis varying slowest.
fn grid(axes: &[Axis]) -> Vec<Vec<(String, String)>> {
    let mut points: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.push((axis.path.clone(), v.clone()));
                    p
                })
            })
            .collect();
    }
    points
}

fn variant(text: &str, file: &str, params: Vec<(String, String)>) -> anyhow::Result<Variant> {
    let mut doc = ScenarioDoc::parse(text)?;
    for (path, value) in &params {
        doc.set(path, literal(value)?)
            .with_context(|| format!("--set {path}={value}"))?;
    }
    let label: Vec<String> = params.iter().map(|(p, v)| format!("{p}={v}")).collect();
    let label = label.join(",");
    let text = doc.to_toml();
    let scenario = Scenario::parse(&text, &format!("{file} ({label})"))?;
    Ok(Variant {
        dir: folder_name(&label),
        params,
        scenario,
    })
}

/// `cluster.read_quorum=2` as one safe path component (quotes and spaces go).
fn folder_name(label: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "._-=,+".contains(c);
    label
        .chars()
        .filter(|c| *c != '"' && *c != '\'' && *c != ' ')
        .map(|c| if safe(c) { c } else { '_' })
        .collect()
}

/// `cluster.read_quorum=1: 20 seeds; invalid: read-after-write 17, linearizable 20; stale reads 3.1 %`.
fn point_line(dir: &str, results: &reports::RunResults) -> String {
    let invalid: Vec<String> = CheckName::ALL
        .iter()
        .filter_map(|c| {
            let n = results.digest.count(*c, Verdict::Invalid);
            (n > 0).then(|| format!("{c} {n}"))
        })
        .collect();
    let totals = results.totals.clone();
    let stale = 100.0 * totals.staleness.stale_reads as f64 / totals.staleness.reads.max(1) as f64;
    let invalid = if invalid.is_empty() {
        "none".to_string()
    } else {
        invalid.join(", ")
    };
    format!(
        "{dir}: {} seeds; seeds invalid per check: {invalid}; stale reads {stale:.1} %",
        results.digest.count
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sets_with_literals_and_nested_commas() {
        let a = parse_set("cluster.read_quorum=1,2,3").unwrap();
        assert_eq!(a.values, ["1", "2", "3"]);
        let b = parse_set(r#"network.latency={ dist = "fixed", value = "1ms" },{ dist = "fixed", value = "2ms" }"#).unwrap();
        assert_eq!(b.values.len(), 2);
        assert!(parse_set("cluster.read_quorum").is_err());
        assert!(parse_set("cluster..x=1").is_err());
        assert!(parse_set("duration=2ms").is_err(), "a string needs quotes");
    }

    #[test]
    fn the_grid_varies_the_first_axis_slowest() {
        let axes = [
            parse_set("a=1,2").unwrap(),
            parse_set("b=true,false").unwrap(),
        ];
        let g = grid(&axes);
        assert_eq!(g.len(), 4);
        assert_eq!(
            g[1],
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "false".to_string())
            ]
        );
        assert_eq!(
            folder_name("duration=\"2ms\",cluster.read_quorum=2"),
            "duration=2ms,cluster.read_quorum=2"
        );
    }
}
