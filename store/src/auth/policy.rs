//! Bucket policies: which principals may do which actions on which
//! resources, in S3's JSON form, and their evaluation.
//!
//! Evaluation is S3's (and IAM's): **default deny**; a matching `Allow`
//! grants; **a matching `Deny` overrides every `Allow`**, in any policy and
//! any statement, whatever the order. Actions match case-insensitively,
//! resources case-sensitively, both with `*` (any run of characters) and `?`
//! (one character) wildcards.
//!
//! Only what the testbed models is accepted: `Effect`, `Principal` (`"*"` or
//! `{"AWS": …}` with principal names), `Action` and `Resource` (a string or
//! a list), `Sid`. `NotAction`, `NotResource`, `NotPrincipal` and `Condition`
//! are refused with an error rather than silently ignored — ignoring a
//! condition would grant more than the policy says.

use serde::Deserialize;

/// S3's limit on a bucket policy's size.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;
/// Most statements in one policy (bounds evaluation).
pub const MAX_STATEMENTS: usize = 100;
/// Longest action or resource pattern (bounds matching: O(pattern × text)).
pub const MAX_PATTERN: usize = 1024;

/// The actions the store knows, as policies name them.
pub const GET_OBJECT: &str = "s3:GetObject";
pub const PUT_OBJECT: &str = "s3:PutObject";
pub const DELETE_OBJECT: &str = "s3:DeleteObject";
pub const LIST_BUCKET: &str = "s3:ListBucket";

/// The ARN of a bucket (`key` = `None`, what `s3:ListBucket` acts on) or of
/// an object in it.
pub fn resource_arn(bucket: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("arn:aws:s3:::{bucket}/{key}"),
        None => format!("arn:aws:s3:::{bucket}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement: `effect` for `principals` doing `actions` on `resources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `None` = every principal (`"Principal": "*"`).
    pub principals: Option<Vec<String>>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

/// What is asked: may `principal` do `action` on `resource` (an ARN)?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyRequest<'a> {
    pub principal: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
}

/// The outcome of evaluating policies for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some statement allows it and none denies it.
    Allow,
    /// A statement denies it (overrides any allow).
    ExplicitDeny,
    /// Nothing allows it.
    ImplicitDeny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Why a policy document was refused; each says what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("policy is {bytes} bytes; S3 allows at most {MAX_POLICY_BYTES}")]
    TooLarge { bytes: usize },
    #[error("policy has no statements; give \"Statement\": [{{...}}]")]
    NoStatement,
    #[error("policy has {count} statements; at most {MAX_STATEMENTS}")]
    TooManyStatements { count: usize },
    #[error("statement {index}: Effect {found:?} is neither \"Allow\" nor \"Deny\"")]
    BadEffect { index: usize, found: String },
    #[error(
        "statement {index}: action {found:?} must start with \"s3:\" (e.g. \"{GET_OBJECT}\", \"s3:*\")"
    )]
    BadAction { index: usize, found: String },
    #[error(
        "statement {index}: resource {found:?} must start with \"arn:aws:s3:::\" \
         (e.g. \"arn:aws:s3:::bucket/*\")"
    )]
    BadResource { index: usize, found: String },
    #[error("statement {index}: {field} must not be empty")]
    Empty { index: usize, field: &'static str },
    #[error("statement {index}: a {field} pattern is longer than {MAX_PATTERN} characters")]
    PatternTooLong { index: usize, field: &'static str },
    #[error(
        "statement {index}: \"{field}\" is not supported by storesim's policies \
         (only Sid, Effect, Principal, Action, Resource); ignoring it could grant more than meant"
    )]
    Unsupported { index: usize, field: String },
    #[error(
        "statement {index}: Principal must be \"*\" or {{\"AWS\": \"name\" or [\"name\", ...]}}"
    )]
    BadPrincipal { index: usize },
}

impl Policy {
    /// Parses and validates a policy document (S3's JSON form).
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge { bytes: text.len() });
        }
        let raw: RawPolicy = serde_json::from_str(text).map_err(|e| PolicyError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let raw_statements = raw.statement.map(OneOrMany::into_vec).unwrap_or_default();
        if raw_statements.is_empty() {
            return Err(PolicyError::NoStatement);
        }
        if raw_statements.len() > MAX_STATEMENTS {
            return Err(PolicyError::TooManyStatements {
                count: raw_statements.len(),
            });
        }
        let statements = (raw_statements.into_iter().enumerate())
            .map(|(index, s)| s.validate(index))
            .collect::<Result<_, _>>()?;
        Ok(Policy { statements })
    }

    /// This policy's decision alone.
    pub fn evaluate(&self, request: PolicyRequest) -> Decision {
        evaluate([self], request)
    }
}

/// The decision of every policy in `policies` together: default deny, an
/// allow anywhere grants, a deny anywhere overrides.
pub fn evaluate<'p>(
    policies: impl IntoIterator<Item = &'p Policy>,
    request: PolicyRequest,
) -> Decision {
    let mut decision = Decision::ImplicitDeny;
    for statement in policies.into_iter().flat_map(|p| &p.statements) {
        if !statement.matches(request) {
            continue;
        }
        match statement.effect {
            Effect::Deny => return Decision::ExplicitDeny,
            Effect::Allow => decision = Decision::Allow,
        }
    }
    decision
}

impl Statement {
    fn matches(&self, r: PolicyRequest) -> bool {
        let principal = match &self.principals {
            None => true,
            Some(names) => names.iter().any(|n| n == "*" || n == r.principal),
        };
        principal
            && (self.actions.iter())
                .any(|a| wildcard_match(&a.to_ascii_lowercase(), &r.action.to_ascii_lowercase()))
            && (self.resources.iter()).any(|p| wildcard_match(p, r.resource))
    }
}

/// Whether `text` matches `pattern` (`*` any run, `?` one character).
/// Greedy with one backtrack point: O(pattern × text) at worst.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct RawPolicy {
    #[serde(rename = "Statement")]
    statement: Option<OneOrMany<RawStatement>>,
}

#[derive(Deserialize)]
struct RawStatement {
    #[serde(rename = "Sid")]
    sid: Option<String>,
    #[serde(rename = "Effect")]
    effect: Option<String>,
    #[serde(rename = "Principal")]
    principal: Option<serde_json::Value>,
    #[serde(rename = "Action")]
    action: Option<OneOrMany<String>>,
    #[serde(rename = "Resource")]
    resource: Option<OneOrMany<String>>,
    /// Everything else: refused by name (Condition, NotAction, ...).
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, serde_json::Value>,
}

impl RawStatement {
    fn validate(self, index: usize) -> Result<Statement, PolicyError> {
        if let Some(field) = self.rest.keys().next() {
            return Err(PolicyError::Unsupported {
                index,
                field: field.clone(),
            });
        }
        let effect = match self.effect.as_deref() {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            other => {
                return Err(PolicyError::BadEffect {
                    index,
                    found: other.unwrap_or("").to_string(),
                });
            }
        };
        let principals = principals(self.principal, index)?;
        let actions = self.action.map(OneOrMany::into_vec).unwrap_or_default();
        let resources = self.resource.map(OneOrMany::into_vec).unwrap_or_default();
        for (field, list) in [("Action", &actions), ("Resource", &resources)] {
            if list.is_empty() {
                return Err(PolicyError::Empty { index, field });
            }
            if list.iter().any(|p| p.chars().count() > MAX_PATTERN) {
                return Err(PolicyError::PatternTooLong { index, field });
            }
        }
        if let Some(a) = actions
            .iter()
            .find(|a| !a.to_ascii_lowercase().starts_with("s3:"))
        {
            return Err(PolicyError::BadAction {
                index,
                found: a.clone(),
            });
        }
        if let Some(r) = resources.iter().find(|r| !r.starts_with("arn:aws:s3:::")) {
            return Err(PolicyError::BadResource {
                index,
                found: r.clone(),
            });
        }
        Ok(Statement {
            sid: self.sid,
            effect,
            principals,
            actions,
            resources,
        })
    }
}

/// `"*"` → everyone; `{"AWS": "*" | name | [names]}` → those names.
fn principals(
    value: Option<serde_json::Value>,
    index: usize,
) -> Result<Option<Vec<String>>, PolicyError> {
    use serde_json::Value;
    let bad = PolicyError::BadPrincipal { index };
    let names = |v: &Value| -> Option<Vec<String>> {
        match v {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => None,
        }
    };
    match value {
        Some(Value::String(s)) if s == "*" => Ok(None),
        Some(Value::Object(map)) if map.len() == 1 => {
            let list = map.get("AWS").and_then(names).ok_or(bad)?;
            if list.is_empty() {
                return Err(PolicyError::Empty {
                    index,
                    field: "Principal",
                });
            }
            Ok((!list.iter().any(|n| n == "*")).then_some(list))
        }
        _ => Err(bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req<'a>(principal: &'a str, action: &'a str, resource: &'a str) -> PolicyRequest<'a> {
        PolicyRequest {
            principal,
            action,
            resource,
        }
    }

    const ALICE_READS_PHOTOS: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "read", "Effect": "Allow", "Principal": {"AWS": ["alice"]},
             "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"]},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": "arn:aws:s3:::photos/private/*"}
        ]
    }"#;

    #[test]
    fn default_deny_allow_grants_and_explicit_deny_wins() {
        let p = Policy::from_json(ALICE_READS_PHOTOS).unwrap();
        let obj = resource_arn("photos", Some("2024/cat.jpg"));
        let private = resource_arn("photos", Some("private/me.jpg"));
        assert_eq!(p.evaluate(req("alice", GET_OBJECT, &obj)), Decision::Allow);
        assert_eq!(
            p.evaluate(req("alice", "S3:getobject", &obj)),
            Decision::Allow,
            "actions match case-insensitively"
        );
        assert_eq!(
            p.evaluate(req("alice", LIST_BUCKET, &resource_arn("photos", None))),
            Decision::Allow
        );
        assert_eq!(
            p.evaluate(req("alice", PUT_OBJECT, &obj)),
            Decision::ImplicitDeny
        );
        assert_eq!(
            p.evaluate(req("bob", GET_OBJECT, &obj)),
            Decision::ImplicitDeny
        );
        assert_eq!(
            p.evaluate(req("alice", GET_OBJECT, &private)),
            Decision::ExplicitDeny
        );
        assert_eq!(
            p.evaluate(req("alice", GET_OBJECT, &resource_arn("other", Some("x")))),
            Decision::ImplicitDeny
        );
        // The deny wins wherever it is: in another policy, before or after.
        let allow_all = Policy::from_json(
            r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "arn:aws:s3:::*"}}"#,
        )
        .unwrap();
        assert_eq!(
            evaluate([&allow_all, &p], req("alice", GET_OBJECT, &private)),
            Decision::ExplicitDeny
        );
        assert_eq!(
            evaluate([&p, &allow_all], req("bob", PUT_OBJECT, &obj)),
            Decision::Allow
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("a*c", "ac"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("photos/*/x", "photos/a/b/x"));
        assert!(!wildcard_match("photos/*", "photo"));
        assert!(!wildcard_match("abc", "abcd"));
        assert!(wildcard_match("**a**", "xxa"));
    }

    #[test]
    fn bad_policies_are_refused_saying_what_would_do() {
        let bad = |text: &str| Policy::from_json(text).unwrap_err().to_string();
        assert!(bad("{").contains("line 1"));
        assert!(bad(r#"{"Statement": []}"#).contains("no statements"));
        let stmt = |extra: &str| {
            format!(
                r#"{{"Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"{extra}}}]}}"#
            )
        };
        assert!(Policy::from_json(&stmt("")).is_ok());
        assert!(bad(&stmt(r#", "Condition": {}"#)).contains("\"Condition\" is not supported"));
        let e = bad(&stmt("").replace("Allow", "Permit"));
        assert!(e.contains("neither \"Allow\" nor \"Deny\""), "{e}");
        let e = bad(&stmt("").replace("s3:GetObject", "GetObject"));
        assert!(e.contains("must start with \"s3:\""), "{e}");
        let e = bad(&stmt("").replace("arn:aws:s3:::b/*", "b/*"));
        assert!(e.contains("arn:aws:s3:::"), "{e}");
        let e = bad(&stmt("").replace("\"Principal\": \"*\"", "\"Principal\": 3"));
        assert!(e.contains("Principal must be"), "{e}");
        assert!(bad(&" ".repeat(MAX_POLICY_BYTES + 1)).contains("at most"));
    }

    fn statement() -> impl Strategy<Value = Statement> {
        (
            any::<bool>(),
            prop::option::of(prop::sample::subsequence(
                vec!["alice".to_string(), "bob".into()],
                1..=2,
            )),
            prop::sample::subsequence(
                vec![
                    "s3:GetObject".to_string(),
                    "s3:PutObject".into(),
                    "s3:*".into(),
                ],
                1..=3,
            ),
            prop::sample::subsequence(
                vec![
                    "arn:aws:s3:::b/*".to_string(),
                    "arn:aws:s3:::b/x".into(),
                    "arn:aws:s3:::c/*".into(),
                ],
                1..=3,
            ),
        )
            .prop_map(|(allow, principals, actions, resources)| Statement {
                sid: None,
                effect: if allow { Effect::Allow } else { Effect::Deny },
                principals,
                actions,
                resources,
            })
    }

    proptest! {
        /// The decision does not depend on statement order; adding an
        /// allow never turns an explicit deny into an allow; adding a
        /// matching deny always denies.
        #[test]
        fn deny_overrides_and_order_does_not_matter(
            statements in prop::collection::vec(statement(), 0..6),
            extra in statement(),
            principal in prop::sample::select(vec!["alice", "bob", "carol"]),
            action in prop::sample::select(vec!["s3:GetObject", "s3:PutObject"]),
            resource in prop::sample::select(vec!["arn:aws:s3:::b/x", "arn:aws:s3:::c/y"]),
        ) {
            let r = req(principal, action, resource);
            let p = Policy { statements: statements.clone() };
            let mut reversed = statements.clone();
            reversed.reverse();
            prop_assert_eq!(p.evaluate(r), Policy { statements: reversed }.evaluate(r));
            let mut more = statements.clone();
            more.push(extra.clone());
            let q = Policy { statements: more };
            match (extra.effect, extra.matches(r)) {
                (Effect::Deny, true) => prop_assert_eq!(q.evaluate(r), Decision::ExplicitDeny),
                (Effect::Allow, _) if p.evaluate(r) == Decision::ExplicitDeny => {
                    prop_assert_eq!(q.evaluate(r), Decision::ExplicitDeny)
                }
                (_, false) => prop_assert_eq!(q.evaluate(r), p.evaluate(r)),
                _ => {}
            }
        }
    }
}
