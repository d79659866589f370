//! What the access checks read: each data operation's sender and authority
//! (the `principal` and `auth` fields, by [`Op::index`]), and the policy
//! changes (`grant`, `revoke`) paired on their own, which
//! [`crate::op::pair`] leaves out.
//!
//! The model is per (bucket, principal): a grant makes a bucket's policy
//! allow the principal, a revoke stops it. A data operation's bucket is its
//! key up to the first `/` (`bucket1/0/3/31` → `bucket1`).

use crate::history::{Auth, EventType, Function, History, Value};
use crate::op::{Op, Outcome};

/// One grant or revoke, paired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChange {
    pub f: Function,
    pub bucket: String,
    pub principal: String,
    pub process: u64,
    pub invoke_time: u64,
    /// `None` for one that ended `info` or never completed.
    pub complete_time: Option<u64>,
    pub outcome: Outcome,
}

/// The access facts of one history.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Each data operation's `auth`, by [`Op::index`] (`None`: the line
    /// had none).
    pub auth: Vec<Option<Auth>>,
    /// Grants and revokes in invoke order.
    pub changes: Vec<PolicyChange>,
}

impl Access {
    /// Reads `history`, pairing its events as [`crate::op::pair`] does.
    pub fn new(history: &History) -> Access {
        let mut access = Access::default();
        let mut open: std::collections::BTreeMap<u64, usize> = Default::default();
        for e in &history.events {
            if !e.f.is_policy() {
                if e.kind == EventType::Invoke {
                    access.auth.push(e.auth.as_deref().cloned());
                }
                continue;
            }
            if e.kind == EventType::Invoke {
                open.insert(e.process, access.changes.len());
                access.changes.push(PolicyChange {
                    f: e.f,
                    bucket: e.key.clone(),
                    principal: match &e.value {
                        Value::Str(name) => name.clone(),
                        _ => String::new(),
                    },
                    process: e.process,
                    invoke_time: e.time,
                    complete_time: None,
                    outcome: Outcome::Info,
                });
                continue;
            }
            let Some(change) = open
                .remove(&e.process)
                .and_then(|i| access.changes.get_mut(i))
            else {
                continue;
            };
            (change.outcome, change.complete_time) = match e.kind {
                EventType::Ok => (Outcome::Ok, Some(e.time)),
                EventType::Fail => (Outcome::Fail, Some(e.time)),
                EventType::Info | EventType::Invoke => (Outcome::Info, None),
            };
        }
        access
    }

    /// Whether the history has anything for the access checks to judge.
    pub fn applies(&self) -> bool {
        self.auth.iter().any(Option::is_some) || !self.changes.is_empty()
    }

    /// The sender of operation `op`, if its line named one.
    pub fn of(&self, op: &Op) -> Option<&Auth> {
        self.auth.get(op.index)?.as_ref()
    }

    /// Grants of `bucket` to `principal` that may have taken effect before
    /// `by` (invoked before it, not failed).
    pub fn granted_before<'a>(
        &'a self,
        bucket: &'a str,
        principal: &'a str,
        by: u64,
    ) -> impl Iterator<Item = &'a PolicyChange> + 'a {
        self.changes.iter().filter(move |c| {
            c.f == Function::Grant
                && c.outcome != Outcome::Fail
                && c.bucket == bucket
                && c.principal == principal
                && c.invoke_time < by
        })
    }
}

/// The bucket of a data operation's key: up to the first `/`.
pub fn bucket_of(key: &str) -> &str {
    key.split_once('/').map_or(key, |(bucket, _)| bucket)
}

/// Whether `op` got through: `ok`, or a `fail` with an answer about the
/// key — 404, 412, 409 — that a refused request must not get: it tells
/// whether the key exists. Neither access-denied nor slow-down (turned
/// away before it was served) got through.
pub fn got_through(op: &Op) -> bool {
    match op.outcome {
        Outcome::Ok => true,
        Outcome::Fail => op.error.is_some_and(|e| e.answers_about_key()),
        Outcome::Info => false,
    }
}
