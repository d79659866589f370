//! Buckets: names and the configuration replicated under each.

use serde::{Deserialize, Serialize};

/// A bucket's versioning state (S3: never enabled, `Enabled`, `Suspended`).
/// Once enabled, a bucket can be suspended but never return to `Off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Versioning {
    /// Never enabled: a PUT replaces the object, a DELETE removes it.
    Off,
    /// Every PUT creates a version with its own id; a DELETE adds a delete marker.
    Enabled,
    /// New writes go to the `null` version (replacing it); older versions stay.
    Suspended,
}

/// What the store keeps about a bucket, replicated like an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BucketMeta {
    pub versioning: Versioning,
}

/// Why a bucket name is refused, if it is: S3's rules for new buckets —
/// 3 to 63 characters of lowercase letters, digits, `.` and `-`, starting and
/// ending with a letter or digit.
pub fn bucket_name_error(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        return Some(format!(
            "bucket name {name:?} must be 3 to 63 characters long"
        ));
    }
    if !name.chars().all(allowed) {
        return Some(format!(
            "bucket name {name:?} may hold only lowercase letters, digits, '.' and '-'"
        ));
    }
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Some(format!(
            "bucket name {name:?} must start and end with a letter or digit"
        ));
    }
    None
}
