//! Where buckets and objects live in the store's one map of string keys.
//!
//! Registers (the original GET/PUT/DELETE/CAS API) use their key as is.
//! Buckets and objects live in a reserved key space that starts with
//! [`RESERVED`] (U+0001), which register keys may not use:
//! - a bucket's configuration: `"\u{1}b/{bucket}"`;
//! - each version of object `key` in `bucket`: `"\u{1}o/{bucket}/{key}\0{version id}"`,
//!   the `null` version included.
//!
//! Every entry is an LWW (or ABD) register of its own, so versions merge,
//! repair and converge exactly as registers do. Two properties make the rest
//! work:
//! - **placement** ([`placement`]): a key is placed on the ring by its part
//!   before the first NUL, so every version of an object shares the object's
//!   preference list and one replica read returns them all;
//! - **order**: bucket names hold no `/` and object keys no NUL, so the
//!   versions of an object are contiguous, objects sort by key, and the
//!   objects under a prefix are one contiguous range (a LIST is a range scan).

/// The first character of every bucket and object key in the store's map.
pub const RESERVED: char = '\u{1}';

/// The version id of writes made while versioning is off or suspended.
pub const NULL_VERSION: &str = "null";

/// The store key of `bucket`'s configuration.
pub fn bucket_key(bucket: &str) -> String {
    format!("{RESERVED}b/{bucket}")
}

/// The prefix of every object version in `bucket`.
pub fn objects_prefix(bucket: &str) -> String {
    format!("{RESERVED}o/{bucket}/")
}

/// The prefix of every version of object `key` in `bucket`.
pub fn object_prefix(bucket: &str, key: &str) -> String {
    format!("{RESERVED}o/{bucket}/{key}\0")
}

/// The store key of one version of an object.
pub fn version_key(bucket: &str, key: &str, version_id: &str) -> String {
    format!("{}{version_id}", object_prefix(bucket, key))
}

/// `(object key, version id)` of a store key under `objects_prefix`, or `None`
/// if it is not an object version key under it.
pub fn split_version_key<'a>(
    objects_prefix: &str,
    store_key: &'a str,
) -> Option<(&'a str, &'a str)> {
    store_key.strip_prefix(objects_prefix)?.split_once('\0')
}

/// The part of a store key that places it on the ring: everything before the
/// first NUL (the whole key for registers and buckets).
pub fn placement(store_key: &str) -> &str {
    store_key.split('\0').next().unwrap_or(store_key)
}

/// Why an object key is refused, if it is: S3 allows 1 to 1024 bytes of
/// UTF-8; NUL is refused here (it separates the key from the version id).
pub fn object_key_error(key: &str) -> Option<String> {
    if key.is_empty() || key.len() > 1024 {
        return Some(format!(
            "object key must be 1 to 1024 bytes, got {}",
            key.len()
        ));
    }
    if key.contains('\0') {
        return Some(format!("object key {key:?} holds a NUL character"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_an_object_are_contiguous_and_share_a_placement() {
        let (a, a_b, a0) = (
            version_key("b", "a", "v1"),
            version_key("b", "a/b", NULL_VERSION),
            version_key("b", "a0", "v0"),
        );
        let a2 = version_key("b", "a", "zzzz");
        assert!(a < a_b && a2 < a_b && a_b < a0);
        assert_eq!(placement(&a), placement(&a2));
        assert_ne!(placement(&a), placement(&a_b));
        assert_eq!(
            split_version_key(&objects_prefix("b"), &a_b),
            Some(("a/b", "null"))
        );
        assert_eq!(placement("k1"), "k1");
    }

    #[test]
    fn bucket_keys_are_distinct_and_in_the_reserved_space() {
        let (a, b) = (bucket_key("a"), bucket_key("b"));
        assert_ne!(a, b, "two buckets must not share a configuration");
        assert!(a.starts_with(RESERVED) && b.starts_with(RESERVED));
        assert!(!a.starts_with(&objects_prefix("a")));
    }

    #[test]
    fn object_keys_of_1_to_1024_bytes_without_nul_are_accepted() {
        assert_eq!(object_key_error("k"), None);
        assert_eq!(object_key_error(&"k".repeat(1024)), None);
        assert!(object_key_error("").is_some());
        assert!(object_key_error(&"k".repeat(1025)).is_some());
        assert!(object_key_error("a\0b").is_some());
    }
}
