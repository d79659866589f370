//! `[workload]` and `[workload.probes]`: clients, keys, operations, the
//! operation mix, think time, balancing policy (coordinator choice), what a cas is
//! conditional on and fresh keys per round (`cas_from`, `rounds`), and
//! staleness probes.

use super::fields::{Result, S, as_u32, duration_value, int, one_of, written, written_duration};
use super::size::SizeSpec;
use super::span::Ctx;
use super::{
    Balance, CasFrom, MAX_CLIENTS, MAX_KEY_SKEW, MAX_KEYS, MAX_LATENCY, MAX_OPS, MAX_PROBE_DELAYS,
    MAX_PROBE_TRIALS, MIX_SUM_TOLERANCE, Mix, ObjectMix, ObjectSize, Probes, S3Workload,
    ScenarioError, Workload, format_duration,
};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Duration;
use toml::Value;

/// The `[workload]` table. See [`Workload`] for the defaults.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WorkloadSpec {
    pub clients: Option<S<i64>>,
    pub keys: Option<S<i64>>,
    pub key_skew: Option<S<f64>>,
    pub ops: Option<S<i64>>,
    pub mix: Option<S<MixSpec>>,
    pub think: Option<S<Value>>,
    pub probes: Option<S<ProbesSpec>>,
    /// The old spelling of `balance` (`random` or `sticky`).
    pub coordinator: Option<S<String>>,
    pub balance: Option<S<String>>,
    // ---- S3 (`api = "s3"`): see `S3Workload` ----
    pub api: Option<S<String>>,
    pub buckets: Option<S<i64>>,
    pub versioning: Option<S<String>>,
    pub object_size: Option<S<SizeSpec>>,
    pub max_keys: Option<S<i64>>,
    pub cas_from: Option<S<String>>,
    pub rounds: Option<S<Value>>,
}

/// `[workload.probes]`. See [`Probes`] for the defaults.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProbesSpec {
    pub clients: Option<S<i64>>,
    pub trials: Option<S<i64>>,
    pub delays: S<Vec<S<Value>>>,
}

/// Operation weights; a missing entry is 0.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MixSpec {
    pub get: Option<S<f64>>,
    pub put: Option<S<f64>>,
    pub delete: Option<S<f64>>,
    pub cas: Option<S<f64>>,
    // ---- S3 kinds (`api = "s3"` only) ----
    pub list: Option<S<f64>>,
    #[serde(rename = "get-version")]
    pub get_version: Option<S<f64>>,
    #[serde(rename = "delete-version")]
    pub delete_version: Option<S<f64>>,
    #[serde(rename = "list-versions")]
    pub list_versions: Option<S<f64>>,
    #[serde(rename = "cas-delete")]
    pub cas_delete: Option<S<f64>>,
}

/// `cas_from`, by name.
const CAS_FROMS: &[(&str, CasFrom)] = &[("seen", CasFrom::Seen), ("absent", CasFrom::Absent)];

/// `coordinator` (the old spelling of `balance`), by name.
const COORDINATORS: &[(&str, Balance)] =
    &[("random", Balance::Random), ("sticky", Balance::Sticky)];

impl WorkloadSpec {
    /// `duration` is the faulty phase's, for the default think time.
    pub fn validate(&self, ctx: &Ctx, duration: Duration) -> Result<Workload> {
        let max = i64::from(MAX_CLIENTS);
        let clients_field = int(ctx, self.clients.as_ref(), "clients", 0, max, 4)?;
        let clients = clients_field.value;
        let keys = int(ctx, self.keys.as_ref(), "keys", 1, i64::from(MAX_KEYS), 3)?.value;
        let key_skew = match &self.key_skew {
            None => 0.0,
            Some(s) if (0.0..=MAX_KEY_SKEW).contains(s.get_ref()) => *s.get_ref(),
            Some(s) => {
                return Err(ctx.err_hint(
                    s.span(),
                    format!(
                        "key_skew = {} is out of range: expected 0 to {MAX_KEY_SKEW}",
                        s.get_ref()
                    ),
                    Some("0 draws keys uniformly; 1 is a classic Zipf skew".into()),
                ));
            }
        };
        let ops = int(ctx, self.ops.as_ref(), "ops", 1, MAX_OPS as i64, 1000)?.value;
        let (mix, object_mix) = match &self.mix {
            None => (
                Mix {
                    get: 0.5,
                    put: 0.4,
                    delete: 0.1,
                    cas: 0.0,
                },
                ObjectMix::default(),
            ),
            Some(s) => mix(ctx, s)?,
        };
        let think = match &self.think {
            Some(s) => duration_value(ctx, s, "think")?,
            None => default_think(duration, clients, ops),
        };
        let probes = match &self.probes {
            Some(p) => Some(probes(ctx, p.get_ref(), clients)?),
            None => None,
        };
        // clients = 0 runs the staleness probes alone (their reads measure
        // visibility undisturbed); with no probe either, nothing would run.
        if clients == 0
            && probes.is_none()
            && let Some(span) = clients_field.span
        {
            return Err(ctx.err(
                span,
                format!(
                    "clients = 0 is out of range: expected 1 to {MAX_CLIENTS} \
                     (0 only with staleness probes, [workload.probes])"
                ),
            ));
        }
        let balance = match (&self.balance, &self.coordinator) {
            (None, None) => Balance::Random,
            (Some(s), None) => one_of(ctx, s, Balance::ALL, "balancing policy", "supported: ")?,
            (None, Some(s)) => one_of(ctx, s, COORDINATORS, "coordinator choice", "supported: ")?,
            (Some(_), Some(old)) => {
                return Err(ctx.err_hint(
                    old.span(),
                    "both `coordinator` and `balance`: give one".into(),
                    Some("`coordinator` is the old spelling of `balance`".into()),
                ));
            }
        };
        let s3 = self.s3(ctx, object_mix, probes.is_some())?;
        let cas_from = match &self.cas_from {
            None => CasFrom::Seen,
            Some(s) => one_of(ctx, s, CAS_FROMS, "cas condition", "supported: ")?,
        };
        let rounds = match &self.rounds {
            None => None,
            Some(s) => {
                let round = duration_value(ctx, s, "rounds")?;
                if round.is_zero() {
                    return Err(ctx.err_hint(
                        s.span(),
                        "rounds = \"0s\": a round must last a positive duration".into(),
                        Some("e.g. rounds = \"50ms\": fresh keys every 50 ms".into()),
                    ));
                }
                Some(round)
            }
        };
        Ok(Workload {
            cas_from,
            rounds,
            clients: as_u32(clients),
            keys: as_u32(keys),
            key_skew,
            ops: ops as u64,
            mix,
            think,
            probes,
            balance,
            s3,
        })
    }

    /// `w` with every value written out.
    pub fn resolved(w: &Workload) -> WorkloadSpec {
        let delays = |p: &Probes| {
            p.delays
                .iter()
                .filter_map(|d| written_duration(*d))
                .collect()
        };
        WorkloadSpec {
            clients: written(w.clients.into()),
            keys: written(w.keys.into()),
            // Written only when set: 0 (uniform) is every older file's draw.
            key_skew: (w.key_skew != 0.0).then_some(w.key_skew).and_then(written),
            ops: written(i64::try_from(w.ops).unwrap_or(i64::MAX)),
            mix: written(MixSpec {
                get: written(w.mix.get),
                put: written(w.mix.put),
                delete: written(w.mix.delete),
                cas: written(w.mix.cas),
                list: (w.s3.as_ref()).and_then(|s3| written(s3.mix.list)),
                get_version: (w.s3.as_ref()).and_then(|s3| written(s3.mix.get_version)),
                delete_version: (w.s3.as_ref()).and_then(|s3| written(s3.mix.delete_version)),
                list_versions: (w.s3.as_ref()).and_then(|s3| written(s3.mix.list_versions)),
                // Written only when set: older files never name it.
                cas_delete: (w.s3.as_ref())
                    .filter(|s3| s3.mix.cas_delete > 0.0)
                    .and_then(|s3| written(s3.mix.cas_delete)),
            }),
            think: written_duration(w.think),
            probes: w.probes.as_ref().and_then(|p| {
                written(ProbesSpec {
                    clients: written(p.clients.into()),
                    trials: written(p.trials.into()),
                    delays: S::new(0..0, delays(p)),
                })
            }),
            coordinator: None,
            balance: written(w.balance.as_str().to_owned()),
            cas_from: written(w.cas_from.as_str().to_owned()),
            rounds: w.rounds.and_then(written_duration),
            ..Self::resolved_s3(w)
        }
    }
}

/// `api`, by name (`None`: registers).
const APIS: &[(&str, bool)] = &[("register", false), ("s3", true)];

/// `versioning`, by name.
const VERSIONINGS: &[(&str, store::Versioning)] = &[
    ("off", store::Versioning::Off),
    ("enabled", store::Versioning::Enabled),
    ("suspended", store::Versioning::Suspended),
];

/// Most buckets a scenario may create.
const MAX_BUCKETS: i64 = 100;

impl WorkloadSpec {
    /// `api = "s3"` and its knobs; under `api = "register"` (the default)
    /// every S3 knob and S3 kind of `mix` is refused, naming `api`.
    fn s3(&self, ctx: &Ctx, object_mix: ObjectMix, probes: bool) -> Result<Option<S3Workload>> {
        let s3 = match &self.api {
            None => false,
            Some(s) => one_of(ctx, s, APIS, "api", "supported: ")?,
        };
        let raw_mix = self.mix.as_ref().map(|m| m.get_ref());
        if !s3 {
            let knobs = [
                ("buckets", self.buckets.as_ref().map(|v| v.span())),
                ("versioning", self.versioning.as_ref().map(|v| v.span())),
                ("object_size", self.object_size.as_ref().map(|v| v.span())),
                ("max_keys", self.max_keys.as_ref().map(|v| v.span())),
                (
                    "mix list",
                    raw_mix.and_then(|m| m.list.as_ref().map(|v| v.span())),
                ),
                (
                    "mix get-version",
                    raw_mix.and_then(|m| m.get_version.as_ref().map(|v| v.span())),
                ),
                (
                    "mix delete-version",
                    raw_mix.and_then(|m| m.delete_version.as_ref().map(|v| v.span())),
                ),
                (
                    "mix list-versions",
                    raw_mix.and_then(|m| m.list_versions.as_ref().map(|v| v.span())),
                ),
                (
                    "mix cas-delete",
                    raw_mix.and_then(|m| m.cas_delete.as_ref().map(|v| v.span())),
                ),
            ];
            if let Some((key, Some(span))) = knobs.into_iter().find(|(_, span)| span.is_some()) {
                return Err(ctx.err_hint(
                    span,
                    format!("{key} is an S3 setting, but this workload's api is \"register\""),
                    Some(
                        "set api = \"s3\" in [workload] to run buckets, objects and listings"
                            .into(),
                    ),
                ));
            }
            return Ok(None);
        }
        let api_span = self.api.as_ref().map_or(0..0, |a| a.span());
        // `cas` is a conditional PutObject under s3 (`cas_from` says which
        // header: see `workload::s3`); `rounds` names register keys.
        if let Some(rounds) = &self.rounds {
            return Err(ctx.err_hint(
                rounds.span(),
                "rounds (fresh keys every round) names register keys: it does not run with api = \"s3\"".into(),
                Some("remove rounds; to race If-None-Match creates on objects, put delete in the mix so keys become absent again".into()),
            ));
        }
        if probes {
            return Err(ctx.err_hint(
                api_span,
                "staleness probes ([workload.probes]) write and read registers: they do not run with api = \"s3\"".into(),
                Some("remove [workload.probes], or use api = \"register\"".into()),
            ));
        }
        let buckets = int(ctx, self.buckets.as_ref(), "buckets", 1, MAX_BUCKETS, 1)?.value;
        let versioning = match &self.versioning {
            None => store::Versioning::Off,
            Some(s) => one_of(ctx, s, VERSIONINGS, "versioning", "supported: ")?,
        };
        if versioning == store::Versioning::Off {
            let versioned = [
                ("get-version", raw_mix.and_then(|m| m.get_version.as_ref())),
                (
                    "delete-version",
                    raw_mix.and_then(|m| m.delete_version.as_ref()),
                ),
                (
                    "list-versions",
                    raw_mix.and_then(|m| m.list_versions.as_ref()),
                ),
            ];
            if let Some((key, Some(w))) = versioned
                .into_iter()
                .find(|(_, w)| w.is_some_and(|w| *w.get_ref() > 0.0))
            {
                return Err(ctx.err_hint(
                    w.span(),
                    format!("mix {key} needs a versioned bucket, but versioning is \"off\""),
                    Some("set versioning = \"enabled\" (or \"suspended\") in [workload]".into()),
                ));
            }
        }
        let object_size = match &self.object_size {
            None => ObjectSize::Fixed(4096),
            Some(s) => SizeSpec::validate(ctx, s)?,
        };
        let max_keys = int(ctx, self.max_keys.as_ref(), "max_keys", 1, 1000, 1000)?.value;
        Ok(Some(S3Workload {
            buckets: as_u32(buckets),
            versioning,
            object_size,
            max_keys: as_u32(max_keys),
            mix: object_mix,
        }))
    }

    /// The S3 fields of `w`, written out (all `None` under registers).
    fn resolved_s3(w: &Workload) -> WorkloadSpec {
        let Some(s3) = &w.s3 else {
            return WorkloadSpec::default();
        };
        let versioning = VERSIONINGS
            .iter()
            .find(|(_, v)| *v == s3.versioning)
            .map_or("off", |(name, _)| name);
        WorkloadSpec {
            api: written("s3".to_owned()),
            buckets: written(s3.buckets.into()),
            versioning: written(versioning.to_owned()),
            object_size: written(SizeSpec::resolved(&s3.object_size)),
            max_keys: written(s3.max_keys.into()),
            ..WorkloadSpec::default()
        }
    }
}

/// `[workload.probes]`: probe clients count against the client limit too.
fn probes(ctx: &Ctx, raw: &ProbesSpec, clients: i64) -> Result<Probes> {
    let room = (i64::from(MAX_CLIENTS) - clients).max(1);
    let count = int(ctx, raw.clients.as_ref(), "probes.clients", 1, room, 1)?.value;
    let trials = int(
        ctx,
        raw.trials.as_ref(),
        "probes.trials",
        1,
        MAX_PROBE_TRIALS,
        100,
    )?
    .value;
    let list = raw.delays.get_ref();
    if list.is_empty() || list.len() > MAX_PROBE_DELAYS {
        return Err(ctx.err(
            raw.delays.span(),
            format!(
                "probes.delays has {} entries: expected 1 to {MAX_PROBE_DELAYS} durations",
                list.len()
            ),
        ));
    }
    let mut delays = Vec::with_capacity(list.len());
    for d in list {
        let delay = duration_value(ctx, d, "probes.delays")?;
        if delay > MAX_LATENCY {
            return Err(ctx.err(
                d.span(),
                format!(
                    "a probe delay may be at most {}",
                    format_duration(MAX_LATENCY)
                ),
            ));
        }
        delays.push(delay);
    }
    delays.sort();
    Ok(Probes {
        clients: as_u32(count),
        trials: as_u32(trials),
        delays,
    })
}

/// 0.8 × duration × clients / ops: each client's operations spread over about
/// 80% of the faulty phase, leaving room for the operations' own latency so that
/// all `ops` usually run before the workload stops at the end of the phase.
fn default_think(duration: Duration, clients: i64, ops: i64) -> Duration {
    let nanos = duration.as_nanos() * 4 * clients as u128 / (5 * ops as u128);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

fn mix(ctx: &Ctx, raw: &S<MixSpec>) -> Result<(Mix, ObjectMix)> {
    let m = raw.get_ref();
    let weight = |w: &Option<S<f64>>, key: &str| -> Result<f64> {
        match w {
            None => Ok(0.0),
            Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 => Ok(*s.get_ref()),
            Some(s) => Err(ctx.err(
                s.span(),
                format!(
                    "mix {key} = {} is not a weight: expected a finite number ≥ 0",
                    s.get_ref()
                ),
            )),
        }
    };
    let (get, put) = (weight(&m.get, "get")?, weight(&m.put, "put")?);
    let (delete, cas) = (weight(&m.delete, "delete")?, weight(&m.cas, "cas")?);
    let (list, get_version) = (
        weight(&m.list, "list")?,
        weight(&m.get_version, "get-version")?,
    );
    let delete_version = weight(&m.delete_version, "delete-version")?;
    let list_versions = weight(&m.list_versions, "list-versions")?;
    let cas_delete = weight(&m.cas_delete, "cas-delete")?;
    let weights = [
        get,
        put,
        delete,
        cas,
        list,
        get_version,
        delete_version,
        list_versions,
        cas_delete,
    ];
    let sum: f64 = weights.iter().sum();
    if !sum.is_finite() {
        let message = "mix weights are too large: their sum is not a finite number".into();
        return Err(ctx.err_hint(
            raw.span(),
            message,
            Some("use fractions, e.g. { get = 0.5, put = 0.5 }".into()),
        ));
    }
    if sum <= 0.0 {
        return Err(ctx.err_hint(
            raw.span(),
            "mix has no operations: every weight is zero".into(),
            Some("give at least one of get, put, delete, cas a positive weight, e.g. { get = 0.5, put = 0.5 }".into()),
        ));
    }
    if (sum - 1.0).abs() > MIX_SUM_TOLERANCE {
        return Err(mix_sum_error(ctx, raw.span(), weights, sum));
    }
    let register = Mix {
        get: get / sum,
        put: put / sum,
        delete: delete / sum,
        cas: cas / sum,
    };
    let object = ObjectMix {
        list: list / sum,
        get_version: get_version / sum,
        delete_version: delete_version / sum,
        list_versions: list_versions / sum,
        cas_delete: cas_delete / sum,
    };
    Ok((register, object))
}

/// The names of the mix weights: [`Mix`]'s order, then [`ObjectMix`]'s.
const MIX_KEYS: [&str; 9] = [
    "get",
    "put",
    "delete",
    "cas",
    "list",
    "get-version",
    "delete-version",
    "list-versions",
    "cas-delete",
];

/// Weights that do not add up to 1: name the sum and the terms, and suggest
/// the same proportions scaled to 1 (in thousandths, the largest weight
/// absorbing the rounding, so the suggestion itself is accepted).
fn mix_sum_error(
    ctx: &Ctx,
    span: Range<usize>,
    weights: [f64; MIX_KEYS.len()],
    sum: f64,
) -> ScenarioError {
    let terms: Vec<String> = (MIX_KEYS.iter().zip(weights))
        .filter(|(_, w)| *w > 0.0)
        .map(|(k, w)| format!("{k} {}", decimal(w)))
        .collect();
    let mut thousandths = weights.map(|w| (w / sum * 1000.0).round() as i64);
    let largest = (0..weights.len())
        .max_by(|&a, &b| weights[a].total_cmp(&weights[b]))
        .unwrap_or(0);
    thousandths[largest] += 1000 - thousandths.iter().sum::<i64>();
    let scaled: Vec<String> = (MIX_KEYS.iter().zip(thousandths))
        .filter(|(_, t)| *t > 0)
        .map(|(k, t)| format!("{k} = {}", decimal(t as f64 / 1000.0)))
        .collect();
    ctx.err_hint(
        span,
        format!(
            "mix weights sum to {} ({}): expected 1, each weight being the fraction of operations of its kind",
            decimal(sum),
            terms.join(" + ")
        ),
        Some(format!(
            "make them add up to 1 (within {MIX_SUM_TOLERANCE:e}); the same proportions: {{ {} }}",
            scaled.join(", ")
        )),
    )
}

/// At most six decimals, without trailing zeros (`1.1`, not `1.1000000000000001`).
fn decimal(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}
