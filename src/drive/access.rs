//! `[auth]` against a real endpoint: each client signs with its scenario
//! principal's keys, the bucket's initial policy is installed with the
//! owner's, and the history says who sent what, so `authorization` judges
//! the endpoint (issue 17 on storesimd started with the same principals:
//! `--principals admin:secret-of-the-administrator,alice:secret-of-alice,…`).
//!
//! - **Who.** The owner is the scenario's administrator (`admin`, its
//!   secret as the simulator's): drive probes, creates the bucket, installs
//!   the policy and reads the finals as the owner, whom no policy restricts.
//!   Client `c` is principal `c mod P` ([`sim::workload::access::Identity`],
//!   as in the simulator with `administrator = false`).
//! - **How signed.** Every drive request is a presigned URL valid for an
//!   hour (see [`super::s3`]), so each request's `auth` is `presigned`.
//! - **Policy.** The bucket's initial policy is the simulator's generated
//!   one (every object action for the principals whose `buckets` name
//!   `bucket1`, drive's one bucket), put with PutBucketPolicy before the
//!   run and recorded as `grant`s at time 0 by process 0 (principal
//!   `admin`), as the simulator records initial policies.
//! - **Not driven** (refused with the knob's line, exit 2): the
//!   administrator's grants and revokes during the run, forged, replayed,
//!   presigned and expired shares, explicit `policies` (they name the
//!   simulator's buckets).

use super::s3::{Endpoint, Reply};
use anyhow::bail;
use check::history::{Auth as Sender, AuthKind};
use check::{Event, EventType, Function, Value};
use rusty_s3::Credentials;
use sim::Scenario;
use sim::scenario::ADMIN;
use sim::workload::access::{Identity, generated_policy, initial_grants, store_config};
use sim::workload::s3::bucket_name;
use std::collections::BTreeSet;

/// Who drives under `[auth]`.
pub struct DriveAuth {
    /// The owner's access key and secret (the scenario's administrator).
    pub owner: Credentials,
    /// Each client's principal and keys, by client index.
    pub clients: Vec<(String, Credentials)>,
    /// The principals the bucket's initial policy allows.
    pub granted: BTreeSet<String>,
}

impl DriveAuth {
    /// The scenario's `[auth]` as drive applies it (`None` without one);
    /// `refuse(keys, why)` names a knob drive cannot apply.
    pub fn of(
        scenario: &Scenario,
        refuse: impl Fn(&[&str], &str) -> anyhow::Result<()>,
    ) -> anyhow::Result<Option<DriveAuth>> {
        let Some(auth) = &scenario.auth else {
            return Ok(None);
        };
        if auth.administrator {
            refuse(
                &["auth", "administrator"],
                "grants and revokes during the run are not driven: set administrator = false",
            )?;
        }
        let shares = [
            ("forged", auth.forged),
            ("replayed", auth.replayed),
            ("presigned", auth.presigned),
            ("expired", auth.expired),
        ];
        for (knob, share) in shares {
            if share > 0.0 {
                refuse(
                    &["auth", knob],
                    "drive signs every request as its principal (presigned, valid): set it to 0",
                )?;
            }
        }
        if !auth.policies.is_empty() {
            refuse(
                &["auth", "policies"],
                "explicit policies name the simulator's buckets: give principals' buckets instead",
            )?;
        }
        let config = store_config(auth);
        let Some(admin_secret) = config.principals.get(ADMIN) else {
            bail!("the scenario's principal table has no {ADMIN}");
        };
        let clients = (0..scenario.workload.clients)
            .map(|c| {
                let who = Identity::of(auth, c);
                let keys = Credentials::new(who.principal.clone(), who.secret);
                (who.principal, keys)
            })
            .collect();
        let granted = initial_grants(auth, 1)
            .remove(&bucket_name(0))
            .unwrap_or_default();
        Ok(Some(DriveAuth {
            owner: Credentials::new(ADMIN.to_string(), admin_secret.clone()),
            clients,
            granted,
        }))
    }

    /// Puts the bucket's initial policy through `endpoint` as the owner
    /// (nothing when nobody is granted: default deny).
    pub fn install(&self, endpoint: &Endpoint, bucket: &str) -> anyhow::Result<()> {
        if self.granted.is_empty() {
            return Ok(());
        }
        let policy = generated_policy(bucket, &self.granted);
        let url = &endpoint.url;
        match endpoint.put_bucket_policy(&policy) {
            Reply::Status(a) if a.status < 300 => Ok(()),
            Reply::Status(a) => bail!(
                "endpoint {url}: PutBucketPolicy {bucket}: {} (is it started with the scenario's principals?)",
                a.describe()
            ),
            Reply::NotSent(why) | Reply::Lost(why) => {
                bail!("endpoint {url}: PutBucketPolicy {bucket}: {why}")
            }
        }
    }

    /// The initial policy's `grant` lines (invoke and ok at time 0, by
    /// process 0 as the owner), to go before every other event.
    pub fn grants(&self, bucket: &str) -> Vec<Event> {
        let owner = Sender {
            principal: ADMIN.to_string(),
            kind: AuthKind::Signed,
        };
        (self.granted.iter())
            .flat_map(|principal| {
                [EventType::Invoke, EventType::Ok].map(|kind| Event {
                    process: 0,
                    kind,
                    f: Function::Grant,
                    key: bucket.to_string(),
                    value: Value::Str(principal.clone()),
                    time: 0,
                    node: None,
                    object: None,
                    error: None,
                    auth: Some(Box::new(owner.clone())),
                })
            })
            .collect()
    }

    /// Gives every client event its sender: the principal of its client
    /// (a process that went on after an `info` is `client + k × clients`),
    /// with a presigned URL's authority.
    pub fn stamp(&self, events: &mut [Event]) {
        let clients = self.clients.len() as u64;
        for event in events.iter_mut().filter(|e| e.auth.is_none()) {
            let client = usize::try_from(event.process % clients.max(1)).unwrap_or(0);
            let Some((principal, _)) = self.clients.get(client) else {
                continue;
            };
            event.auth = Some(Box::new(Sender {
                principal: principal.clone(),
                kind: AuthKind::Presigned,
            }));
        }
    }
}
