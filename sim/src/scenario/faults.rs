//! `[[faults]]` tables → [`Fault`]s, sorted by start time.
//!
//! Each table is read from a flat spec type (a `kind` string and every
//! kind's keys optional, not a tagged enum: serde errors inside a tagged enum
//! lose the position and point at the table header), so that every error
//! points at the value: an unknown `kind`, a key that belongs to another kind,
//! a node index outside the cluster, a partition that separates nobody, a node
//! crashed or paused twice at once.

use super::fields::{
    Field, Result, S, duration_value, node_index, only_keys, positive, required, unknown, written,
    written_duration,
};
use super::span::{Ctx, nearest, quoted_list};
use super::{
    BugAction, BugHit, Fault, FaultKind, MAX_DURATION, MAX_FAULTS, MAX_LATENCY, MessageAction,
    MessageFault, ScenarioError, format_duration, parse_duration,
};
use serde::de::{self, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serialize};
use std::marker::PhantomData;
use std::ops::Range;
use std::time::Duration;
use store::buggify::Point;
use toml::Value;

/// `groups = [[0, 1], [2]]`, with a span on the list, each group and each node.
pub(super) type GroupsSpec = S<Vec<S<Vec<S<i64>>>>>;

/// One `[[faults]]` table: `kind`, `at` and `duration`, plus the keys of its kind.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultSpec {
    pub kind: Option<S<String>>,
    pub at: Option<S<Value>>,
    pub duration: Option<S<Value>>,
    /// `partition` only.
    pub groups: Option<GroupsSpec>,
    /// `isolate`, `bridge`, `crash`, `pause`, `clock-jump`.
    pub node: Option<S<i64>>,
    /// `clog`: one node; message faults: a node or a list of nodes.
    pub from: Option<S<OneOrMany<i64>>>,
    /// `clog`: one node; message faults: a node or a list of nodes.
    pub to: Option<S<OneOrMany<i64>>>,
    /// `clock-jump` only: a signed duration such as `"-500ms"`.
    pub by: Option<S<Value>>,
    /// Message faults: a message kind or a list of them.
    pub messages: Option<S<OneOrMany<String>>>,
    /// `delay-messages` only: how much later a hit message arrives.
    pub delay: Option<S<Value>>,
    /// Message faults: the probability that a matching message is hit.
    pub probability: Option<S<f64>>,
    /// `buggify` only: the fault point (`after-apply`, ...).
    pub point: Option<S<String>>,
    /// `buggify` only: `crash`, `pause` or `delay`.
    pub action: Option<S<String>>,
    /// `buggify` only: the node's pass of the point to hit (default 1).
    pub pass: Option<S<i64>>,
}

/// A value or a list of values (`messages = "replica-write"` or
/// `messages = ["replica-write", "replica-read"]`), each item of a list
/// with its own span.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum OneOrMany<T> {
    One(T),
    Many(Vec<S<T>>),
}

impl<T: Clone> OneOrMany<T> {
    /// Each item with its span (a lone value has the span of the whole).
    fn items(whole: &S<OneOrMany<T>>) -> Vec<S<T>> {
        match whole.get_ref() {
            OneOrMany::One(v) => vec![S::new(whole.span(), v.clone())],
            OneOrMany::Many(items) => items.clone(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> de::Visitor<'de> for Visit<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    if items.len() >= MAX_LIST {
                        return Err(de::Error::custom(format!(
                            "more than {MAX_LIST} items in one list"
                        )));
                    }
                    items.push(item);
                }
                Ok(OneOrMany::Many(items))
            }
        }
        d.deserialize_any(Visit(PhantomData))
    }
}

/// Most items in a `messages`, `from` or `to` list.
const MAX_LIST: usize = 256;

impl FaultSpec {
    /// `f` as a table; a clock jump has no `duration` (it is an instant).
    pub fn resolved(f: &Fault) -> FaultSpec {
        let base = |kind: &str| FaultSpec {
            kind: written(kind.to_owned()),
            at: written_duration(f.at),
            duration: written_duration(f.duration),
            ..FaultSpec::default()
        };
        let n = |n: &u32| written(i64::from(*n));
        match &f.kind {
            FaultKind::Partition { groups } => {
                let group = |g: &Vec<u32>| written(g.iter().filter_map(n).collect());
                let groups = written(groups.iter().filter_map(group).collect());
                FaultSpec {
                    groups,
                    ..base("partition")
                }
            }
            FaultKind::Isolate { node } => FaultSpec {
                node: n(node),
                ..base("isolate")
            },
            FaultKind::RandomHalves => base("random-halves"),
            FaultKind::Bridge { node } => FaultSpec {
                node: n(node),
                ..base("bridge")
            },
            FaultKind::Clog { from, to } => FaultSpec {
                from: written(OneOrMany::One(i64::from(*from))),
                to: written(OneOrMany::One(i64::from(*to))),
                ..base("clog")
            },
            FaultKind::Messages(m) => {
                let set = |s: &Option<Vec<u32>>| {
                    let nodes = s.as_ref()?.iter().filter_map(n).collect();
                    written(OneOrMany::Many(nodes))
                };
                let kinds = m.kinds.iter().filter_map(|k| written(k.clone())).collect();
                FaultSpec {
                    messages: written(OneOrMany::Many(kinds)),
                    from: set(&m.from),
                    to: set(&m.to),
                    delay: match m.action {
                        MessageAction::Delay(d) => written_duration(d),
                        _ => None,
                    },
                    probability: written(m.probability),
                    ..base(m.action.kind_name())
                }
            }
            FaultKind::Crash { node } => FaultSpec {
                node: n(node),
                ..base("crash")
            },
            FaultKind::Pause { node } => FaultSpec {
                node: n(node),
                ..base("pause")
            },
            FaultKind::ClockJump { node, by_ns } => {
                let sign = if *by_ns < 0 { "-" } else { "" };
                let by = format_duration(Duration::from_nanos(by_ns.unsigned_abs()));
                let by = written(Value::String(format!("{sign}{by}")));
                FaultSpec {
                    node: n(node),
                    by,
                    duration: None,
                    ..base("clock-jump")
                }
            }
            FaultKind::Join { node } => FaultSpec {
                node: n(node),
                duration: None,
                ..base("join")
            },
            FaultKind::Leave { node } => FaultSpec {
                node: n(node),
                duration: None,
                ..base("leave")
            },
            FaultKind::Replace { node, by } => FaultSpec {
                node: n(node),
                by: written(Value::Integer(i64::from(*by))),
                duration: None,
                ..base("replace")
            },
            FaultKind::Buggify(hit) => FaultSpec {
                node: n(&hit.node),
                point: written(hit.point.as_str().to_owned()),
                action: written(hit.action.as_str().to_owned()),
                pass: written(i64::try_from(hit.pass).unwrap_or(i64::MAX)),
                ..base("buggify")
            },
            FaultKind::BuggifyWindow { node } => FaultSpec {
                node: n(node),
                ..base("buggify-window")
            },
        }
    }
}

/// Each fault kind implemented: its name, the keys it takes besides `kind`,
/// `at` and `duration`, and the fewest nodes it can act on.
const KINDS: &[(&str, &[&str], u32)] = &[
    ("partition", &["groups"], 2),
    ("isolate", &["node"], 2),
    ("random-halves", &[], 2),
    ("bridge", &["node"], 3),
    ("clog", &["from", "to"], 2),
    ("crash", &["node"], 1),
    ("pause", &["node"], 1),
    ("clock-jump", &["node", "by"], 1),
    (
        "drop-messages",
        &["messages", "from", "to", "probability"],
        1,
    ),
    (
        "delay-messages",
        &["messages", "from", "to", "delay", "probability"],
        1,
    ),
    (
        "duplicate-messages",
        &["messages", "from", "to", "probability"],
        1,
    ),
    ("join", &["node"], 2),
    ("leave", &["node"], 2),
    ("replace", &["node", "by"], 2),
    ("buggify", &["node", "point", "action", "pass"], 1),
    ("buggify-window", &["node"], 1),
];

/// Fault kinds that are instants (no `duration`): a clock step and the
/// operator's membership requests (a movement takes what it takes).
const INSTANTS: &[&str] = &["clock-jump", "join", "leave", "replace"];

fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|(name, _, _)| *name).collect()
}

/// A validated fault and the span of its `at`, for errors found after sorting.
struct Placed {
    fault: Fault,
    at_span: Range<usize>,
}

/// Validates every fault against the faulty phase (`duration`) and the
/// cluster size, then sorts them by `at` (stable: equal starts keep file order).
pub(super) fn faults(
    ctx: &Ctx,
    raw: &[S<FaultSpec>],
    duration: &Field<Duration>,
    nodes: u32,
) -> Result<Vec<Fault>> {
    if let Some(extra) = raw.get(MAX_FAULTS) {
        return Err(ctx.err(
            extra.span(),
            format!(
                "more than {MAX_FAULTS} [[faults]]: for many random faults use a [nemesis] table"
            ),
        ));
    }
    let mut placed = raw
        .iter()
        .map(|f| fault(ctx, f, duration, nodes))
        .collect::<Result<Vec<Placed>>>()?;
    placed.sort_by_key(|p| p.fault.at);
    no_overlapping_downs(ctx, &placed, duration.value)?;
    Ok(placed.into_iter().map(|p| p.fault).collect())
}

fn fault(ctx: &Ctx, raw: &S<FaultSpec>, duration: &Field<Duration>, nodes: u32) -> Result<Placed> {
    let f = raw.get_ref();
    let Some(kind) = &f.kind else {
        let message = format!(
            "a [[faults]] table needs `kind`: one of {}",
            quoted_list(&kind_names())
        );
        return Err(ctx.err(raw.span(), message));
    };
    let Some(&(name, keys, least)) = KINDS.iter().find(|(n, _, _)| n == kind.get_ref()) else {
        return Err(unknown_kind(ctx, kind));
    };
    let what = format!("kind = \"{name}\"");
    let present = [
        ("groups", f.groups.as_ref().map(|g| g.span())),
        ("node", f.node.as_ref().map(|n| n.span())),
        ("from", f.from.as_ref().map(|n| n.span())),
        ("to", f.to.as_ref().map(|n| n.span())),
        ("by", f.by.as_ref().map(|n| n.span())),
        ("messages", f.messages.as_ref().map(|n| n.span())),
        ("delay", f.delay.as_ref().map(|n| n.span())),
        ("probability", f.probability.as_ref().map(|n| n.span())),
        ("point", f.point.as_ref().map(|n| n.span())),
        ("action", f.action.as_ref().map(|n| n.span())),
        ("pass", f.pass.as_ref().map(|n| n.span())),
    ];
    only_keys(ctx, present.into_iter(), keys, &what)?;

    let at = required(ctx, f.at.as_ref(), "at", &what, kind.span())?;
    let at_value = duration_value(ctx, at, "at")?;
    starts_in_time(ctx, at, at_value, duration)?;
    let length = fault_length(ctx, f, name, &what, kind.span())?;
    let kind = fault_kind(ctx, f, (name, least), &what, kind.span(), nodes)?;
    Ok(Placed {
        fault: Fault {
            at: at_value,
            duration: length,
            kind,
        },
        at_span: at.span(),
    })
}

/// `duration`: required and positive, except for a clock jump, which is an
/// instant and takes none (its fault lasts zero).
fn fault_length(
    ctx: &Ctx,
    f: &FaultSpec,
    name: &str,
    what: &str,
    kind_span: Range<usize>,
) -> Result<Duration> {
    if name == "clock-jump" {
        return match &f.duration {
            None => Ok(Duration::ZERO),
            Some(d) => Err(ctx.err_hint(
                d.span(),
                "`duration` does not apply to kind = \"clock-jump\": a clock step stays, like an NTP step".into(),
                Some("to step the clock back later, add a second clock-jump with the opposite `by`".into()),
            )),
        };
    }
    if INSTANTS.contains(&name) {
        return match &f.duration {
            None => Ok(Duration::ZERO),
            Some(d) => Err(ctx.err(
                d.span(),
                format!("`duration` does not apply to kind = \"{name}\": it is a request to the cluster, and the movement takes as long as it takes"),
            )),
        };
    }
    let length = required(
        ctx,
        f.duration.as_ref(),
        "duration",
        what,
        kind_span.clone(),
    )?;
    let length = Field {
        value: duration_value(ctx, length, "duration")?,
        span: Some(length.span()),
    };
    positive(ctx, &length, "duration")?;
    if name == "buggify" && length.value > MAX_LATENCY {
        return Err(ctx.err(
            length.span.unwrap_or(kind_span),
            "duration: at most \"10s\" (how long a buggify hit holds or delays its node)".into(),
        ));
    }
    Ok(length.value)
}

fn fault_kind(
    ctx: &Ctx,
    f: &FaultSpec,
    (name, least): (&str, u32),
    what: &str,
    kind_span: Range<usize>,
    nodes: u32,
) -> Result<FaultKind> {
    if nodes < least {
        return Err(ctx.err(
            kind_span,
            format!("{what} needs a cluster of at least {least} nodes; this one has {nodes}"),
        ));
    }
    let node = || -> Result<u32> {
        let n = required(ctx, f.node.as_ref(), "node", what, kind_span.clone())?;
        node_index(ctx, n, nodes)
    };
    Ok(match name {
        "partition" => {
            let groups = required(ctx, f.groups.as_ref(), "groups", what, kind_span.clone())?;
            FaultKind::Partition {
                groups: partition(ctx, groups, nodes)?,
            }
        }
        "isolate" => FaultKind::Isolate { node: node()? },
        "random-halves" => FaultKind::RandomHalves,
        "bridge" => FaultKind::Bridge { node: node()? },
        "clog" => clog(ctx, f, what, kind_span.clone(), nodes)?,
        "drop-messages" | "delay-messages" | "duplicate-messages" => {
            FaultKind::Messages(messages(ctx, f, name, what, kind_span.clone(), nodes)?)
        }
        "pause" => FaultKind::Pause { node: node()? },
        "clock-jump" => {
            let by = required(ctx, f.by.as_ref(), "by", what, kind_span.clone())?;
            FaultKind::ClockJump {
                node: node()?,
                by_ns: signed_duration(ctx, by, "by")?,
            }
        }
        "buggify" => FaultKind::Buggify(bug_hit(ctx, f, what, kind_span.clone(), node()?)?),
        "buggify-window" => FaultKind::BuggifyWindow { node: node()? },
        "join" => FaultKind::Join { node: node()? },
        "leave" => FaultKind::Leave { node: node()? },
        "replace" => {
            let by = required(ctx, f.by.as_ref(), "by", what, kind_span.clone())?;
            let Value::Integer(index) = by.get_ref() else {
                return Err(ctx.err(
                    by.span(),
                    "by: expected the index of the node taking the dead node's place, e.g. by = 4"
                        .into(),
                ));
            };
            let by = node_index(ctx, &S::new(by.span(), *index), nodes)?;
            let node = node()?;
            if by == node {
                return Err(ctx.err(
                    f.by.as_ref().map_or(kind_span, |b| b.span()),
                    format!("node {node} cannot replace itself: `by` names the new node"),
                ));
            }
            FaultKind::Replace { node, by }
        }
        _ => FaultKind::Crash { node: node()? },
    })
}

/// An explicit buggify hit: `point` and `action` required (names checked
/// with a "did you mean"), `pass` from 1 (default 1).
fn bug_hit(
    ctx: &Ctx,
    f: &FaultSpec,
    what: &str,
    kind_span: Range<usize>,
    node: u32,
) -> Result<BugHit> {
    let point = required(ctx, f.point.as_ref(), "point", what, kind_span.clone())?;
    let names: Vec<&str> = Point::ALL.iter().map(|p| p.as_str()).collect();
    let Some(&point_value) = Point::ALL.iter().find(|p| p.as_str() == point.get_ref()) else {
        return Err(unknown(ctx, point, &names, "fault point", "expected "));
    };
    let action = required(ctx, f.action.as_ref(), "action", what, kind_span)?;
    let actions: Vec<&str> = BugAction::ALL.iter().map(|a| a.as_str()).collect();
    let Some(&action_value) = BugAction::ALL
        .iter()
        .find(|a| a.as_str() == action.get_ref())
    else {
        return Err(unknown(
            ctx,
            action,
            &actions,
            "buggify action",
            "expected ",
        ));
    };
    let pass = match &f.pass {
        None => 1,
        Some(p) => match u64::try_from(*p.get_ref()) {
            Ok(v) if v >= 1 => v,
            _ => {
                return Err(ctx.err(
                    p.span(),
                    format!(
                        "pass = {} is not a pass: expected 1 (the node's first pass of the point) or more",
                        p.get_ref()
                    ),
                ));
            }
        },
    };
    Ok(BugHit {
        node,
        point: point_value,
        action: action_value,
        pass,
    })
}

fn clog(
    ctx: &Ctx,
    f: &FaultSpec,
    what: &str,
    kind_span: Range<usize>,
    nodes: u32,
) -> Result<FaultKind> {
    let one = |raw: &S<OneOrMany<i64>>| match raw.get_ref() {
        OneOrMany::One(n) => Ok(S::new(raw.span(), *n)),
        OneOrMany::Many(_) => Err(ctx.err(
            raw.span(),
            "a clog is between two nodes: expected one node index, not a list".into(),
        )),
    };
    let from = one(required(
        ctx,
        f.from.as_ref(),
        "from",
        what,
        kind_span.clone(),
    )?)?;
    let from = node_index(ctx, &from, nodes)?;
    let to_raw = one(required(ctx, f.to.as_ref(), "to", what, kind_span)?)?;
    let to = node_index(ctx, &to_raw, nodes)?;
    if from == to {
        return Err(ctx.err(
            to_raw.span(),
            format!("a clog from node {from} to itself cuts nothing: expected two different nodes"),
        ));
    }
    Ok(FaultKind::Clog { from, to })
}

/// A message fault: `messages` (required; kinds the store names, with a
/// "did you mean"), `from`/`to` (optional node sets), `delay` (required for
/// `delay-messages`, positive, at most [`super::MAX_LATENCY`]), `probability`
/// (in (0, 1], default 1). A duplicate needs a request a node sends (a
/// client's request copied would be a second write, not a copy).
fn messages(
    ctx: &Ctx,
    f: &FaultSpec,
    name: &str,
    what: &str,
    kind_span: Range<usize>,
    nodes: u32,
) -> Result<MessageFault> {
    let raw = required(
        ctx,
        f.messages.as_ref(),
        "messages",
        what,
        kind_span.clone(),
    )?;
    let items = OneOrMany::items(raw);
    if items.is_empty() {
        return Err(ctx.err(
            raw.span(),
            "messages is empty: name at least one message kind, e.g. \"replica-write\"".into(),
        ));
    }
    let mut kinds = Vec::new();
    for item in &items {
        if !store::message::KINDS.contains(&item.get_ref().as_str()) {
            let kinds = store::message::KINDS;
            let hint = (nearest(item.get_ref(), kinds).map(|n| format!("did you mean \"{n}\"?")))
                .or_else(|| Some(format!("message kinds: {}", kinds.join(", "))));
            let message = format!("unknown message kind \"{}\"", item.get_ref());
            return Err(ctx.err_hint(item.span(), message, hint));
        }
        if name == "duplicate-messages" && !duplicable(item.get_ref()) {
            return Err(ctx.err(
                item.span(),
                format!("\"{}\" cannot be duplicated: only requests one storage node sends another (replica-*) can (a response is answered once; a client's request copied would be a second write)", item.get_ref()),
            ));
        }
        kinds.push(item.get_ref().clone());
    }
    kinds.sort();
    kinds.dedup();
    let set = |raw: Option<&S<OneOrMany<i64>>>| -> Result<Option<Vec<u32>>> {
        let Some(raw) = raw else { return Ok(None) };
        let items = OneOrMany::items(raw);
        if items.is_empty() {
            return Err(ctx.err(
                raw.span(),
                "this node list is empty: leave the key out to mean any node".into(),
            ));
        }
        let mut set =
            (items.iter().map(|n| node_index(ctx, n, nodes))).collect::<Result<Vec<u32>>>()?;
        set.sort();
        set.dedup();
        Ok(Some(set))
    };
    let action = match name {
        "drop-messages" => MessageAction::Drop,
        "duplicate-messages" => MessageAction::Duplicate,
        _ => {
            let raw = required(ctx, f.delay.as_ref(), "delay", what, kind_span)?;
            let delay = duration_value(ctx, raw, "delay")?;
            if delay.is_zero() || delay > super::MAX_LATENCY {
                return Err(ctx.err(
                    raw.span(),
                    format!(
                        "delay = \"{}\" is out of range: expected more than 0 and at most \"{}\"",
                        format_duration(delay),
                        format_duration(super::MAX_LATENCY)
                    ),
                ));
            }
            MessageAction::Delay(delay)
        }
    };
    let probability = match &f.probability {
        None => 1.0,
        Some(p) if *p.get_ref() > 0.0 && *p.get_ref() <= 1.0 => *p.get_ref(),
        Some(p) => {
            return Err(ctx.err(
                p.span(),
                format!(
                    "probability = {} is out of range: expected more than 0 and at most 1",
                    p.get_ref()
                ),
            ));
        }
    };
    Ok(MessageFault {
        action,
        kinds,
        from: set(f.from.as_ref())?,
        to: set(f.to.as_ref())?,
        probability,
    })
}

/// Whether a message kind is a request one storage node sends another.
fn duplicable(kind: &str) -> bool {
    kind.starts_with("replica-")
        && !matches!(
            kind,
            "replica-written"
                | "replica-refused"
                | "replica-rebuilding"
                | "replica-failed"
                | "replica-written-behind"
                | "replica-promised"
                | "replica-accepted"
                | "replica-rejected"
        )
}

/// A non-zero signed duration such as `"-500ms"` or `"+2s"`, in nanoseconds,
/// |value| at most [`MAX_DURATION`].
fn signed_duration(ctx: &Ctx, s: &S<Value>, key: &str) -> Result<i64> {
    let Value::String(text) = s.get_ref() else {
        duration_value(ctx, s, key)?; // explains what a duration looks like
        return Err(ctx.err(
            s.span(),
            format!("{key}: expected a duration string such as \"-500ms\""),
        ));
    };
    let (sign, magnitude) = match text.trim().strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.trim().strip_prefix('+').unwrap_or(text.trim())),
    };
    let d = parse_duration(magnitude).map_err(|why| ctx.err(s.span(), format!("{key}: {why}")))?;
    if d.is_zero() || d > MAX_DURATION {
        return Err(ctx.err(
            s.span(),
            format!("{key} = \"{text}\" is out of range: expected a non-zero step of at most a day (\"24h\") either way, e.g. \"-500ms\""),
        ));
    }
    let ns = i64::try_from(d.as_nanos()).expect("at most a day of nanoseconds fits i64");
    Ok(sign * ns)
}

fn unknown_kind(ctx: &Ctx, kind: &S<String>) -> ScenarioError {
    let name = kind.get_ref();
    if name == "nemesis" {
        return ctx.err_hint(
            kind.span(),
            "the nemesis is not a [[faults]] entry: it has its own [nemesis] table".into(),
            Some("write e.g. [nemesis] interval = \"1s\", duration = \"500ms\"".into()),
        );
    }
    unknown(ctx, kind, &kind_names(), "fault kind", "expected ")
}

/// A fault must start inside the faulty phase, or it would never happen.
fn starts_in_time(
    ctx: &Ctx,
    at: &S<toml::Value>,
    value: Duration,
    duration: &Field<Duration>,
) -> Result<()> {
    if value < duration.value {
        return Ok(());
    }
    let default = if duration.span.is_none() {
        " (the default)"
    } else {
        ""
    };
    Err(ctx.err(
        at.span(),
        format!(
            "at = \"{}\" is not before the end of the faulty phase (duration = \"{}\"{default}): the fault would never happen",
            format_duration(value),
            format_duration(duration.value)
        ),
    ))
}

/// Groups: at least one, each non-empty, disjoint, node indexes in range, and
/// separating someone (two or more groups, or one group smaller than the cluster,
/// whose outsiders are cut off).
fn partition(ctx: &Ctx, groups: &GroupsSpec, nodes: u32) -> Result<Vec<Vec<u32>>> {
    if groups.get_ref().is_empty() {
        return Err(ctx.err(
            groups.span(),
            "groups is empty: expected lists of node indexes, e.g. [[0, 1], [2]]".into(),
        ));
    }
    let mut seen = vec![false; nodes as usize];
    let mut out = Vec::new();
    for group in groups.get_ref() {
        if group.get_ref().is_empty() {
            return Err(ctx.err(
                group.span(),
                "this partition group is empty: list at least one node".into(),
            ));
        }
        let mut members = Vec::new();
        for node in group.get_ref() {
            let index = node_index(ctx, node, nodes)?;
            if std::mem::replace(&mut seen[index as usize], true) {
                return Err(ctx.err(
                    node.span(),
                    format!("node {index} is in more than one group: groups must be disjoint"),
                ));
            }
            members.push(index);
        }
        out.push(members);
    }
    if out.len() == 1 && out[0].len() == nodes as usize {
        return Err(ctx.err_hint(
            groups.span(),
            "this partition separates nobody: its one group holds every node".into(),
            Some("list two or more groups, e.g. [[0, 1], [2]]; nodes left out of every group are cut off from all".into()),
        ));
    }
    Ok(out)
}

/// The node a crash or pause takes down, if the fault is one.
fn downed(kind: &FaultKind) -> Option<u32> {
    match *kind {
        FaultKind::Crash { node } | FaultKind::Pause { node } => Some(node),
        _ => None,
    }
}

/// A node cannot crash or pause while it is crashed or paused: two such
/// faults of the same node may not overlap (each counted until it ends or the
/// faulty phase does).
fn no_overlapping_downs(ctx: &Ctx, placed: &[Placed], phase: Duration) -> Result<()> {
    for (i, later) in placed.iter().enumerate() {
        let Some(node) = downed(&later.fault.kind) else {
            continue;
        };
        let clash = placed[..i].iter().find(|earlier| {
            downed(&earlier.fault.kind) == Some(node) && end(&earlier.fault, phase) > later.fault.at
        });
        if let Some(earlier) = clash {
            let how = match earlier.fault.kind {
                FaultKind::Pause { .. } => "paused",
                _ => "crashed",
            };
            return Err(ctx.err(
                later.at_span.clone(),
                format!(
                    "node {node} is already {how} at \"{}\": an earlier fault holds it down from \"{}\" to \"{}\"",
                    format_duration(later.fault.at),
                    format_duration(earlier.fault.at),
                    format_duration(end(&earlier.fault, phase))
                ),
            ));
        }
    }
    Ok(())
}

/// When a fault ends: after its duration, or when the faulty phase ends.
fn end(fault: &Fault, phase: Duration) -> Duration {
    (fault.at + fault.duration).min(phase)
}
