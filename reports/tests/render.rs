//! The rendered report: every SVG is XML, the HTML is self-contained, and
//! the same results give the same bytes.

use check::{CheckName, History};
use reports::files::render;
use reports::metrics::{SeedMetrics, seed_metrics};
use reports::report::Kept;
use reports::results::Digest;
use reports::scenario::ScenarioSummary;
use reports::seedinfo::{ClockInfo, Effect, FaultWindow, SeedInfo};
use reports::{RunResults, SeedResult};

/// Two clients; p1, served by n2 behind a partition, reads a stale value.
const HISTORY: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k1","value":"a","time":1000000,"node":0}
{"process":0,"type":"ok","f":"put","key":"k1","value":"a","time":2000000,"node":0}
{"process":0,"type":"invoke","f":"put","key":"k1","value":"b","time":3000000,"node":0}
{"process":0,"type":"ok","f":"put","key":"k1","value":"b","time":4000000,"node":0}
{"process":1,"type":"invoke","f":"get","key":"k1","value":null,"time":5000000,"node":2}
{"process":1,"type":"ok","f":"get","key":"k1","value":"a","time":6000000,"node":2}
{"process":1,"type":"invoke","f":"cas","key":"k1","value":{"from":"a","to":"c"},"time":7000000,"node":2}
{"process":1,"type":"fail","f":"cas","key":"k1","value":{"from":"a","to":"c"},"time":8000000,"node":2}
{"process":0,"type":"invoke","f":"delete","key":"k1","value":null,"time":9000000,"node":1}
{"process":0,"type":"info","f":"delete","key":"k1","value":null,"time":9500000,"node":1}
{"type":"final","node":0,"key":"k1","value":"b"}
{"type":"final","node":2,"key":"k1","value":"b"}
"#;

fn info() -> SeedInfo {
    SeedInfo {
        clocks: (0..3)
            .map(|node| ClockInfo {
                node,
                offset_ns: i64::from(node) * 1_000,
                drift_ppm: 0.0,
            })
            .collect(),
        faults: vec![FaultWindow {
            start_ns: 500_000,
            end_ns: 7_000_000,
            what: "partition [n0 n1] | [n2]".into(),
            effect: Some(Effect::Cut {
                links: vec![(0, 2), (1, 2), (2, 0), (2, 1)],
            }),
        }],
    }
}

fn results(history: &History) -> RunResults {
    let checks = check::run(history, CheckName::ALL);
    let seed = |n: u64| SeedResult {
        seed: n,
        ops: 5,
        ok: 3,
        fail: 1,
        info: 1,
        messages: 40,
        sim_time_ns: 10_000_000,
        checks: checks.iter().map(|(c, r)| (*c, r.verdict)).collect(),
        history_hash: "00".into(),
        swarm: Default::default(),
        trace_hash: "00".into(),
        metrics: seed_metrics(history, &checks),
    };
    let seeds = [seed(1), seed(2)];
    let totals = SeedMetrics::merge(seeds.iter().map(|s| &s.metrics));
    let mut digest = Digest::default();
    seeds.iter().for_each(|s| digest.add(s));
    RunResults {
        scenario: "test <scenario> & \"quotes\"".into(),
        scenario_file: "scenarios/t.toml".into(),
        expect: [(CheckName::ReadAfterWrite, "pass".to_string())].into(),
        digest,
        totals,
        breaches: vec!["read-after-write: expected pass, seed 1 was invalid".into()],
        summary: Some(ScenarioSummary {
            name: "test <scenario>".into(),
            protocol: "eventual".into(),
            nodes: 3,
            replicas: 3,
            write_quorum: 1,
            read_quorum: 1,
            faults: vec!["at 0.5ms for 6.5ms: partition [[0, 1], [2]]".into()],
            ..ScenarioSummary::default()
        }),
    }
}

fn files() -> Vec<(String, String)> {
    let history = History::parse(HISTORY).unwrap();
    let info = info();
    render(
        &results(&history),
        &[Kept {
            seed: 1,
            history: &history,
            info: Some(&info),
        }],
    )
}

#[test]
fn every_plot_is_written_and_parses_as_xml() {
    let files = files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "report.md",
        "report.html",
        "verdicts.svg",
        "latency.svg",
        "visibility.svg",
        "versions-behind.svg",
        "throughput.svg",
        "latency-time.svg",
        "availability.svg",
        "timeline.svg",
        "timeline-zoom.svg",
    ] {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".svg")) {
        let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg", "{name}");
        assert!(!text.contains("plot failed"), "{name}: {text}");
    }
}

#[test]
fn the_html_page_parses_and_fetches_nothing() {
    let files = files();
    let html = &files.iter().find(|(n, _)| n == "report.html").unwrap().1;
    for needle in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(needle), "report.html holds {needle:?}");
    }
    for (i, _) in html.match_indices("href=") {
        let target = &html[i + 6..];
        assert!(
            target.starts_with('#') || target.starts_with("data:"),
            "external link at {i}"
        );
    }
    // Every inline SVG is well-formed XML on its own.
    for part in html.split("<svg").skip(1) {
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\"{}</svg>",
            part.split("</svg>").next().unwrap()
        );
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("inline svg: {e}"));
    }
    assert!(html.contains("test &lt;scenario&gt;"), "titles are escaped");
    assert_eq!(
        html.matches("<svg").count(),
        11,
        "eleven plots inline: seven, conditional writes by outcome (the history has cas), \
         the whole timeline and a close-up per failing check"
    );
    assert!(
        html.contains("<title>#2 p1 get k1 -&gt; a (ok; 5.000–6.000 ms, via n2)</title>"),
        "hover details on the timeline's operations"
    );
}

#[test]
fn the_report_explains_the_first_failing_seed() {
    let files = files();
    let md = &files.iter().find(|(n, _)| n == "report.md").unwrap().1;
    assert!(
        md.contains("## First failing seed: 1 (read-after-write)"),
        "{md}"
    );
    assert!(
        md.contains("storesim replay scenarios/t.toml --seed 1"),
        "{md}"
    );
    assert!(
        md.contains("cut n2 off from n0"),
        "the cause names the partition:\n{md}"
    );
    assert!(
        md.contains("### read-after-write") && md.contains("### linearizable"),
        "a counterexample per check failing on the seed:\n{md}"
    );
    assert!(
        md.contains(
            "![Seed 1: the linearizable counterexample, close up](timeline-linearizable.svg)"
        ),
        "{md}"
    );
    assert!(
        md.contains("![Latency per operation kind](latency.svg)"),
        "{md}"
    );
    assert!(
        md.contains("| read-after-write "),
        "a verdict row per check:\n{md}"
    );
}

#[test]
fn same_results_give_byte_identical_files() {
    assert_eq!(files(), files());
}

#[test]
fn a_run_without_failures_or_kept_history_still_renders() {
    let history = History::parse(HISTORY).unwrap();
    let mut r = results(&history);
    let rendered = render(&r, &[]);
    let md = &rendered.iter().find(|(n, _)| n == "report.md").unwrap().1;
    assert!(md.contains("history was not kept"), "{md}");
    r.digest = Digest::default();
    let empty = render(&r, &[]);
    for (name, text) in empty.iter().filter(|(n, _)| n.ends_with(".svg")) {
        roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Expected failures are no alarm: a check expected to fail, failing, is
/// "met" (green) in the verdict table and drawn without the alarm red; the
/// same failure under `pass` is "broken" (red) and drawn red.
#[test]
fn verdicts_are_coloured_by_expectation_not_by_verdict_alone() {
    let history = History::parse(HISTORY).unwrap();
    let page = |expect: &str| {
        let mut r = results(&history);
        r.expect = [(CheckName::ReadAfterWrite, expect.to_string())].into();
        let files = render(&r, &[]);
        let get = |name: &str| files.iter().find(|(n, _)| n == name).unwrap().1.clone();
        (get("report.html"), get("verdicts.svg"), get("report.md"))
    };
    let red = "#E15759";
    let (html, svg, md) = page("fail");
    assert!(
        html.contains("<td>fail</td><td class=\"good\">met</td>"),
        "{html}"
    );
    // Red stays in the legend only.
    assert_eq!(
        svg.matches(red).count(),
        1,
        "an expected failure drawn red:\n{svg}"
    );
    assert!(md.contains("| fail     | met "), "{md}");
    let (html, svg, _) = page("pass");
    assert!(
        html.contains("<td>pass</td><td class=\"bad\">broken</td>"),
        "{html}"
    );
    assert!(svg.matches(red).count() > 1, "{svg}");
}

/// Seed 2 only: one write, and two replicas that end apart.
const DIVERGED: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k2","value":"x","time":1000000,"node":0}
{"process":0,"type":"ok","f":"put","key":"k2","value":"x","time":2000000,"node":0}
{"type":"final","node":0,"key":"k2","value":"x"}
{"type":"final","node":1,"key":"k2","value":"y"}
"#;

#[test]
fn a_check_failing_only_on_another_kept_seed_gets_its_own_counterexample() {
    let first = History::parse(HISTORY).unwrap();
    let second = History::parse(DIVERGED).unwrap();
    let mut r = results(&first);
    let checks = check::run(&second, CheckName::ALL);
    assert_eq!(
        checks[&CheckName::Convergence].verdict,
        check::Verdict::Invalid
    );
    assert_eq!(
        check::run(&first, &[CheckName::Convergence])[&CheckName::Convergence].verdict,
        check::Verdict::Valid
    );
    let mut digest = Digest::default();
    for (n, h, c) in [
        (1, &first, check::run(&first, CheckName::ALL)),
        (2, &second, checks),
    ] {
        digest.add(&SeedResult {
            seed: n,
            ops: 1,
            ok: 1,
            fail: 0,
            info: 0,
            messages: 1,
            sim_time_ns: 1,
            checks: c.iter().map(|(c, r)| (*c, r.verdict)).collect(),
            history_hash: "00".into(),
            swarm: Default::default(),
            trace_hash: "00".into(),
            metrics: seed_metrics(h, &c),
        });
    }
    r.digest = digest;
    assert_eq!(reports::report::wanted_seeds(&r), [1, 2]);
    let md_of = |kept: &[Kept]| {
        let files = render(&r, kept);
        files.into_iter().find(|(n, _)| n == "report.md").unwrap().1
    };
    let one = Kept {
        seed: 1,
        history: &first,
        info: None,
    };
    let two = Kept {
        seed: 2,
        history: &second,
        info: None,
    };
    let md = md_of(&[one, two]);
    assert!(
        md.contains("### convergence (first invalid on seed 2)")
            && md.contains("Replay it: `storesim replay scenarios/t.toml --seed 2`")
            && md.contains("(timeline-convergence.svg)")
            && !md.contains("convergence was first invalid on seed 2"),
        "{md}"
    );
    // Without seed 2's history, the report only points at it.
    let one = Kept {
        seed: 1,
        history: &first,
        info: None,
    };
    let md = md_of(&[one]);
    assert!(
        md.contains("convergence was first invalid on seed 2") && !md.contains("### convergence"),
        "{md}"
    );
}

/// Every plot a report can make is shown on both pages, in its section
/// (issue 16: `bytes.svg`, throughput in bytes per second, was written
/// next to the report but shown on neither page; so were `access.svg` and
/// `revocation.svg`).
#[test]
fn every_plot_a_report_can_make_is_shown_on_both_pages() {
    let history = History::parse(HISTORY).unwrap();
    let mut r = reports::report::build(&results(&history), &[]);
    let row = || vec![vec!["what".to_string(), "count".to_string()]];
    (r.conditional, r.access, r.revocation) = (row(), row(), row());
    r.plots = [
        "verdicts.svg",
        "throughput.svg",
        "availability.svg",
        "bytes.svg",
        "conditional.svg",
        "access.svg",
        "revocation.svg",
        "latency.svg",
        "latency-time.svg",
        "visibility.svg",
        "versions-behind.svg",
    ]
    .into_iter()
    .map(|file| reports::report::Plot {
        file,
        caption: format!("the caption of {file}"),
        svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".into(),
    })
    .collect();
    let (md, html) = (reports::markdown::render(&r), reports::html::render(&r));
    for p in &r.plots {
        assert!(
            md.contains(&format!("]({})", p.file)),
            "{} not in report.md",
            p.file
        );
        assert!(html.contains(&p.caption), "{} not in report.html", p.file);
    }
}
