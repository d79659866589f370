//! `[network]`: latency distributions (global, per message kind, per link,
//! per link and kind), loss, duplication, bandwidth and `[[network.links]]`.

use super::fields::{
    Result, S, duration_value, node_index, only_keys, probability, required, unknown, written,
    written_duration,
};
use super::size::{format_rate, parse_rate};
use super::span::{Ctx, nearest, quoted_list};
use super::{Latency, Link, MAX_LATENCY, MAX_LINKS, MAX_MIXTURE, Network, format_duration};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use toml::Value;

/// The `[network]` table. See [`Network`] for the defaults.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkSpec {
    pub latency: Option<S<LatencySpec>>,
    pub loss: Option<S<f64>>,
    pub duplicate: Option<S<f64>>,
    /// Every link's bandwidth (`"100MB/s"`, `"1Gbit/s"`); absent: infinite.
    pub bandwidth: Option<S<Value>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kinds: BTreeMap<S<String>, S<LatencySpec>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<S<LinkSpec>>,
}

/// One `[[network.links]]` table.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkSpec {
    pub from: Option<S<i64>>,
    pub to: Option<S<i64>>,
    /// Also the reverse link (never written back: the resolved file lists
    /// both directed links).
    pub both: Option<bool>,
    pub latency: Option<S<LatencySpec>>,
    pub loss: Option<S<f64>>,
    /// This link's bandwidth, over `[network] bandwidth`.
    pub bandwidth: Option<S<Value>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kinds: BTreeMap<S<String>, S<LatencySpec>>,
}

/// `{ dist = "...", ... }`: which other keys are allowed depends on `dist`
/// (a flat struct, not a tagged enum: serde errors inside a tagged enum lose
/// the position). `weight` only inside a mixture's `of`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LatencySpec {
    pub dist: Option<S<String>>,
    pub value: Option<S<Value>>,
    pub min: Option<S<Value>>,
    pub max: Option<S<Value>>,
    pub mean: Option<S<Value>>,
    pub scale: Option<S<Value>>,
    pub shape: Option<S<f64>>,
    pub median: Option<S<Value>>,
    pub sigma: Option<S<f64>>,
    pub of: Option<S<Vec<S<LatencySpec>>>>,
    pub weight: Option<S<f64>>,
}

const DISTS: &[&str] = &[
    "fixed",
    "uniform",
    "exponential",
    "pareto",
    "lognormal",
    "mixture",
];

/// The message kinds of `store::Request::kind()` and `Response::kind()`, the
/// keys of `[network.kinds]`. `replica-read` and `replica-sync` name both the
/// request and its response.
pub const MESSAGE_KINDS: &[&str] = &[
    "client-get",
    "client-put",
    "client-delete",
    "client-cas",
    "client-value",
    "client-done",
    "client-precondition-failed",
    "client-read-unavailable",
    "client-write-unavailable",
    "replica-read",
    "replica-write",
    "replica-hinted-write",
    "replica-sync",
    "replica-written",
    "replica-refused",
];

/// Largest pareto shape or lognormal sigma: beyond, the distribution is a
/// spike or a tail the 10 s cap would swallow.
const MAX_PARAMETER: f64 = 100.0;

impl NetworkSpec {
    pub fn validate(&self, ctx: &Ctx, nodes: u32) -> Result<Network> {
        let latency = match &self.latency {
            None => Latency::Fixed(Duration::from_millis(1)),
            Some(s) => latency(ctx, s)?,
        };
        Ok(Network {
            latency,
            loss: probability(ctx, self.loss.as_ref(), "loss", 0.0)?,
            duplicate: probability(ctx, self.duplicate.as_ref(), "duplicate", 0.0)?,
            bandwidth: self.bandwidth.as_ref().map(|b| rate(ctx, b)).transpose()?,
            kinds: kinds(ctx, &self.kinds)?,
            links: links(ctx, &self.links, nodes)?,
        })
    }

    pub fn resolved(n: &Network) -> NetworkSpec {
        NetworkSpec {
            latency: written(LatencySpec::resolved(&n.latency)),
            loss: written(n.loss),
            duplicate: written(n.duplicate),
            bandwidth: n.bandwidth.and_then(rate_resolved),
            kinds: kinds_resolved(&n.kinds),
            links: (n.links.iter())
                .filter_map(|l| {
                    written(LinkSpec {
                        from: written(l.from.into()),
                        to: written(l.to.into()),
                        both: None,
                        latency: l
                            .latency
                            .as_ref()
                            .and_then(|x| written(LatencySpec::resolved(x))),
                        loss: written(l.loss),
                        bandwidth: l.bandwidth.and_then(rate_resolved),
                        kinds: kinds_resolved(&l.kinds),
                    })
                })
                .collect(),
        }
    }
}

/// A bandwidth string (`"100MB/s"`), in bytes per second.
fn rate(ctx: &Ctx, s: &S<Value>) -> Result<u64> {
    match s.get_ref() {
        Value::String(text) => {
            parse_rate(text).map_err(|why| ctx.err(s.span(), format!("bandwidth: {why}")))
        }
        other => Err(ctx.err_hint(
            s.span(),
            format!("bandwidth = {other} is not a rate: expected a string such as \"100MB/s\""),
            Some(
                "units: B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s, Kbit/s, Mbit/s, Gbit/s".into(),
            ),
        )),
    }
}

fn rate_resolved(bytes_per_s: u64) -> Option<S<Value>> {
    written(Value::String(format_rate(bytes_per_s)))
}

fn kinds_resolved(kinds: &BTreeMap<String, Latency>) -> BTreeMap<S<String>, S<LatencySpec>> {
    (kinds.iter())
        .filter_map(|(k, l)| Some((written(k.clone())?, written(LatencySpec::resolved(l))?)))
        .collect()
}

impl LatencySpec {
    /// `l` as a table; a mixture's components carry their `weight`.
    pub fn resolved(l: &Latency) -> LatencySpec {
        let base = |dist: &str| LatencySpec {
            dist: written(dist.to_owned()),
            ..LatencySpec::default()
        };
        let d = |d: &Duration| written_duration(*d);
        match l {
            Latency::Fixed(v) => LatencySpec {
                value: d(v),
                ..base("fixed")
            },
            Latency::Uniform { min, max } => LatencySpec {
                min: d(min),
                max: d(max),
                ..base("uniform")
            },
            Latency::Exponential { mean } => LatencySpec {
                mean: d(mean),
                ..base("exponential")
            },
            Latency::Pareto { scale, shape } => LatencySpec {
                scale: d(scale),
                shape: written(*shape),
                ..base("pareto")
            },
            Latency::Lognormal { median, sigma } => LatencySpec {
                median: d(median),
                sigma: written(*sigma),
                ..base("lognormal")
            },
            Latency::Mixture(parts) => {
                let part = |(w, l): &(f64, Latency)| {
                    written(LatencySpec {
                        weight: written(*w),
                        ..LatencySpec::resolved(l)
                    })
                };
                LatencySpec {
                    of: written(parts.iter().filter_map(part).collect()),
                    ..base("mixture")
                }
            }
        }
    }
}

fn kinds(
    ctx: &Ctx,
    raw: &BTreeMap<S<String>, S<LatencySpec>>,
) -> Result<BTreeMap<String, Latency>> {
    let mut out = BTreeMap::new();
    for (name, l) in raw {
        if !MESSAGE_KINDS.contains(&name.get_ref().as_str()) {
            let hint = nearest(name.get_ref(), MESSAGE_KINDS)
                .map(|n| format!("did you mean \"{n}\"?"))
                .or_else(|| Some(format!("message kinds: {}", MESSAGE_KINDS.join(", "))));
            return Err(ctx.err_hint(
                name.span(),
                format!("unknown message kind \"{}\"", name.get_ref()),
                hint,
            ));
        }
        out.insert(name.get_ref().clone(), latency(ctx, l)?);
    }
    Ok(out)
}

/// `[[network.links]]`: node indexes in range, `from ≠ to`, each directed link
/// at most once (counting the reverse links `both = true` adds).
fn links(ctx: &Ctx, raw: &[S<LinkSpec>], nodes: u32) -> Result<Vec<Link>> {
    let mut out: BTreeMap<(u32, u32), Link> = BTreeMap::new();
    for s in raw {
        let l = s.get_ref();
        let what = "a [[network.links]] entry";
        let from = node_index(
            ctx,
            required(ctx, l.from.as_ref(), "from", what, s.span())?,
            nodes,
        )?;
        let to_raw = required(ctx, l.to.as_ref(), "to", what, s.span())?;
        let to = node_index(ctx, to_raw, nodes)?;
        if from == to {
            return Err(ctx.err(
                to_raw.span(),
                format!("a link from node {from} to itself: expected two different nodes"),
            ));
        }
        let link = Link {
            from,
            to,
            latency: l.latency.as_ref().map(|x| latency(ctx, x)).transpose()?,
            kinds: kinds(ctx, &l.kinds)?,
            loss: probability(ctx, l.loss.as_ref(), "loss", 0.0)?,
            bandwidth: l.bandwidth.as_ref().map(|b| rate(ctx, b)).transpose()?,
        };
        let mut directed = vec![link.clone()];
        if l.both == Some(true) {
            directed.push(Link {
                from: to,
                to: from,
                ..link
            });
        }
        for d in directed {
            let key = (d.from, d.to);
            if out.insert(key, d).is_some() {
                return Err(ctx.err_hint(
                    s.span(),
                    format!("the link from node {} to node {} is described twice", key.0, key.1),
                    Some("each directed link may appear once; `both = true` also describes the reverse link".into()),
                ));
            }
        }
        if out.len() > MAX_LINKS {
            return Err(ctx.err(s.span(), format!("more than {MAX_LINKS} links")));
        }
    }
    Ok(out.into_values().collect())
}

/// A latency table; a mixture's components may not be mixtures and only they
/// take `weight`.
pub(super) fn latency(ctx: &Ctx, raw: &S<LatencySpec>) -> Result<Latency> {
    if let Some(w) = &raw.get_ref().weight {
        return Err(ctx.err(
            w.span(),
            "`weight` only applies to the components of a mixture's `of`".into(),
        ));
    }
    dist(ctx, raw, true)
}

fn dist(ctx: &Ctx, raw: &S<LatencySpec>, mixture_allowed: bool) -> Result<Latency> {
    let l = raw.get_ref();
    let Some(dist) = &l.dist else {
        return Err(ctx.err(
            raw.span(),
            format!("latency needs `dist`: one of {}", quoted_list(DISTS)),
        ));
    };
    let name = dist.get_ref().as_str();
    let wanted: &[&str] = match name {
        "fixed" => &["value"],
        "uniform" => &["min", "max"],
        "exponential" => &["mean"],
        "pareto" => &["scale", "mean", "shape"],
        "lognormal" => &["median", "mean", "sigma"],
        "mixture" if mixture_allowed => &["of"],
        "mixture" => {
            return Err(ctx.err(
                dist.span(),
                "a mixture's component cannot itself be a mixture: list its components directly"
                    .into(),
            ));
        }
        _ => return Err(unknown(ctx, dist, DISTS, "latency dist", "expected ")),
    };
    let present = [
        ("value", l.value.as_ref().map(|v| v.span())),
        ("min", l.min.as_ref().map(|v| v.span())),
        ("max", l.max.as_ref().map(|v| v.span())),
        ("mean", l.mean.as_ref().map(|v| v.span())),
        ("scale", l.scale.as_ref().map(|v| v.span())),
        ("shape", l.shape.as_ref().map(|v| v.span())),
        ("median", l.median.as_ref().map(|v| v.span())),
        ("sigma", l.sigma.as_ref().map(|v| v.span())),
        ("of", l.of.as_ref().map(|v| v.span())),
    ];
    let what = format!("dist = \"{name}\"");
    only_keys(ctx, present.into_iter(), wanted, &what)?;
    let get = |v: &Option<S<Value>>, key: &str| -> Result<Duration> {
        let s = required(ctx, v.as_ref(), key, &what, dist.span())?;
        latency_value(ctx, s, key)
    };
    match name {
        "fixed" => Ok(Latency::Fixed(get(&l.value, "value")?)),
        "exponential" => Ok(Latency::Exponential {
            mean: get(&l.mean, "mean")?,
        }),
        "uniform" => uniform(ctx, raw, get(&l.min, "min")?, get(&l.max, "max")?),
        "pareto" => pareto(ctx, raw, &what),
        "lognormal" => lognormal(ctx, raw, &what),
        _ => mixture(ctx, raw, &what),
    }
}

fn uniform(ctx: &Ctx, raw: &S<LatencySpec>, min: Duration, max: Duration) -> Result<Latency> {
    if min > max {
        let span = raw.get_ref().max.as_ref().map_or(raw.span(), |m| m.span());
        let message = format!(
            "max = \"{}\" is less than min = \"{}\": expected min ≤ max",
            format_duration(max),
            format_duration(min)
        );
        return Err(ctx.err(span, message));
    }
    Ok(Latency::Uniform { min, max })
}

/// `scale` + `shape` (shape > 0), or `mean` + `shape` (shape > 1).
fn pareto(ctx: &Ctx, raw: &S<LatencySpec>, what: &str) -> Result<Latency> {
    let l = raw.get_ref();
    let dist_span = l.dist.as_ref().map_or(raw.span(), |d| d.span());
    let shape_raw = required(ctx, l.shape.as_ref(), "shape", what, dist_span.clone())?;
    let shape = parameter(ctx, shape_raw, "shape")?;
    let scale = match (&l.scale, &l.mean) {
        (Some(s), None) => latency_value(ctx, s, "scale")?,
        (None, Some(m)) => {
            if shape <= 1.0 {
                return Err(ctx.err_hint(
                    shape_raw.span(),
                    format!("shape = {shape} with `mean`: a pareto distribution has a mean only when shape > 1"),
                    Some("give shape > 1, or `scale` instead of `mean`".into()),
                ));
            }
            latency_value(ctx, m, "mean")?.mul_f64((shape - 1.0) / shape)
        }
        (Some(_), Some(m)) => {
            return Err(ctx.err(m.span(), "give `scale` or `mean`, not both".into()));
        }
        (None, None) => return Err(ctx.err(dist_span, format!("{what} needs `scale` or `mean`"))),
    };
    Ok(Latency::Pareto { scale, shape })
}

/// `median` or `mean`, and `sigma` (> 0).
fn lognormal(ctx: &Ctx, raw: &S<LatencySpec>, what: &str) -> Result<Latency> {
    let l = raw.get_ref();
    let dist_span = l.dist.as_ref().map_or(raw.span(), |d| d.span());
    let sigma_raw = required(ctx, l.sigma.as_ref(), "sigma", what, dist_span.clone())?;
    let sigma = parameter(ctx, sigma_raw, "sigma")?;
    let median = match (&l.median, &l.mean) {
        (Some(s), None) => latency_value(ctx, s, "median")?,
        (None, Some(m)) => latency_value(ctx, m, "mean")?.mul_f64((-sigma * sigma / 2.0).exp()),
        (Some(_), Some(m)) => {
            return Err(ctx.err(m.span(), "give `median` or `mean`, not both".into()));
        }
        (None, None) => return Err(ctx.err(dist_span, format!("{what} needs `median` or `mean`"))),
    };
    Ok(Latency::Lognormal { median, sigma })
}

/// A shape or sigma: finite, > 0, at most [`MAX_PARAMETER`].
fn parameter(ctx: &Ctx, s: &S<f64>, key: &str) -> Result<f64> {
    let v = *s.get_ref();
    if v.is_finite() && v > 0.0 && v <= MAX_PARAMETER {
        return Ok(v);
    }
    Err(ctx.err(
        s.span(),
        format!(
            "{key} = {v} is out of range: expected a number above 0 and at most {MAX_PARAMETER}"
        ),
    ))
}

/// `of = [ { weight = ..., dist = ... }, ... ]`: 1 to [`MAX_MIXTURE`]
/// components, weights ≥ 0 and not all zero, normalised to sum to 1.
fn mixture(ctx: &Ctx, raw: &S<LatencySpec>, what: &str) -> Result<Latency> {
    let l = raw.get_ref();
    let dist_span = l.dist.as_ref().map_or(raw.span(), |d| d.span());
    let of = required(ctx, l.of.as_ref(), "of", what, dist_span)?;
    if of.get_ref().is_empty() || of.get_ref().len() > MAX_MIXTURE {
        return Err(ctx.err(
            of.span(),
            format!("a mixture needs 1 to {MAX_MIXTURE} components, e.g. of = [ {{ weight = 0.9, dist = \"fixed\", value = \"200us\" }}, {{ weight = 0.1, dist = \"exponential\", mean = \"5ms\" }} ]"),
        ));
    }
    let mut parts = Vec::new();
    for c in of.get_ref() {
        let w = required(
            ctx,
            c.get_ref().weight.as_ref(),
            "weight",
            "a mixture component",
            c.span(),
        )?;
        let weight = *w.get_ref();
        if !weight.is_finite() || !(0.0..=1e9).contains(&weight) {
            return Err(ctx.err(
                w.span(),
                format!("weight = {weight} is not a weight: expected a finite number ≥ 0"),
            ));
        }
        parts.push((weight, dist(ctx, c, false)?));
    }
    let sum: f64 = parts.iter().map(|(w, _)| w).sum();
    if sum <= 0.0 {
        return Err(ctx.err(
            of.span(),
            "every mixture weight is zero: give one a positive weight".into(),
        ));
    }
    Ok(Latency::Mixture(
        parts.into_iter().map(|(w, d)| (w / sum, d)).collect(),
    ))
}

fn latency_value(ctx: &Ctx, s: &S<Value>, key: &str) -> Result<Duration> {
    let d = duration_value(ctx, s, key)?;
    if d > MAX_LATENCY {
        return Err(ctx.err(
            s.span(),
            format!(
                "{key} = \"{}\" is too long for a latency: expected at most \"10s\"",
                format_duration(d)
            ),
        ));
    }
    Ok(d)
}
