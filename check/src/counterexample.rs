//! Counterexamples a person can read: a few operations, each named in words
//! and drawn on one shared ASCII timeline.
//!
//! ```text
//! p2 put k1 c2-4     |[=========]                          |
//! p1 put k1 c1-7     |             [=======]               |
//! p3 get k1 -> c2-4  |                          [========] |
//!                     5.000 ms                    13.000 ms
//! ```
//!
//! `[` is the invoke, `]` the completion; an operation that never completed
//! (`info`) runs off the right edge as `=>`. Every check formats its
//! counterexample with these functions, so they all look alike.

use crate::history::{Function, Value};

use crate::ms::{Precision, format_ms, format_span_ms};
use crate::op::{Op, Outcome};

/// Width of the timeline's drawing area, in characters.
const WIDTH_CHARS: usize = 40;
/// Values longer than this are cut in labels and sentences.
const VALUE_CHARS_MAX: usize = 24;

/// When an operation ran: `8.100–9.800 ms` (both ends with the same
/// precision), or `from 8.100 ms, never completed`.
pub fn span(op: &Op) -> String {
    match op.complete_time {
        Some(end) => format_span_ms(op.invoke_time, end),
        None => format!(
            "from {}, never completed",
            format_ms(op.invoke_time, Precision::Fit)
        ),
    }
}

/// A register value for people: the string, cut if long, or `absent`.
pub fn value(v: Option<&str>) -> String {
    match v {
        None => "absent".to_owned(),
        Some(s) if s.chars().count() > VALUE_CHARS_MAX => {
            format!("{}…", s.chars().take(VALUE_CHARS_MAX).collect::<String>())
        }
        Some(s) => s.to_owned(),
    }
}

/// A short label: `p3 get k1 -> c2-4`, `p1 put k1 c1-7`, `p2 cas k1 a->b (info)`,
/// `p4 list b/ -> 7 keys`, `p5 get b/k1@v3 -> c1-2` (by version id),
/// `p6 cas k1 absent->c6-2 (fail: 412 precondition-failed)`.
pub fn label(op: &Op) -> String {
    let plural = |n: usize, one: &str| format!("-> {n} {one}{}", if n == 1 { "" } else { "s" });
    let what = match (&op.f, &op.input) {
        (Function::Get, _) => match (&op.outcome, &op.output) {
            (Outcome::Ok, Value::Str(s)) => format!("-> {}", value(Some(s))),
            (Outcome::Ok, _) => "-> absent".to_owned(),
            _ => String::new(),
        },
        (Function::List, _) => op
            .listed()
            .map_or(String::new(), |k| plural(k.len(), "key")),
        (Function::ListVersions, _) => {
            (op.versions()).map_or(String::new(), |v| plural(v.len(), "version"))
        }
        (Function::Cas, Value::Cas { from, to }) => {
            format!("{}->{}", value(from.as_deref()), value(to.as_deref()))
        }
        (_, Value::Str(s)) => value(Some(s)),
        _ => String::new(),
    };
    let mut key = value(Some(&op.key));
    if let Some(version) = &op.version {
        key = format!("{key}@{}", value(Some(version)));
    }
    let mut text = format!("p{} {} {key} {what}", op.process, op.f);
    match op.outcome {
        Outcome::Ok => {}
        Outcome::Fail => match op.error {
            Some(error) => text.push_str(&format!(" (fail: {} {error})", error.status())),
            None => text.push_str(" (fail)"),
        },
        Outcome::Info => text.push_str(" (info)"),
    }
    text.trim_end().to_owned()
}

/// One row per operation, in the order given, on a shared time axis, with
/// the axis' first and last times underneath. Every line ends with `\n`.
pub fn timeline(ops: &[&Op]) -> String {
    let start = ops.iter().map(|op| op.invoke_time).min().unwrap_or(0);
    let end = ops
        .iter()
        .map(|op| {
            op.complete_time
                .unwrap_or(op.invoke_time)
                .max(op.invoke_time)
        })
        .max()
        .unwrap_or(start)
        .max(start);
    let labels: Vec<String> = ops.iter().map(|op| label(op)).collect();
    let pad = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let column = |t: u64| -> usize {
        let span = u128::from(end - start).max(1);
        let offset = u128::from(t.saturating_sub(start)) * (WIDTH_CHARS as u128 - 2) / span;
        usize::try_from(offset).map_or(WIDTH_CHARS - 2, |c| c.min(WIDTH_CHARS - 2))
    };
    let mut out = String::new();
    for (op, label) in ops.iter().zip(&labels) {
        let mut row = vec![' '; WIDTH_CHARS];
        let from = column(op.invoke_time);
        match op.complete_time {
            Some(t) => {
                let to = column(t).max(from + 1);
                row[from] = '[';
                row[from + 1..to].fill('=');
                row[to] = ']';
            }
            None => {
                row[from] = '[';
                row[from + 1..WIDTH_CHARS - 1].fill('=');
                row[WIDTH_CHARS - 1] = '>';
            }
        }
        let row: String = row.into_iter().collect();
        out.push_str(&format!("{label:<pad$}  |{row}|\n"));
    }
    let (first, last) = (
        format_ms(start, Precision::Fit),
        format_ms(end, Precision::Fit),
    );
    let gap = (WIDTH_CHARS + 1)
        .saturating_sub(first.len() + last.len())
        .max(1);
    out.push_str(&format!("{:pad$}   {first}{:gap$}{last}\n", "", ""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(process: u64, f: Function, input: Value, output: Value, times: (u64, Option<u64>)) -> Op {
        let outcome = if times.1.is_some() {
            Outcome::Ok
        } else {
            Outcome::Info
        };
        Op {
            index: 0,
            line: None,
            process,
            f,
            key: "k1".into(),
            input,
            output,
            invoke_time: times.0,
            complete_time: times.1,
            gave_up_time: None,
            outcome,
            node: None,
            version: None,
            object: None,
            error: None,
        }
    }

    #[test]
    fn formats_times_in_ms() {
        let w = op(
            1,
            Function::Put,
            Value::Str("c1-7".into()),
            Value::Absent,
            (8_100_000, Some(9_800_000)),
        );
        assert_eq!(span(&w), "8.100–9.800 ms");
    }

    #[test]
    fn draws_a_timeline() {
        let w = op(
            2,
            Function::Put,
            Value::Str("c2-4".into()),
            Value::Absent,
            (5_000_000, Some(7_000_000)),
        );
        let c = op(
            1,
            Function::Cas,
            Value::Cas {
                from: None,
                to: Some("b".into()),
            },
            Value::Absent,
            (8_000_000, None),
        );
        let r = op(
            3,
            Function::Get,
            Value::Absent,
            Value::Str("c2-4".into()),
            (10_000_000, Some(13_000_000)),
        );
        let text = timeline(&[&w, &c, &r]);
        let expected = "\
p2 put k1 c2-4              |[========]                              |
p1 cas k1 absent->b (info)  |              [========================>|
p3 get k1 -> c2-4           |                       [==============] |
                             5.000 ms                        13.000 ms
";
        assert_eq!(text, expected);
    }
}
