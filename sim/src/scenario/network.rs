//! `[network]`: latency distributions (global, per message kind, per link,
//! per link and kind), loss, duplication, bandwidth and `[[network.links]]`.

use super::dist::{LatencySpec, latency};
use super::fields::{Result, S, node_index, probability, required, written};
use super::size::{format_rate, parse_rate};
use super::span::{Ctx, nearest};
use super::{Latency, Link, MAX_LINKS, Network};
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

/// The message kinds, the keys of `[network.kinds]`: the store's own list
/// (`store::message::KINDS`), so a kind the store sends is never refused.
pub use store::message::KINDS as MESSAGE_KINDS;

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
