//! `[buggify]` → [`Buggify`]: where and how often the simulation crashes,
//! pauses or delays a node at a fault point of the store
//! (`store::buggify::Point`).
//!
//! `probability` applies to every point; `points = { after-apply = 0.05 }`
//! sets points one by one (over `probability`); names are checked with a
//! "did you mean". `actions` (default all three) and `duration` (mean hold
//! or delay, default "20ms") say what a hit does.

use super::fields::{Result, S, positive_duration, unknown, written, written_duration};
use super::span::Ctx;
use super::{BugAction, Buggify, MAX_LATENCY};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use store::buggify::Point;
use toml::Value;

/// The `[buggify]` table. See [`Buggify`] for the defaults.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BuggifySpec {
    pub probability: Option<S<f64>>,
    pub points: Option<S<BTreeMap<S<String>, S<f64>>>>,
    pub actions: Option<S<Vec<S<String>>>>,
    pub duration: Option<S<Value>>,
}

const ACTIONS: [(&str, BugAction); 3] = [
    ("crash", BugAction::Crash),
    ("pause", BugAction::Pause),
    ("delay", BugAction::Delay),
];

impl BuggifySpec {
    pub fn validate(raw: &S<BuggifySpec>, ctx: &Ctx) -> Result<Buggify> {
        let b = raw.get_ref();
        let all = match &b.probability {
            None => 0.0,
            Some(p) => chance(ctx, p, "probability")?,
        };
        let mut points: BTreeMap<Point, f64> = Point::ALL.iter().map(|&p| (p, all)).collect();
        let names: Vec<&str> = Point::ALL.iter().map(|p| p.as_str()).collect();
        for (name, p) in b.points.iter().flat_map(|t| t.get_ref()) {
            let Some(&point) = Point::ALL.iter().find(|p| p.as_str() == name.get_ref()) else {
                return Err(unknown(ctx, name, &names, "fault point", "expected "));
            };
            points.insert(point, chance(ctx, p, name.get_ref())?);
        }
        if points.values().all(|&p| p == 0.0) {
            return Err(ctx.err_hint(
                raw.span(),
                "[buggify] would do nothing: every fault point has probability 0".into(),
                Some("set e.g. probability = 0.01, or points = { after-apply = 0.05 }".into()),
            ));
        }
        let mut actions = Vec::new();
        for a in b.actions.iter().flat_map(|l| l.get_ref()) {
            let Some((_, action)) = ACTIONS.iter().find(|(n, _)| n == a.get_ref()) else {
                let names: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
                return Err(unknown(ctx, a, &names, "buggify action", "expected "));
            };
            if !actions.contains(action) {
                actions.push(*action);
            }
        }
        if let (Some(list), true) = (&b.actions, actions.is_empty()) {
            return Err(ctx.err(
                list.span(),
                "actions is empty: name at least one of \"crash\", \"pause\", \"delay\"".into(),
            ));
        }
        if actions.is_empty() {
            actions = ACTIONS.iter().map(|(_, a)| *a).collect();
        }
        actions.sort();
        let duration = positive_duration(
            ctx,
            b.duration.as_ref(),
            "duration",
            Duration::from_millis(20),
        )?;
        if duration > MAX_LATENCY {
            let span = b.duration.as_ref().map_or(raw.span(), |d| d.span());
            return Err(ctx.err(
                span,
                "duration: at most \"10s\" (a hold or delay of a node)".into(),
            ));
        }
        Ok(Buggify {
            points: points.into_iter().collect(),
            actions,
            duration,
        })
    }

    /// `b` with every value written out (every point's probability).
    pub fn resolved(b: &Buggify) -> BuggifySpec {
        let points = (b.points.iter())
            .filter_map(|(p, w)| Some((written(p.as_str().to_owned())?, written(*w)?)))
            .collect();
        let name = |a: &BugAction| ACTIONS.iter().find(|(_, x)| x == a).map(|(n, _)| *n);
        let actions = (b.actions.iter())
            .filter_map(|a| written(name(a)?.to_owned()))
            .collect();
        BuggifySpec {
            probability: None,
            points: written(points),
            actions: written(actions),
            duration: written_duration(b.duration),
        }
    }
}

/// A probability in [0, 1].
fn chance(ctx: &Ctx, p: &S<f64>, key: &str) -> Result<f64> {
    let v = *p.get_ref();
    if (0.0..=1.0).contains(&v) {
        return Ok(v);
    }
    Err(ctx.err(
        p.span(),
        format!("{key} = {v} is not a probability: expected 0 to 1"),
    ))
}
