//! `[swarm]` → [`Swarm`]: ranges instead of values for workload knobs, one
//! point drawn per seed (swarm testing, as FoundationDB's and TigerBeetle's
//! VOPR do it), so that one scenario covers both hot-key contention and many
//! keys written once.
//!
//! ```toml
//! [swarm]
//! keys = [1, 1000]            # integers, both ends included
//! key_skew = [0.0, 1.2]       # Zipf exponent (0: uniform)
//! clients = [1, 16]
//! think = ["1ms", "50ms"]     # drawn log-uniformly
//! mix = { get = [0.2, 0.8], put = [0.1, 0.6], delete = [0.0, 0.2] }
//! ```
//!
//! The point is drawn from its own RNG stream ([`SWARM_STREAM`], the seed
//! xor'ed), never the simulation's: a scenario without `[swarm]` runs exactly
//! as before, and a point pinned as plain `[workload]` values (what `shrink`
//! writes) runs the same history as the swarm scenario on that seed.
//! Mix weights are drawn in their ranges and then divided by their sum (a
//! draw where all are 0 keeps the file's mix). Knobs not named keep the
//! `[workload]` value (`think`'s default is resolved from the file's
//! `clients`, not the drawn one).

use super::fields::{Result, S, duration_value, unknown, written};
use super::span::Ctx;
use super::{MAX_CLIENTS, MAX_KEY_SKEW, MAX_KEYS, MAX_LATENCY, Mix, Workload, format_duration};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;
use toml::Value;

/// The swarm point's RNG stream (xor'ed with the seed): no other draw uses it.
pub const SWARM_STREAM: u64 = 0x5a4d_0000_5eed_0001;

/// The `[swarm]` table as written: each knob a two-element list `[lo, hi]`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SwarmSpec {
    pub keys: Option<S<Vec<S<i64>>>>,
    pub key_skew: Option<S<Vec<S<f64>>>>,
    pub clients: Option<S<Vec<S<i64>>>>,
    pub think: Option<S<Vec<S<Value>>>>,
    pub mix: Option<S<MixRanges>>,
}

/// `mix = { get = [0.2, 0.8], ... }` as written: kind → weight range.
pub(super) type MixRanges = BTreeMap<S<String>, S<Vec<S<f64>>>>;

/// Mix kinds a swarm may draw (register workloads).
const MIX_KINDS: [&str; 4] = ["get", "put", "delete", "cas"];

/// `[swarm]`: the ranges each seed draws its workload point from. Both ends
/// are included; `None` keeps the `[workload]` value.
#[derive(Debug, Clone, PartialEq)]
pub struct Swarm {
    pub keys: Option<RangeInclusive<u32>>,
    pub key_skew: Option<RangeInclusive<f64>>,
    pub clients: Option<RangeInclusive<u32>>,
    /// Drawn log-uniformly (a think of 1 ms and one of 50 ms are both common).
    pub think: Option<RangeInclusive<Duration>>,
    /// Weight ranges of `get`, `put`, `delete`, `cas` (absent kinds: 0).
    pub mix: Option<[RangeInclusive<f64>; 4]>,
}

/// One seed's draw from a [`Swarm`]: the values that replace `[workload]`'s
/// (`None`: not swarmed, the file's value holds).
#[derive(Debug, Clone, PartialEq)]
pub struct SwarmPoint {
    pub keys: Option<u32>,
    pub key_skew: Option<f64>,
    pub clients: Option<u32>,
    /// In nanoseconds (scenario time).
    pub think: Option<Duration>,
    /// Weights of `get`, `put`, `delete`, `cas` as written (six decimals,
    /// summing to 1 within `[workload] mix`'s tolerance).
    pub mix: Option<[f64; 4]>,
}

/// Six decimals: how a drawn weight or skew is shown and pinned, so that the
/// pinned scenario runs exactly the point shown.
fn six(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl Swarm {
    /// The point seed `seed` draws, from its own stream. Draw order is
    /// fixed (keys, skew, clients, think, mix), one draw per knob named.
    pub fn draw(&self, seed: u64) -> SwarmPoint {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ SWARM_STREAM);
        let keys = self.keys.clone().map(|r| rng.gen_range(r));
        let key_skew = (self.key_skew.clone()).map(|r| six(rng.gen_range(r)));
        let clients = self.clients.clone().map(|r| rng.gen_range(r));
        let think = self.think.clone().map(|r| {
            let (lo, hi) = (r.start().as_secs_f64(), r.end().as_secs_f64());
            let x: f64 = rng.r#gen();
            // Log-uniform in [lo, hi], whole microseconds (as `think` is
            // written); lo is at least 1 µs (validated).
            let t = (lo.ln() + x * (hi.ln() - lo.ln())).exp();
            Duration::from_micros((t * 1e6).round() as u64).clamp(*r.start(), *r.end())
        });
        let mix = self.mix.clone().and_then(|ranges| {
            let drawn = ranges.map(|r| rng.gen_range(r));
            let sum: f64 = drawn.iter().sum();
            if sum <= 0.0 {
                return None;
            }
            // Six decimals (as written when pinned), the largest weight
            // taking up the rounding, so that they sum to 1 within the
            // tolerance `[workload] mix` allows.
            let mut w = drawn.map(|x| six(x / sum));
            let largest = (0..4).fold(0, |best, i| if w[i] > w[best] { i } else { best });
            let others: f64 = (0..4).filter(|&i| i != largest).map(|i| w[i]).sum();
            w[largest] = six(1.0 - others);
            Some(w)
        });
        SwarmPoint {
            keys,
            key_skew,
            clients,
            think,
            mix,
        }
    }
}

impl SwarmPoint {
    /// `workload` at this point.
    pub fn apply(&self, workload: &mut Workload) {
        if let Some(k) = self.keys {
            workload.keys = k;
        }
        if let Some(s) = self.key_skew {
            workload.key_skew = s;
        }
        if let Some(c) = self.clients {
            workload.clients = c;
        }
        if let Some(t) = self.think {
            workload.think = t;
        }
        if let Some(w) = self.mix {
            // Divided by their sum as `[workload] mix`'s validation does,
            // so the pinned file runs exactly this mix.
            let sum: f64 = w.iter().sum();
            workload.mix = Mix {
                get: w[0] / sum,
                put: w[1] / sum,
                delete: w[2] / sum,
                cas: w[3] / sum,
            };
        }
    }

    /// The point as `[workload]` entries (`"keys"`, `"think"`, `"mix"`, ...),
    /// to pin it in a derived scenario without `[swarm]`.
    pub fn workload_values(&self) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        if let Some(k) = self.keys {
            out.push(("keys", Value::Integer(i64::from(k))));
        }
        if let Some(s) = self.key_skew {
            out.push(("key_skew", Value::Float(s)));
        }
        if let Some(c) = self.clients {
            out.push(("clients", Value::Integer(i64::from(c))));
        }
        if let Some(t) = self.think {
            out.push(("think", Value::String(format_duration(t))));
        }
        if let Some(m) = self.mix {
            let table = (MIX_KINDS.iter().zip(m))
                .filter(|(_, w)| *w > 0.0)
                .map(|(k, w)| (k.to_string(), Value::Float(w)))
                .collect();
            out.push(("mix", Value::Table(table)));
        }
        out
    }
}

/// `keys 412, key_skew 0.83, clients 7, think 3ms, mix get 0.41 put 0.37 delete 0.22`.
impl fmt::Display for SwarmPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(k) = self.keys {
            parts.push(format!("keys {k}"));
        }
        if let Some(s) = self.key_skew {
            parts.push(format!("key_skew {s}"));
        }
        if let Some(c) = self.clients {
            parts.push(format!("clients {c}"));
        }
        if let Some(t) = self.think {
            parts.push(format!("think {}", format_duration(t)));
        }
        if let Some(m) = self.mix {
            let w: Vec<String> = (MIX_KINDS.iter().zip(m))
                .filter(|(_, w)| *w > 0.0)
                .map(|(k, w)| format!("{k} {w}"))
                .collect();
            parts.push(format!("mix {}", w.join(" ")));
        }
        write!(f, "{}", parts.join(", "))
    }
}

impl SwarmSpec {
    /// Every range checked against its knob's bounds, `lo ≤ hi`; `cas` only
    /// where the protocol allows it (`cas_ok`), as `[workload] mix` is.
    pub fn validate(raw: &S<SwarmSpec>, ctx: &Ctx, cas_ok: bool) -> Result<Swarm> {
        let s = raw.get_ref();
        let keys = (s.keys.as_ref())
            .map(|r| int_range(ctx, r, "keys", 1, MAX_KEYS))
            .transpose()?;
        let key_skew = (s.key_skew.as_ref())
            .map(|r| float_range(ctx, r, "key_skew", 0.0, MAX_KEY_SKEW))
            .transpose()?;
        let clients = (s.clients.as_ref())
            .map(|r| int_range(ctx, r, "clients", 1, MAX_CLIENTS))
            .transpose()?;
        let think = (s.think.as_ref())
            .map(|r| think_range(ctx, r))
            .transpose()?;
        let mix = (s.mix.as_ref())
            .map(|m| mix_ranges(ctx, m, cas_ok))
            .transpose()?;
        if keys.is_none()
            && key_skew.is_none()
            && clients.is_none()
            && think.is_none()
            && mix.is_none()
        {
            return Err(ctx.err_hint(
                raw.span(),
                "[swarm] would do nothing: it names no knob".into(),
                Some("e.g. keys = [1, 1000], key_skew = [0.0, 1.2], clients = [1, 16], think = [\"1ms\", \"50ms\"], mix = { get = [0.2, 0.8], put = [0.1, 0.6] }".into()),
            ));
        }
        Ok(Swarm {
            keys,
            key_skew,
            clients,
            think,
            mix,
        })
    }

    /// `s` written back (ranges as given, durations in their shortest spelling).
    pub fn resolved(s: &Swarm) -> SwarmSpec {
        let ints = |r: &RangeInclusive<u32>| {
            written(vec![
                S::new(0..0, i64::from(*r.start())),
                S::new(0..0, i64::from(*r.end())),
            ])
        };
        let floats = |r: &RangeInclusive<f64>| {
            written(vec![S::new(0..0, *r.start()), S::new(0..0, *r.end())])
        };
        SwarmSpec {
            keys: s.keys.as_ref().and_then(ints),
            key_skew: s.key_skew.as_ref().and_then(floats),
            clients: s.clients.as_ref().and_then(ints),
            think: s.think.as_ref().and_then(|r| {
                let d = |d: Duration| S::new(0..0, Value::String(format_duration(d)));
                written(vec![d(*r.start()), d(*r.end())])
            }),
            mix: s.mix.as_ref().and_then(|m| {
                let table = (MIX_KINDS.iter().zip(m.iter()))
                    .filter(|(_, r)| *r.end() > 0.0)
                    .filter_map(|(k, r)| Some((written(k.to_string())?, floats(r)?)))
                    .collect();
                written(table)
            }),
        }
    }
}

/// The two ends of a `[lo, hi]` list, or an error at the list.
fn ends<'a, T>(ctx: &Ctx, raw: &'a S<Vec<S<T>>>, key: &str) -> Result<(&'a S<T>, &'a S<T>)> {
    match raw.get_ref().as_slice() {
        [lo, hi] => Ok((lo, hi)),
        other => Err(ctx.err_hint(
            raw.span(),
            format!(
                "{key} has {} value(s): a swarm range is [lowest, highest]",
                other.len()
            ),
            Some(format!("e.g. {key} = {}", example(key))),
        )),
    }
}

fn example(key: &str) -> &'static str {
    match key {
        "keys" => "[1, 1000]",
        "clients" => "[1, 16]",
        "key_skew" => "[0.0, 1.2]",
        "think" => "[\"1ms\", \"50ms\"]",
        _ => "[0.1, 0.6]",
    }
}

fn int_range(
    ctx: &Ctx,
    raw: &S<Vec<S<i64>>>,
    key: &str,
    min: u32,
    max: u32,
) -> Result<RangeInclusive<u32>> {
    let (lo, hi) = ends(ctx, raw, key)?;
    let check = |v: &S<i64>| -> Result<u32> {
        match u32::try_from(*v.get_ref()) {
            Ok(x) if (min..=max).contains(&x) => Ok(x),
            _ => Err(ctx.err(
                v.span(),
                format!(
                    "{key} = {} is out of range: expected {min} to {max}",
                    v.get_ref()
                ),
            )),
        }
    };
    let (a, b) = (check(lo)?, check(hi)?);
    if a > b {
        return Err(reversed(ctx, raw, key));
    }
    Ok(a..=b)
}

fn float_range(
    ctx: &Ctx,
    raw: &S<Vec<S<f64>>>,
    key: &str,
    min: f64,
    max: f64,
) -> Result<RangeInclusive<f64>> {
    let (lo, hi) = ends(ctx, raw, key)?;
    let check = |v: &S<f64>| -> Result<f64> {
        let x = *v.get_ref();
        if (min..=max).contains(&x) {
            Ok(x)
        } else {
            Err(ctx.err(
                v.span(),
                format!("{key} = {x} is out of range: expected {min} to {max}"),
            ))
        }
    };
    let (a, b) = (check(lo)?, check(hi)?);
    if a > b {
        return Err(reversed(ctx, raw, key));
    }
    Ok(a..=b)
}

fn think_range(ctx: &Ctx, raw: &S<Vec<S<Value>>>) -> Result<RangeInclusive<Duration>> {
    let (lo, hi) = ends(ctx, raw, "think")?;
    let check = |v: &S<Value>| -> Result<Duration> {
        let d = duration_value(ctx, v, "think")?;
        if d < Duration::from_micros(1) || d > MAX_LATENCY {
            return Err(ctx.err(
                v.span(),
                "think: a swarm range is from \"1us\" to \"10s\"".into(),
            ));
        }
        Ok(d)
    };
    let (a, b) = (check(lo)?, check(hi)?);
    if a > b {
        return Err(reversed(ctx, raw, "think"));
    }
    Ok(a..=b)
}

fn reversed<T>(ctx: &Ctx, raw: &S<Vec<T>>, key: &str) -> super::ScenarioError {
    ctx.err_hint(
        raw.span(),
        format!("{key}: the first value is above the second: a swarm range is [lowest, highest]"),
        Some(format!("e.g. {key} = {}", example(key))),
    )
}

fn mix_ranges(ctx: &Ctx, raw: &S<MixRanges>, cas_ok: bool) -> Result<[RangeInclusive<f64>; 4]> {
    let mut out = [0.0..=0.0, 0.0..=0.0, 0.0..=0.0, 0.0..=0.0];
    for (name, range) in raw.get_ref() {
        let Some(i) = MIX_KINDS.iter().position(|k| k == name.get_ref()) else {
            return Err(unknown(
                ctx,
                name,
                &MIX_KINDS,
                "swarm mix kind",
                "expected ",
            ));
        };
        let r = float_range(ctx, range, name.get_ref(), 0.0, 1.0)?;
        if i == 3 && *r.end() > 0.0 && !cas_ok {
            return Err(ctx.err_hint(
                name.span(),
                "cas is not atomic under protocol \"abd\" (see [workload] mix)".into(),
                Some(
                    "remove cas from the swarm mix, or set allow_unsafe_cas = true in [cluster]"
                        .into(),
                ),
            ));
        }
        out[i] = r;
    }
    if out.iter().all(|r| *r.end() == 0.0) {
        return Err(ctx.err(
            raw.span(),
            "mix: every weight range is [0, 0]: name a kind with a positive weight".into(),
        ));
    }
    Ok(out)
}
