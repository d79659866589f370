//! The `[cluster]` section: protocol, quorums, coordinators, sync policy and
//! the relations between them (R, W ≤ N ≤ nodes; under `abd` R + W > N, no
//! hinted handoff, no read repair, and `cas` only if `allow_unsafe_cas`).

use super::raw::{RawCluster, RawWorkload, S};
use super::span::{Ctx, nearest, quoted_list};
use super::validate::{Field, as_u32, at_most, duration_value, int, positive_duration};
use super::{Cluster, MAX_NODES, Mix, ScenarioError};
use std::time::Duration;
use store::{Coordinators, Protocol, SyncPolicy};
use toml::Value;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Protocols `store` implements, by their name in scenario files.
const PROTOCOLS: &[(&str, Protocol)] = &[
    ("eventual", Protocol::Eventual),
    ("quorum", Protocol::Quorum),
    ("abd", Protocol::Abd),
];
const SYNCS: &[&str] = &["always", "never"];
const COORDINATORS: &[&str] = &["nodes", "routers"];
/// Most routers in router mode.
pub const MAX_ROUTERS: u32 = 64;
/// Routers when `coordinators = "routers"` and `routers` is not given.
const DEFAULT_ROUTERS: i64 = 2;

pub(super) fn cluster(ctx: &Ctx, raw: &RawCluster) -> Result<Cluster> {
    let max = i64::from(MAX_NODES);
    let nodes = int(ctx, raw.nodes.as_ref(), "nodes", 1, max, 3)?;
    let replicas = int(ctx, raw.replicas.as_ref(), "replicas", 1, max, 3)?;
    let why = "each key is stored on `replicas` distinct nodes";
    at_most(ctx, &replicas, "replicas", &nodes, "nodes", why)?;
    let protocol = protocol(ctx, raw.protocol.as_ref())?;
    let (write_quorum, read_quorum) = quorums(ctx, raw, protocol, &replicas)?;
    let lww = protocol != Protocol::Abd;
    let read_repair = abd_forbids(ctx, raw.read_repair.as_ref(), protocol, "read_repair")?;
    Ok(Cluster {
        nodes: as_u32(nodes.value),
        replicas: as_u32(replicas.value),
        write_quorum: as_u32(write_quorum),
        read_quorum: as_u32(read_quorum),
        protocol,
        read_repair: read_repair.unwrap_or(protocol == Protocol::Quorum) && lww,
        hinted_handoff: abd_forbids(ctx, raw.hinted_handoff.as_ref(), protocol, "hinted_handoff")?
            .unwrap_or(false),
        sync: sync(ctx, raw.sync.as_ref())?,
        coordinators: coordinators(ctx, raw)?,
        allow_unsafe_cas: raw.allow_unsafe_cas.unwrap_or(false),
        anti_entropy: anti_entropy(ctx, raw.anti_entropy.as_ref())?,
        replica_timeout: positive_duration(
            ctx,
            raw.replica_timeout.as_ref(),
            "replica_timeout",
            Duration::from_millis(50),
        )?,
        client_timeout: positive_duration(
            ctx,
            raw.client_timeout.as_ref(),
            "client_timeout",
            Duration::from_millis(200),
        )?,
    })
}

fn protocol(ctx: &Ctx, raw: Option<&S<String>>) -> Result<Protocol> {
    let Some(s) = raw else {
        return Ok(Protocol::Quorum);
    };
    let name = s.get_ref().as_str();
    if let Some((_, p)) = PROTOCOLS.iter().find(|(n, _)| *n == name) {
        return Ok(*p);
    }
    let supported: Vec<&str> = PROTOCOLS.iter().map(|(n, _)| *n).collect();
    let message = format!(
        "unknown protocol \"{name}\": supported: {}",
        quoted_list(&supported)
    );
    let hint = nearest(name, &supported).map(|n| format!("did you mean \"{n}\"?"));
    Err(ctx.err_hint(s.span(), message, hint))
}

/// W and R, with the protocol's defaults (quorum 2, eventual 1, abd a
/// majority of N), each ≤ N; under `abd` also R + W > N.
fn quorums(
    ctx: &Ctx,
    raw: &RawCluster,
    protocol: Protocol,
    replicas: &Field<i64>,
) -> Result<(i64, i64)> {
    let default = match protocol {
        Protocol::Eventual => 1,
        Protocol::Quorum => 2,
        Protocol::Abd | Protocol::Paxos => replicas.value / 2 + 1,
    };
    let max = i64::from(MAX_NODES);
    let w = int(
        ctx,
        raw.write_quorum.as_ref(),
        "write_quorum",
        1,
        max,
        default,
    )?;
    let why = "a write cannot wait for more acknowledgements than there are replicas";
    at_most(ctx, &w, "write_quorum", replicas, "replicas", why)?;
    let r = int(
        ctx,
        raw.read_quorum.as_ref(),
        "read_quorum",
        1,
        max,
        default,
    )?;
    let why = "a read cannot wait for more replies than there are replicas";
    at_most(ctx, &r, "read_quorum", replicas, "replicas", why)?;
    if protocol == Protocol::Abd && r.value + w.value <= replicas.value {
        let span = (w.span.clone())
            .or(r.span.clone())
            .or(replicas.span.clone());
        let message = format!(
            "protocol \"abd\" needs every read quorum to meet every write quorum: read_quorum + write_quorum = {} is not more than replicas = {}",
            r.value + w.value,
            replicas.value
        );
        let hint = "leave write_quorum and read_quorum out: under abd both default to a majority of replicas";
        return Err(ctx.err_hint(span.unwrap_or(0..0), message, Some(hint.into())));
    }
    Ok((w.value, r.value))
}

/// A switch `abd` does not take (it would be wrong or meaningless there).
fn abd_forbids(
    ctx: &Ctx,
    raw: Option<&S<bool>>,
    protocol: Protocol,
    key: &str,
) -> Result<Option<bool>> {
    let Some(s) = raw else { return Ok(None) };
    if protocol != Protocol::Abd {
        return Ok(Some(*s.get_ref()));
    }
    let why = match key {
        "read_repair" => "abd reads always write the newest value back before returning",
        _ => {
            "a hint held off the preference list is not in abd's quorums, so its reads could miss an acknowledged write"
        }
    };
    Err(ctx.err_hint(
        s.span(),
        format!("{key} does not apply to protocol \"abd\": {why}"),
        Some(format!("remove `{key}` or choose protocol = \"quorum\"")),
    ))
}

/// `"always"` (default), `"never"` or `{ interval = "100ms" }` (positive).
fn sync(ctx: &Ctx, raw: Option<&S<Value>>) -> Result<SyncPolicy> {
    let Some(s) = raw else {
        return Ok(SyncPolicy::Always);
    };
    let hint = || Some("write \"always\", \"never\" or { interval = \"100ms\" }".to_string());
    match s.get_ref() {
        Value::String(name) if name == "always" => Ok(SyncPolicy::Always),
        Value::String(name) if name == "never" => Ok(SyncPolicy::Never),
        Value::String(name) => Err(ctx.err_hint(
            s.span(),
            format!(
                "unknown sync \"{name}\": expected {} or a table",
                quoted_list(SYNCS)
            ),
            nearest(name, SYNCS)
                .map(|n| format!("did you mean \"{n}\"?"))
                .or_else(hint),
        )),
        Value::Table(table) if table.len() == 1 && table.contains_key("interval") => {
            // The table's own spans are lost in a `Value`: errors point at `sync`.
            let interval = S::new(s.span(), table["interval"].clone());
            let every = duration_value(ctx, &interval, "sync interval")?;
            if every.is_zero() {
                let message = "sync interval is zero: expected more than \"0s\"".into();
                return Err(ctx.err_hint(s.span(), message, hint()));
            }
            Ok(SyncPolicy::Interval(every))
        }
        other => Err(ctx.err_hint(
            s.span(),
            format!("sync = {other} is not a sync policy"),
            hint(),
        )),
    }
}

/// `coordinators = "nodes" | "routers"`, and `routers` (1 to [`MAX_ROUTERS`],
/// default 2) only with `"routers"`.
fn coordinators(ctx: &Ctx, raw: &RawCluster) -> Result<Coordinators> {
    let mode = raw.coordinators.as_ref();
    let routed = match mode.map(|s| s.get_ref().as_str()) {
        None | Some("nodes") => false,
        Some("routers") => true,
        Some(name) => {
            let span = mode.map_or(0..0, |s| s.span());
            let message = format!(
                "unknown coordinators \"{name}\": expected {}",
                quoted_list(COORDINATORS)
            );
            let hint = nearest(name, COORDINATORS).map(|n| format!("did you mean \"{n}\"?"));
            return Err(ctx.err_hint(span, message, hint));
        }
    };
    match (&raw.routers, routed) {
        (Some(s), false) => Err(ctx.err_hint(
            s.span(),
            "routers applies only to coordinators = \"routers\"".into(),
            Some("add coordinators = \"routers\", or remove `routers`".into()),
        )),
        (_, false) => Ok(Coordinators::Nodes),
        (raw, true) => {
            let max = i64::from(MAX_ROUTERS);
            let routers = int(ctx, raw.as_ref(), "routers", 1, max, DEFAULT_ROUTERS)?;
            Ok(Coordinators::Routers(as_u32(routers.value)))
        }
    }
}

/// `"off"` or a positive duration; default 500 ms.
fn anti_entropy(ctx: &Ctx, raw: Option<&S<Value>>) -> Result<Option<Duration>> {
    match raw {
        Some(s) if s.get_ref().as_str() == Some("off") => Ok(None),
        _ => positive_duration(ctx, raw, "anti_entropy", Duration::from_millis(500))
            .map_err(|e| ScenarioError {
                hint: Some("write a period such as \"500ms\", or \"off\"".into()),
                ..e
            })
            .map(Some),
    }
}

/// `cas` in the mix under `abd` needs `allow_unsafe_cas = true`: ABD makes
/// reads and writes linearizable, but a cas is a read then a write, and two
/// concurrent cas with the same precondition can both succeed. (Under
/// `eventual`/`quorum` cas is allowed and documented as best effort.)
pub(super) fn check_cas(ctx: &Ctx, cluster: &Cluster, raw: &RawWorkload, mix: &Mix) -> Result<()> {
    if cluster.protocol != Protocol::Abd || mix.cas == 0.0 || cluster.allow_unsafe_cas {
        return Ok(());
    }
    let span = (raw.mix.as_ref())
        .map(|m| (m.get_ref().cas.as_ref()).map_or(m.span(), |cas| cas.span()))
        .unwrap_or(0..0);
    Err(ctx.err_hint(
        span,
        "cas is not atomic under protocol \"abd\": it is an ABD read followed by an ABD write, so two concurrent cas with the same `from` can both succeed, and the linearizable check will flag it".into(),
        Some("remove cas from the mix, or set allow_unsafe_cas = true in [cluster] to demonstrate the anomaly".into()),
    ))
}
