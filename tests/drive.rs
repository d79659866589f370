//! `storesim drive` without any real server: a tiny S3 server in the test
//! (loopback only) that is correct, or that forgets acknowledged writes, and
//! endpoints that are unreachable, refuse the credential or do not speak S3.
//! The real third-party servers (storesimd, moto) are `tests/drive/run.sh`'s.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

const OBJECTS: &str = include_str!("drive/s3-objects.toml");
const REGISTERS: &str = include_str!("drive/registers-cas.toml");
const AUTH: &str = include_str!("drive/s3-auth.toml");

/// How the fake server behaves.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// A correct single-node S3 (objects, metadata, If-Match/If-None-Match, LIST).
    Correct,
    /// Acknowledges every PutObject but keeps only every other one.
    Forgetful,
    /// Answers every request `403 SignatureDoesNotMatch`.
    Refuses,
    /// Answers every request with bytes that are not HTTP.
    Garbage,
    /// Answers every request `200` with an HTML page.
    Html,
    /// A correct store that sheds every third PutObject with `503
    /// SlowDown` before serving it (nothing applied).
    SlowDown,
    /// Applies every third PutObject, then answers it `503 SlowDown` (a
    /// refusal that was not one).
    SlowDownApplies,
    /// Applies every third PutObject, then answers it `503
    /// ServiceUnavailable` (indeterminate: it may have been applied).
    UnavailableApplies,
}

impl Mode {
    fn sheds(self) -> bool {
        matches!(
            self,
            Mode::SlowDown | Mode::SlowDownApplies | Mode::UnavailableApplies
        )
    }
}

#[derive(Default)]
struct Store {
    /// key → (body, `w` metadata)
    objects: BTreeMap<String, (Vec<u8>, Option<String>)>,
    puts: u64,
    /// PutObjects asked, for the shedding modes.
    asked: u64,
}

/// Serves `mode` on a free loopback port, on a thread of its own, until
/// the test process ends. Returns the endpoint URL.
fn serve(mode: Mode) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let store = Arc::new(Mutex::new(Store::default()));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let store = store.clone();
            std::thread::spawn(move || {
                let _ = answer(stream, mode, &store);
            });
        }
    });
    url
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One request, one answer (drive opens a connection per request).
fn answer(stream: TcpStream, mode: Mode, store: &Mutex<Store>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let (method, target) = (
        words.next().unwrap_or("").to_string(),
        words.next().unwrap_or("").to_string(),
    );
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let path = path.trim_start_matches('/');
    let (_bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let (status, extra, out): (&str, Vec<(String, String)>, Vec<u8>) = match mode {
        Mode::Garbage => return (&stream).write_all(b"\x00\x01 this is not HTTP\r\n\r\n"),
        Mode::Html => (
            "200 OK",
            vec![],
            b"<html><body>hello</body></html>".to_vec(),
        ),
        Mode::Refuses => (
            "403 Forbidden",
            vec![],
            b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code></Error>".to_vec(),
        ),
        Mode::Correct
        | Mode::Forgetful
        | Mode::SlowDown
        | Mode::SlowDownApplies
        | Mode::UnavailableApplies => {
            let mut s = store.lock().unwrap();
            s3(&mut s, mode, &method, key, query, &headers, body)
        }
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        out.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = stream;
    stream.write_all(head.as_bytes())?;
    stream.write_all(&out)
}

type Response = (&'static str, Vec<(String, String)>, Vec<u8>);

fn s3(
    s: &mut Store,
    mode: Mode,
    method: &str,
    key: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
    body: Vec<u8>,
) -> Response {
    let missing = || {
        (
            "404 Not Found",
            vec![],
            b"<Error><Code>NoSuchKey</Code></Error>".to_vec(),
        )
    };
    let failed = || {
        (
            "412 Precondition Failed",
            vec![],
            b"<Error><Code>PreconditionFailed</Code></Error>".to_vec(),
        )
    };
    match (method, key.is_empty()) {
        ("PUT", true) => ("200 OK", vec![], vec![]),
        ("GET", true) => {
            let prefix = query
                .split('&')
                .find_map(|p| p.strip_prefix("prefix="))
                .unwrap_or("")
                .replace("%2F", "/");
            let contents: String = (s.objects.keys())
                .filter(|k| k.starts_with(&prefix))
                .map(|k| format!("<Contents><Key>{k}</Key><Size>1</Size></Contents>"))
                .collect();
            let xml = format!(
                "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>{prefix}</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>"
            );
            ("200 OK", vec![], xml.into_bytes())
        }
        ("GET", false) => match s.objects.get(key) {
            Some((bytes, w)) => {
                let meta = w
                    .iter()
                    .map(|w| ("x-amz-meta-w".to_string(), w.clone()))
                    .collect();
                ("200 OK", meta, bytes.clone())
            }
            None => missing(),
        },
        ("DELETE", false) => {
            s.objects.remove(key);
            ("204 No Content", vec![], vec![])
        }
        ("PUT", false) => {
            let shed = mode.sheds() && {
                s.asked += 1;
                s.asked.is_multiple_of(3)
            };
            let shed_with = |code: &str| {
                let xml = format!("<Error><Code>{code}</Code></Error>");
                ("503 Service Unavailable", vec![], xml.into_bytes())
            };
            if shed && mode == Mode::SlowDown {
                return shed_with("SlowDown");
            }
            let current = s
                .objects
                .get(key)
                .map(|(b, _)| format!("\"{}\"", md5_hex(b)));
            if headers.get("if-none-match").is_some() && current.is_some() {
                return failed();
            }
            if let Some(etag) = headers.get("if-match") {
                match &current {
                    None => return missing(),
                    Some(c) if c != etag => return failed(),
                    Some(_) => {}
                }
            }
            s.puts += 1;
            if mode != Mode::Forgetful || s.puts % 2 == 1 {
                let w = headers.get("x-amz-meta-w").cloned();
                s.objects.insert(key.to_string(), (body, w));
            }
            match mode {
                Mode::SlowDownApplies if shed => shed_with("SlowDown"),
                Mode::UnavailableApplies if shed => shed_with("ServiceUnavailable"),
                _ => ("200 OK", vec![], vec![]),
            }
        }
        _ => ("400 Bad Request", vec![], vec![]),
    }
}

/// Runs `storesim drive SCENARIO --endpoint URL --bucket drive-test --out
/// DIR/out`; returns exit code, stdout, stderr.
fn drive(scenario: &str, url: &str, dir: &Path) -> (Option<i32>, String, String) {
    let file = dir.join("scenario.toml");
    std::fs::write(&file, scenario).unwrap();
    let output = Command::cargo_bin("storesim")
        .unwrap()
        .args(["drive".as_ref(), file.as_os_str()])
        .args([
            "--endpoint",
            url,
            "--bucket",
            "drive-test",
            "--timeout",
            "5",
        ])
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// A short run: fewer operations keep the test quick.
fn short(scenario: &str) -> String {
    scenario.replace("ops = 300", "ops = 120")
}

#[test]
fn a_correct_store_passes_every_check_and_gets_a_run_folder() {
    for scenario in [OBJECTS, REGISTERS] {
        let dir = tempfile::tempdir().unwrap();
        let (code, stdout, stderr) = drive(&short(scenario), &serve(Mode::Correct), dir.path());
        assert_eq!(code, Some(0), "{stdout}\n{stderr}");
        let out = dir.path().join("out");
        for file in [
            "results.json",
            "seeds.jsonl",
            "report.html",
            "report.md",
            "scenario.toml",
        ] {
            assert!(out.join(file).is_file(), "{file} missing");
        }
        let history = std::fs::read_to_string(out.join("seeds/1/history.jsonl")).unwrap();
        assert!(
            history.contains("\"type\":\"final\""),
            "final reads recorded"
        );
        assert!(history.contains("\"f\":\"get\""));
    }
}

#[test]
fn a_store_that_forgets_acknowledged_writes_fails_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = drive(&short(REGISTERS), &serve(Mode::Forgetful), dir.path());
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("breach"), "{stdout}");
    let results = std::fs::read_to_string(dir.path().join("out/results.json")).unwrap();
    assert!(results.contains("read-after-write"), "{results}");
}

/// S3's 503 SlowDown is a definite failure (`fail`, `slow-down`): a store
/// that sheds writes passes, one that applies what it answers SlowDown is
/// caught; a 503 ServiceUnavailable stays `info`, so applying it is allowed.
#[test]
fn slow_down_is_a_failure_and_other_5xx_are_indeterminate() {
    let run = |mode| {
        let dir = tempfile::tempdir().unwrap();
        let (code, stdout, stderr) = drive(&short(REGISTERS), &serve(mode), dir.path());
        let history = std::fs::read_to_string(dir.path().join("out/seeds/1/history.jsonl"))
            .unwrap_or_default();
        (code, format!("{stdout}\n{stderr}"), history)
    };
    let (code, text, history) = run(Mode::SlowDown);
    assert_eq!(code, Some(0), "{text}");
    assert!(history.contains(r#""error":"slow-down""#), "{history}");
    let (code, text, _) = run(Mode::SlowDownApplies);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("read-after-write"), "{text}");
    let (code, text, history) = run(Mode::UnavailableApplies);
    assert_eq!(code, Some(0), "{text}");
    assert!(!history.contains("slow-down") && history.contains(r#""type":"info""#));
}

#[test]
fn the_same_seed_asks_the_same_requests() {
    let requests = |seed: &str| {
        let dir = tempfile::tempdir().unwrap();
        let scenario = short(REGISTERS).replace("seed = 1", &format!("seed = {seed}"));
        let (code, _, stderr) = drive(&scenario, &serve(Mode::Correct), dir.path());
        assert_eq!(code, Some(0), "{stderr}");
        let history =
            std::fs::read_to_string(dir.path().join(format!("out/seeds/{seed}/history.jsonl")))
                .unwrap();
        // Each client's requests in order (threads interleave differently).
        let mut per_client: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for line in history.lines().filter(|l| l.contains("\"invoke\"")) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let client = v["process"].as_u64().unwrap() % 4;
            // What is asked; a cas's `from` is what the client last saw,
            // which depends on the server's answers.
            let written = v["value"].get("to").unwrap_or(&v["value"]);
            per_client
                .entry(client)
                .or_default()
                .push(format!("{} {} {written}", v["f"], v["key"]));
        }
        per_client
    };
    assert_eq!(requests("7"), requests("7"));
    assert_ne!(requests("7"), requests("8"));
}

/// Bad endpoints: exit 2, the endpoint named, nothing panics.
#[test]
fn bad_endpoints_are_refused_naming_the_endpoint() {
    let free = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let cases = [
        (free, "unreachable"),
        (serve(Mode::Refuses), "refused the credential"),
        (serve(Mode::Garbage), "did not answer"),
        (serve(Mode::Html), "not S3's ListBucketResult"),
    ];
    for (url, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = drive(REGISTERS, &url, dir.path());
        assert_eq!(code, Some(2), "{url}: {stderr}");
        assert!(stderr.contains(&url), "{url} not named: {stderr}");
        assert!(stderr.contains(says), "{url}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_scenario_drive_cannot_run_is_refused_naming_file_and_knob() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = OBJECTS.replace("api = \"s3\"", "api = \"s3\"\nbuckets = 2");
    let (code, _, stderr) = drive(&scenario, &serve(Mode::Correct), dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("scenario.toml") && stderr.contains("buckets"),
        "{stderr}"
    );
}

/// `[auth]`: every client signs as its principal and the history says so;
/// the fake server checks no signature and enforces no policy, so mallory
/// (never granted) gets in and `authorization` is invalid: exit 1. (On
/// storesimd with the same principals it passes: tests/drive/auth.sh.)
#[test]
fn under_auth_each_client_signs_as_its_principal_and_authorization_judges_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = AUTH.replace("ops = 200", "ops = 80");
    let (code, stdout, stderr) = drive(&scenario, &serve(Mode::Correct), dir.path());
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("authorization: ") && stdout.contains("by mallory"),
        "{stdout}"
    );
    let history = std::fs::read_to_string(dir.path().join("out/seeds/1/history.jsonl")).unwrap();
    for granted in ["alice", "bob"] {
        let grant = format!(r#""f":"grant","key":"drive-test","value":"{granted}""#);
        assert!(history.contains(&grant), "{granted}'s initial grant");
    }
    assert!(
        !history.contains(r#""value":"mallory""#),
        "mallory is never granted"
    );
    assert!(history.contains(r#""principal":"bob","auth":"presigned""#));
}

#[test]
fn access_knobs_drive_cannot_apply_are_refused_naming_the_line() {
    for (knob, edit) in [
        (
            "auth.administrator",
            AUTH.replace("administrator = false", "administrator = true"),
        ),
        (
            "auth.forged",
            AUTH.replace(
                "administrator = false",
                "administrator = false\nforged = 0.1",
            ),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = drive(&edit, &serve(Mode::Correct), dir.path());
        assert_eq!(code, Some(2), "{knob}: {stderr}");
        assert!(
            stderr.contains("scenario.toml:") && stderr.contains(knob),
            "{stderr}"
        );
    }
}
