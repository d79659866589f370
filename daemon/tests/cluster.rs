//! A real 3-node storesimd cluster on 127.0.0.1 (free ports, data in a
//! temporary folder), driven over raw HTTP/1.1: buckets, PUT/GET/HEAD/LIST/
//! DELETE, conditional PUTs, and SIGKILLs — one node mid-run, then every
//! node — after which every acknowledged write (sync = "always") is read
//! back whole.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_storesimd");

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a fresh connection (`Connection: close`), unsigned.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap_or("")
        .split(' ')
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // Bounded: each step consumes a chunk.
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
    out
}

/// `n` distinct free loopback ports, all bound at once while choosing (so
/// no two are the same) and taken below Linux's ephemeral range (32768 and
/// up), so no outbound connection — a node dialling its peers, or anything
/// else on the machine — can take one between choosing it and a node
/// binding it. The start is drawn from the process id, so two runs at once
/// look in different places; every candidate is tried by binding it.
fn free_ports(n: usize) -> Vec<u16> {
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    let start = std::process::id().wrapping_mul(2_654_435_761) % SPAN;
    let mut held = Vec::new();
    // Bounded: at most SPAN candidates.
    for step in 0..SPAN {
        if held.len() == n {
            break;
        }
        let port = (LOW + (start + step * 7) % SPAN) as u16;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(listener);
        }
    }
    assert_eq!(held.len(), n, "no {n} free ports in {LOW}..{}", LOW + SPAN);
    held.iter()
        .map(|listener| listener.local_addr().unwrap().port())
        .collect()
}

struct Cluster {
    dir: PathBuf,
    s3: Vec<u16>,
    peers: String,
    children: Vec<Option<Child>>,
}

impl Cluster {
    fn start(dir: &Path, nodes: usize) -> Cluster {
        let ports = free_ports(2 * nodes);
        let s3: Vec<u16> = ports[..nodes].to_vec();
        let peers: Vec<String> = ports[nodes..]
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        let mut cluster = Cluster {
            dir: dir.to_path_buf(),
            s3,
            peers: peers.join(","),
            children: (0..nodes).map(|_| None).collect(),
        };
        for n in 0..nodes {
            cluster.spawn(n);
        }
        cluster
    }

    fn spawn(&mut self, n: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("n{n}.log")))
            .unwrap();
        let child = Command::new(BIN)
            .args(["--id", &n.to_string(), "--peers", &self.peers])
            .args(["--s3", &format!("127.0.0.1:{}", self.s3[n])])
            .arg("--data-dir")
            .arg(self.dir.join(format!("n{n}")))
            .args(["--protocol", "quorum", "--sync", "always"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children[n] = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.s3[n])).is_err() {
            assert!(
                Instant::now() < deadline,
                "node {n} did not listen: {}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: a crash.
    fn kill(&mut self, n: usize) {
        if let Some(mut child) = self.children[n].take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn logs(&self) -> String {
        (0..self.s3.len())
            .map(|n| {
                std::fs::read_to_string(self.dir.join(format!("n{n}.log"))).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in 0..self.children.len() {
            self.kill(n);
        }
    }
}

fn body_of(i: usize) -> Vec<u8> {
    format!("object {i} ").repeat(i % 50 + 1).into_bytes()
}

#[test]
fn a_three_node_cluster_serves_s3_and_keeps_every_acknowledged_write_across_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3);
    let [p0, p1, p2] = [cluster.s3[0], cluster.s3[1], cluster.s3[2]];

    assert_eq!(
        http(p0, "PUT", "/bkt1", &[], b"").unwrap().status,
        200,
        "{}",
        cluster.logs()
    );
    assert_eq!(http(p1, "PUT", "/bkt1", &[], b"").unwrap().status, 409);
    assert_eq!(
        http(p1, "PUT", "/nobucket/k", &[], b"x").unwrap().status,
        404
    );

    // PUT through one node, GET/HEAD through the others.
    let put = http(
        p0,
        "PUT",
        "/bkt1/k0",
        &[("x-amz-meta-colour", "blue")],
        &body_of(0),
    )
    .unwrap();
    assert_eq!(put.status, 200);
    let etag = put.header("etag").unwrap().to_string();
    assert_eq!(
        etag,
        format!("\"{}\"", storesimd::blobs::describe(&body_of(0)).md5)
    );
    let got = http(p1, "GET", "/bkt1/k0", &[], b"").unwrap();
    assert_eq!((got.status, got.body.clone()), (200, body_of(0)));
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    assert_eq!(got.header("x-amz-meta-colour"), Some("blue"));
    let head = http(p2, "HEAD", "/bkt1/k0", &[], b"").unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(body_of(0).len().to_string().as_str())
    );
    assert_eq!(
        http(p2, "GET", "/bkt1/missing", &[], b"").unwrap().status,
        404
    );

    // Conditional PUTs.
    let create = [("If-None-Match", "*")];
    assert_eq!(
        http(p1, "PUT", "/bkt1/k0", &create, b"again")
            .unwrap()
            .status,
        412
    );
    assert_eq!(
        http(p1, "PUT", "/bkt1/fresh", &create, b"new")
            .unwrap()
            .status,
        200
    );
    let stale = [("If-Match", "\"00000000000000000000000000000000\"")];
    assert_eq!(
        http(p2, "PUT", "/bkt1/k0", &stale, b"x").unwrap().status,
        412
    );
    assert_eq!(
        http(p2, "PUT", "/bkt1/nokey", &stale, b"x").unwrap().status,
        404
    );
    let matching = [("If-Match", etag.as_str())];
    assert_eq!(
        http(p2, "PUT", "/bkt1/k0", &matching, &body_of(0))
            .unwrap()
            .status,
        200
    );

    // DELETE, then the key is gone for GET and LIST.
    assert_eq!(
        http(p0, "DELETE", "/bkt1/fresh", &[], b"").unwrap().status,
        204
    );
    assert_eq!(
        http(p1, "GET", "/bkt1/fresh", &[], b"").unwrap().status,
        404
    );
    assert_eq!(http(p1, "DELETE", "/bkt1", &[], b"").unwrap().status, 409);

    // Writes through node 2 while node 0 is killed (SIGKILL) and restarted.
    let mut acknowledged = vec![0];
    for i in 1..60 {
        if i == 20 {
            cluster.kill(0);
        }
        if i == 40 {
            cluster.spawn(0);
        }
        let answer = http(p2, "PUT", &format!("/bkt1/k{i}"), &[], &body_of(i)).unwrap();
        match answer.status {
            200 => acknowledged.push(i),
            503 => {}
            other => panic!("PUT k{i}: {other} {}", answer.text()),
        }
    }
    assert!(
        acknowledged.len() >= 50,
        "only {} writes acknowledged",
        acknowledged.len()
    );

    // A crash of every node at once, then a restart from their logs.
    for n in 0..3 {
        cluster.kill(n);
    }
    for n in 0..3 {
        cluster.spawn(n);
    }
    for &i in &acknowledged {
        let port = cluster.s3[i % 3];
        let got = http(port, "GET", &format!("/bkt1/k{i}"), &[], b"").unwrap();
        assert_eq!(
            got.status,
            200,
            "acknowledged k{i} lost: {}\n{}",
            got.text(),
            cluster.logs()
        );
        assert_eq!(got.body, body_of(i), "k{i}");
    }
    let list = http(cluster.s3[1], "GET", "/bkt1?list-type=2", &[], b"").unwrap();
    assert_eq!(list.status, 200, "{}", list.text());
    let text = list.text();
    for &i in &acknowledged {
        assert!(
            text.contains(&format!("<Key>k{i}</Key>")),
            "LIST misses k{i}: {text}"
        );
    }
    assert!(
        !text.contains("<Key>fresh</Key>"),
        "LIST shows a deleted key: {text}"
    );

    // Pages: the store's continuation holds bytes XML cannot carry; the
    // client gets an opaque token that leads to the next page.
    let mut listed = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let query = match &token {
            Some(token) => format!("/bkt1?list-type=2&max-keys=7&continuation-token={token}"),
            None => "/bkt1?list-type=2&max-keys=7".to_string(),
        };
        let page = http(cluster.s3[2], "GET", &query, &[], b"").unwrap();
        assert_eq!(page.status, 200, "{}", page.text());
        let text = page.text();
        listed.extend(between(&text, "<Key>", "</Key>"));
        token = between(&text, "<NextContinuationToken>", "</NextContinuationToken>").pop();
        if token.is_none() {
            break;
        }
    }
    let mut expected: Vec<String> = acknowledged.iter().map(|i| format!("k{i}")).collect();
    expected.sort();
    assert_eq!(listed, expected);
    let bad = http(
        cluster.s3[2],
        "GET",
        "/bkt1?list-type=2&continuation-token=zz",
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(bad.status, 400, "{}", bad.text());
}

/// Every text between `open` and `close`, in order.
fn between(text: &str, open: &str, close: &str) -> Vec<String> {
    text.split(open)
        .skip(1)
        .filter_map(|rest| rest.split_once(close).map(|(inner, _)| inner.to_string()))
        .collect()
}

#[test]
fn bad_settings_exit_2_naming_the_setting() {
    let out = Command::new(BIN)
        .args([
            "--id",
            "5",
            "--peers",
            "127.0.0.1:1,127.0.0.1:2",
            "--s3",
            "127.0.0.1:3",
            "--data-dir",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`id` = 5"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("node.toml");
    std::fs::write(&file, "id = 0\nsync = \"always\"\nprotcol = \"abd\"\n").unwrap();
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("node.toml: line 3"), "{stderr}");
}
