//! `[auth]`: access control (issue 17). Principals with secret keys (the
//! buckets each is granted at the start), explicit bucket policies (S3
//! policy JSON, inline or from a file next to the scenario), whether client
//! 0 administers (grants and revokes during the run), the shares of
//! adversarial requests, Δ for `revocation`, and the coordinators' policy
//! cache TTL. Absent: no access control, nothing changes.

use super::fields::{Result, S, duration, probability, written, written_duration};
use super::span::Ctx;
use super::{Auth, MAX_PRINCIPALS, Principal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use store::auth::Policy;
use toml::Value;

/// The `[auth]` table. See [`Auth`] for the defaults.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthSpec {
    #[serde(default)]
    pub principals: Vec<S<PrincipalSpec>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<S<PolicySpec>>,
    pub administrator: Option<S<bool>>,
    pub forged: Option<S<f64>>,
    pub replayed: Option<S<f64>>,
    pub presigned: Option<S<f64>>,
    pub expired: Option<S<f64>>,
    pub revocation_delta: Option<S<Value>>,
    pub policy_cache_ttl: Option<S<Value>>,
}

/// One `principals` entry.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PrincipalSpec {
    pub name: S<String>,
    pub secret: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<S<String>>,
}

/// One `policies` entry: `json` or `file`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicySpec {
    pub bucket: S<String>,
    pub json: Option<S<String>>,
    pub file: Option<S<String>>,
}

const POLICY_HINT: &str = "a bucket policy is S3 policy JSON: {\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": [\"alice\"]}, \"Action\": [\"s3:GetObject\"], \"Resource\": [\"arn:aws:s3:::bucket1/*\"]}]}";

impl AuthSpec {
    pub fn validate(&self, ctx: &Ctx, span: std::ops::Range<usize>) -> Result<Auth> {
        if self.principals.is_empty() {
            return Err(ctx.err_hint(
                span,
                "[auth] has no principals".into(),
                Some("add principals = [{ name = \"alice\", buckets = [\"bucket1\"] }]".into()),
            ));
        }
        if self.principals.len() > MAX_PRINCIPALS {
            return Err(ctx.err(
                self.principals[MAX_PRINCIPALS].span(),
                format!("more than {MAX_PRINCIPALS} principals"),
            ));
        }
        let mut principals: Vec<Principal> = Vec::new();
        for p in &self.principals {
            let p = p.get_ref();
            let name = p.name.get_ref();
            let valid = !name.is_empty()
                && name.len() <= 64
                && (name.chars()).all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid || name == super::ADMIN {
                return Err(ctx.err_hint(
                    p.name.span(),
                    format!("principal name {name:?} is not allowed"),
                    Some(format!(
                        "1 to 64 letters, digits, '-' or '_', and not {:?} (the administrator)",
                        super::ADMIN
                    )),
                ));
            }
            if principals.iter().any(|q| &q.name == name) {
                return Err(ctx.err(p.name.span(), format!("principal {name:?} is listed twice")));
            }
            let secret = match &p.secret {
                Some(s) if s.get_ref().is_empty() => {
                    return Err(ctx.err(s.span(), "secret is empty".into()));
                }
                Some(s) => s.get_ref().clone(),
                None => format!("secret-of-{name}"),
            };
            principals.push(Principal {
                name: name.clone(),
                secret,
                buckets: p.buckets.iter().map(|b| b.get_ref().clone()).collect(),
            });
        }
        let mut policies = BTreeMap::new();
        for p in &self.policies {
            let (bucket, text, at) = policy_text(ctx, p)?;
            if let Err(e) = Policy::from_json(&text) {
                return Err(ctx.err_hint(
                    at,
                    format!("bucket {bucket}'s policy: {e}"),
                    Some(POLICY_HINT.into()),
                ));
            }
            policies.insert(bucket, text);
        }
        let share = |raw: &Option<S<f64>>, key| probability(ctx, raw.as_ref(), key, 0.0);
        let (forged, replayed) = (
            share(&self.forged, "forged")?,
            share(&self.replayed, "replayed")?,
        );
        let (presigned, expired) = (
            share(&self.presigned, "presigned")?,
            share(&self.expired, "expired")?,
        );
        if forged + replayed + presigned + expired > 1.0 {
            let span = (self.expired.as_ref().or(self.presigned.as_ref()))
                .map_or(span.clone(), |s| s.span());
            return Err(ctx.err(
                span,
                "forged + replayed + presigned + expired is more than 1".into(),
            ));
        }
        Ok(Auth {
            principals,
            policies,
            administrator: self.administrator.as_ref().is_none_or(|a| *a.get_ref()),
            forged,
            replayed,
            presigned,
            expired,
            revocation_delta: duration(
                ctx,
                self.revocation_delta.as_ref(),
                "revocation_delta",
                Duration::ZERO,
            )?
            .value,
            policy_cache_ttl: duration(
                ctx,
                self.policy_cache_ttl.as_ref(),
                "policy_cache_ttl",
                Duration::from_secs(1),
            )?
            .value,
        })
    }

    pub fn resolved(a: &Auth) -> AuthSpec {
        AuthSpec {
            principals: (a.principals.iter())
                .filter_map(|p| {
                    written(PrincipalSpec {
                        name: S::new(0..0, p.name.clone()),
                        secret: written(p.secret.clone()),
                        buckets: p.buckets.iter().map(|b| S::new(0..0, b.clone())).collect(),
                    })
                })
                .collect(),
            policies: (a.policies.iter())
                .filter_map(|(bucket, json)| {
                    written(PolicySpec {
                        bucket: S::new(0..0, bucket.clone()),
                        json: written(json.clone()),
                        file: None,
                    })
                })
                .collect(),
            administrator: written(a.administrator),
            forged: written(a.forged),
            replayed: written(a.replayed),
            presigned: written(a.presigned),
            expired: written(a.expired),
            revocation_delta: written_duration(a.revocation_delta),
            policy_cache_ttl: written_duration(a.policy_cache_ttl),
        }
    }
}

/// A `policies` entry's bucket, text (inline, or read from `file` next to
/// the scenario) and the span to blame for a bad policy.
fn policy_text(ctx: &Ctx, p: &S<PolicySpec>) -> Result<(String, String, std::ops::Range<usize>)> {
    let spec = p.get_ref();
    let bucket = spec.bucket.get_ref().clone();
    match (&spec.json, &spec.file) {
        (Some(json), None) => Ok((bucket, json.get_ref().clone(), json.span())),
        (None, Some(file)) => {
            let dir = std::path::Path::new(ctx.file)
                .parent()
                .unwrap_or(std::path::Path::new(""));
            let path = dir.join(file.get_ref());
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ctx.err(
                    file.span(),
                    format!("cannot read policy file {}: {e}", path.display()),
                )
            })?;
            Ok((bucket, text, file.span()))
        }
        _ => Err(ctx.err_hint(
            p.span(),
            format!("bucket {bucket}'s policy needs exactly one of json or file"),
            Some(
                "json = '{\"Statement\": [...]}', or file = \"policy.json\" (next to the scenario)"
                    .into(),
            ),
        )),
    }
}
