//! Conditional writes (`cas`: S3's `If-Match` / `If-None-Match: *` PUT) by
//! how they ended, in S3's terms: succeeded, 412 Precondition Failed, 409
//! ConditionalRequestConflict, 404 NoSuchKey, failed for another reason
//! (no `error` given: a read quorum missed), timed out (`info`: may have
//! happened). Read from the history as data (each `fail`'s `error`), so a
//! history from any system that writes the field is counted alike.
//!
//! Counts only: seeds and shards add up exactly.

use crate::plots::{Drawn, FAMILY, empty, palette, svg, whole_label};
use check::{FailReason, Function, Op, Outcome};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

/// One run's (or seed's) conditional writes by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditional {
    /// `ok`: the condition held and the write was applied.
    pub succeeded: u64,
    /// `fail` with `precondition-failed` (412).
    pub precondition_failed: u64,
    /// `fail` with `conditional-conflict` (409).
    pub conflict: u64,
    /// `fail` with `not-found` (404).
    pub not_found: u64,
    /// `fail` with no reason given (e.g. too few replicas answered the read).
    pub failed: u64,
    /// `info`: timed out; may have been applied.
    pub timed_out: u64,
}

impl Conditional {
    /// The cas operations of `ops`, counted.
    pub fn of(ops: &[Op]) -> Conditional {
        let mut c = Conditional::default();
        for op in ops.iter().filter(|op| op.f == Function::Cas) {
            let slot = match (op.outcome, op.error) {
                (Outcome::Ok, _) => &mut c.succeeded,
                (Outcome::Info, _) => &mut c.timed_out,
                (Outcome::Fail, Some(FailReason::PreconditionFailed)) => &mut c.precondition_failed,
                (Outcome::Fail, Some(FailReason::ConditionalConflict)) => &mut c.conflict,
                (Outcome::Fail, Some(FailReason::NotFound)) => &mut c.not_found,
                (Outcome::Fail, None | Some(FailReason::AccessDenied | FailReason::SlowDown)) => {
                    &mut c.failed
                }
            };
            *slot += 1;
        }
        c
    }

    pub fn add(&mut self, other: &Conditional) {
        self.succeeded += other.succeeded;
        self.precondition_failed += other.precondition_failed;
        self.conflict += other.conflict;
        self.not_found += other.not_found;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
    }

    pub fn total(&self) -> u64 {
        self.counts().iter().map(|(_, n)| n).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Each outcome with its count, in a fixed order (the table's, the
    /// plot's and the terminal line's).
    pub fn counts(&self) -> [(&'static str, u64); 6] {
        [
            ("succeeded", self.succeeded),
            ("412 precondition failed", self.precondition_failed),
            ("409 conflict", self.conflict),
            ("404 not found", self.not_found),
            ("failed otherwise", self.failed),
            ("timed out (info)", self.timed_out),
        ]
    }

    /// `conditional writes: 1,204 — 310 succeeded, 880 412, 4 409, 0 404, 0
    /// failed otherwise, 10 timed out`; `None` when there were none.
    pub fn line(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let parts: Vec<String> = [
            (self.succeeded, "succeeded"),
            (self.precondition_failed, "412 precondition failed"),
            (self.conflict, "409 conflict"),
            (self.not_found, "404 not found"),
            (self.failed, "failed otherwise"),
            (self.timed_out, "timed out"),
        ]
        .iter()
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        Some(format!(
            "conditional writes (cas): {}: {}",
            self.total(),
            parts.join(", ")
        ))
    }

    /// The report's table: outcome, count, share; empty when none.
    pub fn table(&self) -> Vec<Vec<String>> {
        if self.is_empty() {
            return Vec::new();
        }
        let total = self.total();
        let mut table = vec![
            ["conditional write outcome", "count", "share"]
                .map(String::from)
                .to_vec(),
        ];
        for (what, n) in self.counts() {
            let share = format!("{:.1} %", 100.0 * n as f64 / total as f64);
            table.push(vec![what.to_owned(), n.to_string(), share]);
        }
        table
    }
}

const TITLE: &str = "Conditional writes (cas) by outcome";

/// The colour of each outcome, in [`Conditional::counts`]'s order.
const COLOURS: [RGBColor; 6] = [
    palette::VALID,
    palette::PUT,
    palette::DELETE,
    palette::GET,
    palette::NOT_APPLICABLE,
    palette::UNKNOWN,
];

/// One horizontal bar per outcome.
pub fn plot(c: &Conditional) -> String {
    if c.is_empty() {
        return empty(760, 200, TITLE, "no conditional write ran");
    }
    svg(760, 110 + 30 * 6, |root| draw(root, c))
}

fn draw(root: &DrawingArea<SVGBackend, Shift>, c: &Conditional) -> Drawn {
    let counts = c.counts();
    let most = counts.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let n = counts.len() as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(TITLE, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(170)
        .build_cartesian_2d(0.0..most as f64 * 1.1, -0.5..(n - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("operations")
        .x_label_formatter(&whole_label)
        .label_style((FAMILY, 12))
        .draw()?;
    let name_style = TextStyle::from((FAMILY, 13)).pos(Pos::new(HPos::Right, VPos::Center));
    let count_style = TextStyle::from((FAMILY, 11)).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, ((what, count), colour)) in counts.iter().zip(COLOURS).enumerate() {
        let y = n - 1.0 - i as f64;
        let (px, py) = chart.backend_coord(&(0.0, y));
        root.draw_text(what, &name_style, (px - 8, py))?;
        chart.draw_series([Rectangle::new(
            [(0.0, y - 0.35), (*count as f64, y + 0.35)],
            colour.filled(),
        )])?;
        let end = chart.backend_coord(&(*count as f64, y)).0;
        root.draw_text(&count.to_string(), &count_style, (end + 4, py))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::History;

    #[test]
    fn counts_each_outcome_from_the_history() {
        let text = r#"{"process":0,"type":"invoke","f":"cas","key":"k","value":{"from":null,"to":"a"},"time":1}
{"process":0,"type":"ok","f":"cas","key":"k","value":{"from":null,"to":"a"},"time":2}
{"process":1,"type":"invoke","f":"cas","key":"k","value":{"from":null,"to":"b"},"time":3}
{"process":1,"type":"fail","f":"cas","key":"k","value":{"from":null,"to":"b"},"time":4,"error":"precondition-failed"}
{"process":2,"type":"invoke","f":"cas","key":"j","value":{"from":"x","to":"c"},"time":5}
{"process":2,"type":"fail","f":"cas","key":"j","value":{"from":"x","to":"c"},"time":6,"error":"not-found"}
{"process":3,"type":"invoke","f":"cas","key":"k","value":{"from":"a","to":"d"},"time":7}
{"process":3,"type":"fail","f":"cas","key":"k","value":{"from":"a","to":"d"},"time":8,"error":"conditional-conflict"}
{"process":4,"type":"invoke","f":"cas","key":"k","value":{"from":"a","to":"e"},"time":9}
{"process":4,"type":"fail","f":"cas","key":"k","value":{"from":"a","to":"e"},"time":10}
{"process":5,"type":"invoke","f":"cas","key":"k","value":{"from":"a","to":"f"},"time":11}
{"process":5,"type":"info","f":"cas","key":"k","value":{"from":"a","to":"f"},"time":12}
{"process":6,"type":"invoke","f":"put","key":"k","value":"g","time":13}
{"process":6,"type":"ok","f":"put","key":"k","value":"g","time":14}
"#;
        let ops = check::op::pair(&History::parse(text).unwrap());
        let c = Conditional::of(&ops);
        let expected = Conditional {
            succeeded: 1,
            precondition_failed: 1,
            conflict: 1,
            not_found: 1,
            failed: 1,
            timed_out: 1,
        };
        assert_eq!(c, expected);
        let mut twice = c;
        twice.add(&c);
        assert_eq!(twice.total(), 12);
        assert!(c.line().unwrap().contains("1 412 precondition failed"));
        assert_eq!(c.table().len(), 7);
        assert!(plot(&c).contains("412 precondition failed"));
        assert_eq!(Conditional::default().line(), None);
    }
}
