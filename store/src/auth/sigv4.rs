//! AWS Signature Version 4, as S3 uses it: a request is signed with an
//! HMAC-SHA256 over its canonical form (method, path, query, the signed
//! headers, the body's SHA-256) and its time, with a key derived from the
//! principal's secret, the date, the region and the service.
//!
//! The verifier recomputes the signature from the same fields and its own
//! copy of the secret, compares in constant time, then judges the time
//! against **its own clock**: a header-signed request more than 15 minutes
//! away from it is refused (`RequestTimeTooSkewed`), a presigned one is valid
//! from its time until its expiry (at most 7 days). A verifier whose clock is
//! wrong therefore refuses good requests or accepts expired ones — one of the
//! things the testbed exists to show.
//!
//! The functions follow AWS's published algorithm byte for byte (tested
//! against AWS's own worked example), so the same code can sign requests to,
//! and verify requests from, real S3 clients.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt::Write;

type HmacSha256 = Hmac<Sha256>;

/// How far a header-signed request's time may be from the verifier's clock.
pub const MAX_SKEW_NS: u64 = 15 * 60 * NS_PER_S;
/// The longest a presigned request may stay valid (S3: 7 days).
pub const MAX_PRESIGNED_EXPIRY_S: u64 = 7 * 24 * 60 * 60;
/// The payload hash of a request whose body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

const NS_PER_S: u64 = 1_000_000_000;
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// A principal's key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

/// Everything a signature covers. `path` is the object's path as sent
/// (`/bucket/key`, not yet URI-encoded); `headers` are the signed headers
/// (names in any case); `time_ns` is the signer's clock, in nanoseconds
/// since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_sha256: String,
    pub time_ns: u64,
    pub region: String,
    pub service: String,
}

/// The credential scope: `YYYYMMDD/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub date: String,
    pub region: String,
    pub service: String,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Why a request was refused. Every variant is S3's 403 except where noted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request signature does not match (SignatureDoesNotMatch)")]
    SignatureDoesNotMatch,
    #[error(
        "the request time is {skew_s} s away from the server's clock, more than 15 minutes \
         (RequestTimeTooSkewed)"
    )]
    RequestTimeTooSkewed { skew_s: u64 },
    #[error("the presigned request expired {late_s} s ago by the server's clock (AccessDenied)")]
    Expired { late_s: u64 },
    #[error(
        "a presigned request may be valid for at most 604800 s (7 days), not {expires_s} s \
         (AuthorizationQueryParametersError, 400)"
    )]
    ExpiryTooLong { expires_s: u64 },
    #[error("the signature is not 64 hex digits (AuthorizationHeaderMalformed, 400)")]
    Malformed,
}

impl SignedRequest {
    /// The credential scope of this request (its date on the signer's clock).
    pub fn scope(&self) -> Scope {
        Scope {
            date: amz_date(self.time_ns)[..8].to_string(),
            region: self.region.clone(),
            service: self.service.clone(),
        }
    }

    /// The canonical request (AWS: method, URI, query, headers, signed
    /// header names, payload hash, one per line).
    pub fn canonical_request(&self) -> String {
        let mut query: Vec<(String, String)> = (self.query.iter())
            .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
            .collect();
        query.sort();
        let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let headers = canonical_headers(&self.headers);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        let mut out = String::new();
        out.push_str(&self.method);
        out.push('\n');
        out.push_str(&uri_encode(&self.path, true));
        out.push('\n');
        out.push_str(&query.join("&"));
        out.push('\n');
        for (name, value) in &headers {
            let _ = writeln!(out, "{name}:{value}");
        }
        out.push('\n');
        out.push_str(&names.join(";"));
        out.push('\n');
        out.push_str(&self.payload_sha256);
        out
    }

    /// The string to sign: algorithm, time, scope, hash of the canonical request.
    pub fn string_to_sign(&self) -> String {
        format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            amz_date(self.time_ns),
            self.scope(),
            hex(&Sha256::digest(self.canonical_request().as_bytes()))
        )
    }

    /// The signature (64 lowercase hex digits) under `secret_key`.
    pub fn sign(&self, secret_key: &str) -> String {
        hex(&self.mac(secret_key).finalize().into_bytes())
    }

    /// Verifies `signature` under `secret_key`, then the request's time
    /// against the verifier's clock `now_ns`: within 15 minutes for a
    /// header-signed request (`presigned_expires_s` = `None`), or from its
    /// time (less 15 minutes of tolerated skew) to its time plus the expiry
    /// for a presigned one.
    pub fn verify(
        &self,
        secret_key: &str,
        signature: &str,
        now_ns: u64,
        presigned_expires_s: Option<u64>,
    ) -> Result<(), AuthError> {
        let given = unhex(signature).ok_or(AuthError::Malformed)?;
        self.mac(secret_key)
            .verify_slice(&given)
            .map_err(|_| AuthError::SignatureDoesNotMatch)?;
        let early_s = self.time_ns.saturating_sub(now_ns) / NS_PER_S;
        match presigned_expires_s {
            None => {
                let skew = self.time_ns.abs_diff(now_ns);
                if skew > MAX_SKEW_NS {
                    return Err(AuthError::RequestTimeTooSkewed {
                        skew_s: skew / NS_PER_S,
                    });
                }
            }
            Some(expires_s) if expires_s > MAX_PRESIGNED_EXPIRY_S => {
                return Err(AuthError::ExpiryTooLong { expires_s });
            }
            Some(_) if self.time_ns.saturating_sub(now_ns) > MAX_SKEW_NS => {
                return Err(AuthError::RequestTimeTooSkewed { skew_s: early_s });
            }
            Some(expires_s) => {
                let end = self
                    .time_ns
                    .saturating_add(expires_s.saturating_mul(NS_PER_S));
                if now_ns > end {
                    return Err(AuthError::Expired {
                        late_s: (now_ns - end) / NS_PER_S,
                    });
                }
            }
        }
        Ok(())
    }

    fn mac(&self, secret_key: &str) -> HmacSha256 {
        let key = signing_key(secret_key, &self.scope());
        let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(self.string_to_sign().as_bytes());
        mac
    }
}

/// The derived signing key: HMAC chain over date, region, service and
/// `aws4_request`, starting from `"AWS4" + secret`.
pub fn signing_key(secret_key: &str, scope: &Scope) -> [u8; 32] {
    let step = |key: &[u8], data: &str| -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().into()
    };
    let date = step(format!("AWS4{secret_key}").as_bytes(), &scope.date);
    let region = step(&date, &scope.region);
    let service = step(&region, &scope.service);
    step(&service, "aws4_request")
}

/// Hex SHA-256 of a body, as the `x-amz-content-sha256` header carries it.
pub fn payload_sha256(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// `YYYYMMDDTHHMMSSZ` (UTC) for nanoseconds since the Unix epoch.
pub fn amz_date(unix_ns: u64) -> String {
    let secs = unix_ns / NS_PER_S;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Gregorian (year, month, day) of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Lowercase names, values trimmed with inner runs of spaces collapsed,
/// sorted by name; repeated names joined with commas in order.
fn canonical_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.len());
    let mut sorted: Vec<(String, String)> = (headers.iter())
        .map(|(n, v)| {
            let value = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (n.trim().to_ascii_lowercase(), value)
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in sorted {
        match out.last_mut() {
            Some((last, joined)) if *last == name => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => out.push((name, value)),
        }
    }
    out
}

/// SigV4's URI encoding: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX`
/// (upper case), and `/` kept in paths.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        if unreserved || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    /// 2013-05-24T00:00:00Z.
    const MAY_24_2013_NS: u64 = 1_369_353_600 * NS_PER_S;

    /// AWS's worked example "GET Object" (S3 API reference, "Examples:
    /// Signature Calculations in AWS Signature Version 4").
    fn aws_get_object() -> SignedRequest {
        let empty = payload_sha256(b"");
        SignedRequest {
            method: "GET".into(),
            path: "/test.txt".into(),
            query: vec![],
            headers: vec![
                ("Host".into(), "examplebucket.s3.amazonaws.com".into()),
                ("Range".into(), "bytes=0-9".into()),
                ("x-amz-content-sha256".into(), empty.clone()),
                ("x-amz-date".into(), "20130524T000000Z".into()),
            ],
            payload_sha256: empty,
            time_ns: MAY_24_2013_NS,
            region: "us-east-1".into(),
            service: "s3".into(),
        }
    }

    #[test]
    fn matches_aws_worked_example_byte_for_byte() {
        let r = aws_get_object();
        assert_eq!(
            r.canonical_request(),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
             x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            r.string_to_sign(),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        assert_eq!(
            r.sign(SECRET),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(MAY_24_2013_NS), "20130524T000000Z");
        // 2024-02-29 (a leap day) 23:59:59.
        assert_eq!(amz_date(1_709_251_199 * NS_PER_S), "20240229T235959Z");
        assert_eq!(amz_date(1_709_251_200 * NS_PER_S), "20240301T000000Z");
    }

    #[test]
    fn a_good_signature_on_time_passes_and_anything_else_is_refused() {
        let r = aws_get_object();
        let sig = r.sign(SECRET);
        let now = r.time_ns + 60 * NS_PER_S;
        assert_eq!(r.verify(SECRET, &sig, now, None), Ok(()));
        // Another secret, a changed field, a bad encoding.
        assert_eq!(
            r.verify("other", &sig, now, None),
            Err(AuthError::SignatureDoesNotMatch)
        );
        let mut tampered = r.clone();
        tampered.path = "/other.txt".into();
        assert_eq!(
            tampered.verify(SECRET, &sig, now, None),
            Err(AuthError::SignatureDoesNotMatch)
        );
        assert_eq!(r.verify(SECRET, "zz", now, None), Err(AuthError::Malformed));
        // 15 minutes either way is the limit, on the verifier's clock.
        assert!(
            r.verify(SECRET, &sig, r.time_ns + MAX_SKEW_NS, None)
                .is_ok()
        );
        assert_eq!(
            r.verify(SECRET, &sig, r.time_ns + MAX_SKEW_NS + NS_PER_S, None),
            Err(AuthError::RequestTimeTooSkewed { skew_s: 901 })
        );
        assert!(
            r.verify(SECRET, &sig, r.time_ns - 16 * 60 * NS_PER_S, None)
                .is_err()
        );
    }

    #[test]
    fn a_presigned_request_is_valid_until_its_expiry_on_the_verifiers_clock() {
        let r = aws_get_object();
        let sig = r.sign(SECRET);
        let hour = 3600 * NS_PER_S;
        assert!(r.verify(SECRET, &sig, r.time_ns + hour, Some(3600)).is_ok());
        assert_eq!(
            r.verify(SECRET, &sig, r.time_ns + hour + 2 * NS_PER_S, Some(3600)),
            Err(AuthError::Expired { late_s: 2 })
        );
        assert_eq!(
            r.verify(SECRET, &sig, r.time_ns, Some(MAX_PRESIGNED_EXPIRY_S + 1)),
            Err(AuthError::ExpiryTooLong {
                expires_s: MAX_PRESIGNED_EXPIRY_S + 1
            })
        );
        // Three hours on, it has expired: whatever the signer meant, the
        // verifier's clock decides (a verifier whose clock is slow would
        // still accept it, which is what a scenario with a clock jump shows).
        assert!(
            r.verify(SECRET, &sig, r.time_ns + 3 * hour, Some(3600))
                .is_err()
        );
    }

    #[test]
    fn query_and_path_are_encoded_as_sigv4_says() {
        let mut r = aws_get_object();
        r.path = "/my bucket/a+b/ü".into();
        r.query = vec![("b".into(), "2 3".into()), ("a".into(), "x/y".into())];
        let canonical = r.canonical_request();
        let lines: Vec<&str> = canonical.lines().collect();
        assert_eq!(lines[1], "/my%20bucket/a%2Bb/%C3%BC");
        assert_eq!(lines[2], "a=x%2Fy&b=2%203");
    }
}
