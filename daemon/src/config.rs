//! A node's settings: flags, or a small TOML file with the same names
//! (flags win), validated into the store's `ClusterConfig` and the node's
//! addresses.
//!
//! ```toml
//! id = 0                                   # this node's index in `peers`
//! peers = ["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"]  # peer (TCP) addresses of all nodes
//! s3 = "127.0.0.1:9000"                    # this node's S3 HTTP address
//! data_dir = "data/n0"
//! protocol = "quorum"                      # eventual | quorum | abd
//! replicas = 3                             # N (default: min(3, nodes))
//! read_quorum = 2                          # R (default: the protocol's)
//! write_quorum = 2                         # W (default: the protocol's)
//! sync = "always"                          # always | never | an interval such as "100ms"
//! replica_timeout_ms = 1000
//! secret = "storesimd"                     # open mode: the secret key every access key signs with
//! ```
//!
//! Access control (issue 17): with `principals`, only those access keys
//! are accepted (SigV4 verified by s3s against each one's own secret), the
//! `owner` (default: the first listed) administers buckets and policies and
//! no policy restricts it, and everyone else needs a bucket policy that
//! allows them (see [`crate::access`]):
//!
//! ```toml
//! principals = ["owner:owner-secret", "bob:bob-secret"]   # access key:secret key
//! owner = "owner"
//! policy_cache_ttl_ms = 1000               # how long a node trusts a bucket policy it read
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::auth::AuthConfig;
use store::{ClusterConfig, Protocol, SyncPolicy};

/// Most principals one node accepts (the table is configuration, read once).
pub const MAX_PRINCIPALS: usize = 1024;
/// The longest policy cache TTL accepted: one hour.
pub const MAX_POLICY_CACHE_TTL_MS: u64 = 3_600_000;

/// The settings a file may hold (every one optional: flags may give it).
#[derive(Debug, Default, Clone, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// This node's index in --peers.
    #[arg(long)]
    pub id: Option<u32>,
    /// Peer (node-to-node TCP) addresses of every node, comma-separated, in id order.
    #[arg(long, value_delimiter = ',')]
    pub peers: Option<Vec<SocketAddr>>,
    /// This node's S3 HTTP address.
    #[arg(long)]
    pub s3: Option<SocketAddr>,
    /// Folder of this node's log and blobs.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// eventual, quorum or abd.
    #[arg(long)]
    pub protocol: Option<String>,
    /// N: replicas per key (default min(3, nodes)).
    #[arg(long)]
    pub replicas: Option<u32>,
    /// R (default: the protocol's).
    #[arg(long)]
    pub read_quorum: Option<u32>,
    /// W (default: the protocol's).
    #[arg(long)]
    pub write_quorum: Option<u32>,
    /// always, never, or an interval such as 100ms.
    #[arg(long)]
    pub sync: Option<String>,
    /// How long a coordinator waits for a replica (default 1000).
    #[arg(long)]
    pub replica_timeout_ms: Option<u64>,
    /// Open mode (no --principals): the secret key every access key id signs with (default "storesimd").
    #[arg(long)]
    pub secret: Option<String>,
    /// Access control: the accepted principals as ACCESS_KEY:SECRET_KEY, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub principals: Option<Vec<String>>,
    /// The principal that owns every bucket (default: the first of --principals).
    #[arg(long)]
    pub owner: Option<String>,
    /// How long a node trusts a bucket policy it read, on its own clock (default 1000).
    #[arg(long)]
    pub policy_cache_ttl_ms: Option<u64>,
}

/// A node's validated configuration.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub id: u32,
    pub peers: Vec<SocketAddr>,
    pub s3: SocketAddr,
    pub data_dir: PathBuf,
    /// `cluster.auth` is `Some` when principals are configured.
    pub cluster: ClusterConfig,
    /// Open mode's one secret (unused when `cluster.auth` is `Some`).
    pub secret: String,
}

/// Bad settings: what is wrong, in words that name the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Reads a settings file.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: parse_message(&text, &error),
        })
    }

    /// `self`, with every setting `flags` gives replaced by it.
    pub fn overridden_by(self, flags: Settings) -> Settings {
        Settings {
            id: flags.id.or(self.id),
            peers: flags.peers.or(self.peers),
            s3: flags.s3.or(self.s3),
            data_dir: flags.data_dir.or(self.data_dir),
            protocol: flags.protocol.or(self.protocol),
            replicas: flags.replicas.or(self.replicas),
            read_quorum: flags.read_quorum.or(self.read_quorum),
            write_quorum: flags.write_quorum.or(self.write_quorum),
            sync: flags.sync.or(self.sync),
            replica_timeout_ms: flags.replica_timeout_ms.or(self.replica_timeout_ms),
            secret: flags.secret.or(self.secret),
            principals: flags.principals.or(self.principals),
            owner: flags.owner.or(self.owner),
            policy_cache_ttl_ms: flags.policy_cache_ttl_ms.or(self.policy_cache_ttl_ms),
        }
    }

    /// Checks every setting and its relations (the store panics on a bad
    /// configuration, so nothing bad may reach it).
    pub fn validate(self) -> Result<NodeConfig, ConfigError> {
        let missing = |name: &str| ConfigError::Invalid(format!("missing setting `{name}`"));
        let invalid = |message: String| ConfigError::Invalid(message);
        let auth = self.auth()?;
        let peers = self.peers.ok_or_else(|| missing("peers"))?;
        let id = self.id.ok_or_else(|| missing("id"))?;
        let nodes = peers.len() as u32;
        if nodes == 0 || nodes > 64 {
            return Err(invalid(format!(
                "`peers` lists {nodes} nodes; give 1 to 64"
            )));
        }
        if id >= nodes {
            return Err(invalid(format!(
                "`id` = {id} but `peers` lists {nodes} nodes (ids 0..{nodes})"
            )));
        }
        let protocol = match self.protocol.as_deref().unwrap_or("quorum") {
            "eventual" => Protocol::Eventual,
            "quorum" => Protocol::Quorum,
            "abd" => Protocol::Abd,
            // Objects as consensus registers: conditional writes atomic,
            // versioning refused (PutBucketVersioning answers 400).
            "paxos" => Protocol::Paxos,
            other => {
                return Err(invalid(format!(
                    "`protocol` = {other:?}: expected eventual, quorum, abd or paxos"
                )));
            }
        };
        let replicas = self.replicas.unwrap_or(nodes.min(3));
        if !(1..=nodes).contains(&replicas) {
            return Err(invalid(format!(
                "`replicas` = {replicas} must be in 1..={nodes}"
            )));
        }
        let mut cluster = ClusterConfig::for_protocol(protocol, nodes, replicas);
        cluster.read_quorum = self.read_quorum.unwrap_or(cluster.read_quorum);
        cluster.write_quorum = self.write_quorum.unwrap_or(cluster.write_quorum);
        for (name, q) in [
            ("read_quorum", cluster.read_quorum),
            ("write_quorum", cluster.write_quorum),
        ] {
            if !(1..=replicas).contains(&q) {
                return Err(invalid(format!(
                    "`{name}` = {q} must be in 1..={replicas} (replicas)"
                )));
            }
        }
        if matches!(protocol, Protocol::Abd | Protocol::Paxos)
            && cluster.read_quorum + cluster.write_quorum <= replicas
        {
            return Err(invalid(format!(
                "{} needs read_quorum + write_quorum > replicas ({} + {} <= {replicas})",
                protocol.name(),
                cluster.read_quorum,
                cluster.write_quorum
            )));
        }
        cluster.sync = parse_sync(self.sync.as_deref().unwrap_or("always"))?;
        let timeout = self.replica_timeout_ms.unwrap_or(1000);
        if !(1..=600_000).contains(&timeout) {
            return Err(invalid(format!(
                "`replica_timeout_ms` = {timeout} must be in 1..=600000"
            )));
        }
        cluster.replica_timeout = Duration::from_millis(timeout);
        cluster.auth = auth;
        Ok(NodeConfig {
            id,
            s3: self.s3.ok_or_else(|| missing("s3"))?,
            data_dir: self.data_dir.ok_or_else(|| missing("data_dir"))?,
            peers,
            cluster,
            secret: self.secret.unwrap_or_else(|| "storesimd".into()),
        })
    }
}

impl Settings {
    /// The access control `principals`, `owner` and `policy_cache_ttl_ms`
    /// give, or `None` (open mode) when no principal is listed.
    fn auth(&self) -> Result<Option<AuthConfig>, ConfigError> {
        let invalid = |message: String| Err(ConfigError::Invalid(message));
        let Some(listed) = &self.principals else {
            if self.owner.is_some() || self.policy_cache_ttl_ms.is_some() {
                return invalid("`owner` and `policy_cache_ttl_ms` need `principals`".into());
            }
            return Ok(None);
        };
        if self.secret.is_some() {
            return invalid(
                "`secret` is open mode's one secret; with `principals` each has its own".into(),
            );
        }
        if listed.is_empty() || listed.len() > MAX_PRINCIPALS {
            return invalid(format!(
                "`principals` lists {}; give 1 to {MAX_PRINCIPALS}",
                listed.len()
            ));
        }
        let mut principals = BTreeMap::new();
        for entry in listed {
            let (key, secret) = entry.split_once(':').unwrap_or((entry, ""));
            let key_ok = (1..=128).contains(&key.len())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !key_ok || secret.is_empty() {
                return invalid(format!(
                    "`principals` entry {entry:?}: expected ACCESS_KEY:SECRET_KEY, the access key \
                     1 to 128 letters, digits, '-' or '_', the secret not empty"
                ));
            }
            if principals
                .insert(key.to_string(), secret.to_string())
                .is_some()
            {
                return invalid(format!("`principals` lists {key:?} twice"));
            }
        }
        let first = listed[0].split(':').next().unwrap_or_default();
        let owner = self.owner.clone().unwrap_or_else(|| first.to_string());
        if !principals.contains_key(&owner) {
            return invalid(format!("`owner` = {owner:?} is not one of `principals`"));
        }
        let ttl = self.policy_cache_ttl_ms.unwrap_or(1000);
        if ttl > MAX_POLICY_CACHE_TTL_MS {
            return invalid(format!(
                "`policy_cache_ttl_ms` = {ttl} must be at most {MAX_POLICY_CACHE_TTL_MS}"
            ));
        }
        Ok(Some(AuthConfig {
            principals,
            admin: owner,
            policy_cache_ttl_ns: ttl * 1_000_000,
            // The system clock already reads Unix time.
            clock_epoch_ns: 0,
        }))
    }
}

/// `always`, `never`, or an interval: a number and `ms` or `s`.
fn parse_sync(text: &str) -> Result<SyncPolicy, ConfigError> {
    let interval = |digits: &str, unit: u64| {
        digits
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .map(|n| SyncPolicy::Interval(Duration::from_millis(n * unit)))
    };
    match text {
        "always" => Some(SyncPolicy::Always),
        "never" => Some(SyncPolicy::Never),
        _ => text
            .strip_suffix("ms")
            .and_then(|digits| interval(digits, 1))
            .or_else(|| {
                text.strip_suffix('s')
                    .and_then(|digits| interval(digits, 1000))
            }),
    }
    .ok_or_else(|| {
        ConfigError::Invalid(format!(
            "`sync` = {text:?}: expected always, never, or an interval such as 100ms or 2s"
        ))
    })
}

/// toml's message, led by the line and column it points at.
fn parse_message(text: &str, error: &toml::de::Error) -> String {
    let message = error.message();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Settings {
        Settings {
            id: Some(1),
            peers: Some(vec!["127.0.0.1:7000".parse().unwrap(); 3]),
            s3: Some("127.0.0.1:9000".parse().unwrap()),
            data_dir: Some("d".into()),
            ..Settings::default()
        }
    }

    #[test]
    fn defaults_are_quorum_two_of_three_sync_always() {
        let config = three().validate().unwrap();
        assert_eq!(config.cluster.protocol, Protocol::Quorum);
        assert_eq!(
            (config.cluster.read_quorum, config.cluster.write_quorum),
            (2, 2)
        );
        assert_eq!(config.cluster.sync, SyncPolicy::Always);
        assert_eq!(
            parse_sync("250ms").unwrap(),
            SyncPolicy::Interval(Duration::from_millis(250))
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let bad = |settings: Settings| settings.validate().unwrap_err().to_string();
        assert!(
            bad(Settings {
                id: Some(3),
                ..three()
            })
            .contains("`id` = 3")
        );
        assert!(
            bad(Settings {
                write_quorum: Some(4),
                ..three()
            })
            .contains("`write_quorum` = 4")
        );
        assert!(
            bad(Settings {
                sync: Some("sometimes".into()),
                ..three()
            })
            .contains("`sync`")
        );
        assert!(
            bad(Settings {
                protocol: Some("paxos".into()),
                read_quorum: Some(1),
                ..three()
            })
            .contains("paxos needs")
        );
        let abd = Settings {
            protocol: Some("abd".into()),
            read_quorum: Some(1),
            write_quorum: Some(1),
            ..three()
        };
        assert!(bad(abd).contains("abd needs"));
    }

    #[test]
    fn principals_make_the_auth_config_and_bad_ones_are_named() {
        let with = |principals: &[&str]| Settings {
            principals: Some(principals.iter().map(|p| p.to_string()).collect()),
            ..three()
        };
        let auth = with(&["own:s1", "bob:s:2"]).validate().unwrap();
        let auth = auth.cluster.auth.unwrap();
        assert_eq!(auth.admin, "own");
        assert_eq!(auth.principals["bob"], "s:2");
        assert_eq!(auth.policy_cache_ttl_ns, 1_000_000_000);
        assert!(three().validate().unwrap().cluster.auth.is_none());
        let bad = |settings: Settings| settings.validate().unwrap_err().to_string();
        assert!(bad(with(&["own"])).contains("\"own\": expected ACCESS_KEY:SECRET_KEY"));
        assert!(bad(with(&["a b:s"])).contains("expected ACCESS_KEY"));
        assert!(bad(with(&["a:s", "a:t"])).contains("twice"));
        assert!(
            bad(Settings {
                owner: Some("eve".into()),
                ..with(&["a:s"])
            })
            .contains("`owner` = \"eve\"")
        );
        assert!(
            bad(Settings {
                secret: Some("x".into()),
                ..with(&["a:s"])
            })
            .contains("`secret`")
        );
        assert!(
            bad(Settings {
                owner: Some("a".into()),
                ..three()
            })
            .contains("need `principals`")
        );
    }

    #[test]
    fn a_bad_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.toml");
        std::fs::write(&path, "id = 0\nprotocl = \"quorum\"\n").unwrap();
        let message = Settings::from_file(&path).unwrap_err().to_string();
        assert!(message.contains("n.toml: line 2"), "{message}");
    }
}
