//! `[nemesis]` → [`Nemesis`]: the random fault schedule's parameters.
//!
//! Families that cannot happen in this cluster (a bridge needs 3 nodes, any
//! partition 2, crash and pause need `max_down` ≥ 1) default to weight 0 and
//! are an error when given a positive weight. `messages`, `membership` and
//! `buggify` (which needs `[buggify]`) are opt-in: weight 0 unless named (a default that leaves every earlier
//! scenario's draws as they were).

use super::fields::{Result, S, positive_duration, unknown, written, written_duration};
use super::span::Ctx;
use super::{Family, Nemesis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use toml::Value;

/// The `[nemesis]` table. See [`Nemesis`] for the defaults.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NemesisSpec {
    pub interval: Option<S<Value>>,
    pub duration: Option<S<Value>>,
    pub families: Option<S<BTreeMap<S<String>, S<f64>>>>,
    pub swarm: Option<bool>,
    pub max_down: Option<S<i64>>,
    pub jump: Option<S<Value>>,
}

impl NemesisSpec {
    /// `nodes` counts the spares; `spares` and `replicas` are `[cluster]`'s.
    pub fn validate(
        raw: &S<NemesisSpec>,
        ctx: &Ctx,
        nodes: u32,
        spares: u32,
        replicas: u32,
    ) -> Result<Nemesis> {
        let n = raw.get_ref();
        let positive_or = |v: &Option<S<Value>>, key: &str, default: Duration| {
            positive_duration(ctx, v.as_ref(), key, default)
        };
        let max_down = max_down(ctx, n.max_down.as_ref(), nodes)?;
        Ok(Nemesis {
            interval: positive_or(&n.interval, "interval", Duration::from_secs(1))?,
            duration: positive_or(&n.duration, "duration", Duration::from_millis(500))?,
            families: families(
                ctx,
                raw,
                Room {
                    nodes,
                    max_down,
                    spares,
                    replicas,
                },
            )?,
            swarm: n.swarm.unwrap_or(false),
            max_down,
            jump: positive_or(&n.jump, "jump", Duration::from_millis(100))?,
            spares,
            replicas,
        })
    }

    /// `n` with every value written out, every family's weight included.
    pub fn resolved(n: &Nemesis) -> NemesisSpec {
        let families = (n.families.iter())
            .filter_map(|(f, w)| Some((written(f.as_str().to_owned())?, written(*w)?)))
            .collect();
        NemesisSpec {
            interval: written_duration(n.interval),
            duration: written_duration(n.duration),
            families: written(families),
            swarm: Some(n.swarm),
            max_down: written(n.max_down.into()),
            jump: written_duration(n.jump),
        }
    }
}

/// 0 to `nodes`; default a minority, [`Nemesis::default_max_down`].
fn max_down(ctx: &Ctx, raw: Option<&S<i64>>, nodes: u32) -> Result<u32> {
    let Some(s) = raw else {
        return Ok(Nemesis::default_max_down(nodes));
    };
    match u32::try_from(*s.get_ref()) {
        Ok(v) if v <= nodes => Ok(v),
        _ => Err(ctx.err(
            s.span(),
            format!(
                "max_down = {} is out of range: expected 0 to {nodes} (the cluster's nodes)",
                s.get_ref()
            ),
        )),
    }
}

/// Why a family cannot happen in this cluster, if it cannot.
/// What the cluster leaves room for.
#[derive(Clone, Copy)]
pub(super) struct Room {
    pub nodes: u32,
    pub max_down: u32,
    pub spares: u32,
    pub replicas: u32,
}

pub(super) fn impossible(family: Family, room: Room) -> Option<String> {
    let Room {
        nodes,
        max_down,
        spares,
        replicas,
    } = room;
    match family {
        Family::Membership if spares == 0 && nodes <= replicas => Some(format!(
            "no spare can join and no member can leave ({nodes} members for replicas = {replicas})"
        )),
        Family::Membership => None,
        Family::Bridge if nodes < 3 => {
            Some(format!("a bridge needs 3 nodes; the cluster has {nodes}"))
        }
        Family::Crash | Family::Pause if max_down == 0 => {
            Some("max_down = 0 lets no node go down".into())
        }
        // `[buggify]` present is checked across sections (`top`).
        Family::ClockJump | Family::Crash | Family::Pause | Family::Bridge | Family::Buggify => {
            None
        }
        Family::Messages if nodes < 2 => Some(format!(
            "node-to-node messages need 2 nodes; the cluster has {nodes}"
        )),
        _ if nodes < 2 => Some(format!(
            "a partition needs 2 nodes; the cluster has {nodes}"
        )),
        _ => None,
    }
}

fn families(ctx: &Ctx, raw: &S<NemesisSpec>, room: Room) -> Result<Vec<(Family, f64)>> {
    let Some(table) = &raw.get_ref().families else {
        let all = Family::ALL.iter().map(|&f| {
            let opt_in = matches!(f, Family::Messages | Family::Membership | Family::Buggify);
            let off = impossible(f, room).is_some() || opt_in;
            (f, if off { 0.0 } else { 1.0 })
        });
        return Ok(all.collect());
    };
    let names: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
    let mut weights: BTreeMap<Family, f64> = Family::ALL.iter().map(|&f| (f, 0.0)).collect();
    for (name, w) in table.get_ref() {
        let Some(&family) = Family::ALL.iter().find(|f| f.as_str() == name.get_ref()) else {
            return Err(unknown(ctx, name, &names, "nemesis family", "expected "));
        };
        let weight = *w.get_ref();
        if !weight.is_finite() || !(0.0..=1e9).contains(&weight) {
            return Err(ctx.err(
                w.span(),
                format!(
                    "{name} = {weight} is not a weight: expected a finite number ≥ 0",
                    name = name.get_ref()
                ),
            ));
        }
        if let Some(why) = impossible(family, room).filter(|_| weight > 0.0) {
            return Err(ctx.err(
                w.span(),
                format!(
                    "nemesis family \"{}\" cannot happen here: {why}",
                    family.as_str()
                ),
            ));
        }
        weights.insert(family, weight);
    }
    if weights.values().all(|&w| w <= 0.0) {
        return Err(ctx.err_hint(
            table.span(),
            "every nemesis family has weight 0: the nemesis would do nothing".into(),
            Some("give at least one family a positive weight, e.g. { crash = 1 }; or remove [nemesis]".into()),
        ));
    }
    Ok(weights.into_iter().collect())
}
