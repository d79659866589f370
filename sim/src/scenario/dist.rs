//! Latency distributions as written (`{ dist = "...", ... }`): the
//! `[network]` latencies and `[cluster] service_time`. A leaf like
//! `duration`: sections use it, it uses no section.

use super::fields::{
    Result, S, duration_value, only_keys, required, unknown, written, written_duration,
};
use super::span::{Ctx, quoted_list};
use super::{Latency, MAX_LATENCY, MAX_MIXTURE, format_duration};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use toml::Value;

/// `{ dist = "...", ... }`: which other keys are allowed depends on `dist`
/// (a flat struct, not a tagged enum: serde errors inside a tagged enum lose
/// the position). `weight` only inside a mixture's `of`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LatencySpec {
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

/// Largest pareto shape or lognormal sigma: beyond, the distribution is a
/// spike or a tail the 10 s cap would swallow.
const MAX_PARAMETER: f64 = 100.0;

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
