//! The S3 additions to the history format (`docs/history-format.md`, "S3
//! objects"): descriptors, listings, versions, delete markers — what is
//! accepted, how it pairs into operations, and every bad line with its line.

use check::op::pair;
use check::{Function, History, HistoryError, Outcome, Value};

/// The page's examples, in one history, in storesim's field order.
const EXAMPLE: &str = r#"{"process":0,"type":"invoke","f":"put","key":"b/k1","value":"c0-1","time":1000,"etag":"9e10","size":4096,"meta":{"color":"red","shape":"round"}}
{"process":0,"type":"ok","f":"put","key":"b/k1","value":"c0-1","time":4200,"version_id":"v7"}
{"process":1,"type":"invoke","f":"get","key":"b/k1","value":null,"time":5000}
{"process":1,"type":"ok","f":"get","key":"b/k1","value":"c0-1","time":5900,"version_id":"v7","etag":"9e10","size":4096,"meta":{"color":"red","shape":"round"}}
{"process":3,"type":"invoke","f":"list","key":"b/","value":null,"time":7000}
{"process":3,"type":"ok","f":"list","key":"b/","value":["b/k1","b/k2"],"time":9100}
{"process":2,"type":"invoke","f":"delete","key":"b/k1","value":null,"time":9200}
{"process":2,"type":"ok","f":"delete","key":"b/k1","value":null,"time":9300,"version_id":"m3","delete_marker":true}
{"process":4,"type":"invoke","f":"list-versions","key":"b/","value":null,"time":9400}
{"process":4,"type":"ok","f":"list-versions","key":"b/","value":[{"key":"b/k1","version_id":"m3","current":true,"delete_marker":true},{"key":"b/k1","version_id":"v7","current":false,"delete_marker":false}],"time":9900}
{"process":1,"type":"invoke","f":"get","key":"b/k1","value":null,"time":10000}
{"process":1,"type":"ok","f":"get","key":"b/k1","value":null,"time":10100,"version_id":"m3","delete_marker":true}
{"process":1,"type":"invoke","f":"get","key":"b/k1","value":null,"time":10200,"version_id":"m3"}
{"process":1,"type":"fail","f":"get","key":"b/k1","value":null,"time":10300,"delete_marker":true}
{"process":2,"type":"invoke","f":"delete","key":"b/k1","value":null,"time":10400,"version_id":"v7"}
{"process":2,"type":"ok","f":"delete","key":"b/k1","value":null,"time":10500,"version_id":"v7"}
"#;

#[test]
fn the_documented_example_parses_and_round_trips_byte_for_byte() {
    let history = History::parse(EXAMPLE).expect("valid");
    assert_eq!(history.events.len(), 16);
    assert_eq!(history.to_jsonl(), EXAMPLE);
    assert_eq!(History::parse(&history.to_jsonl()).expect("valid"), history);
}

#[test]
fn operations_carry_their_object_version_and_listing_as_data() {
    let history = History::parse(EXAMPLE).expect("valid");
    let ops = pair(&history);
    let put = &ops[0];
    let object = put.object.as_deref().expect("descriptor");
    assert_eq!(
        (
            object.version_id.as_deref(),
            object.etag.as_deref(),
            object.size
        ),
        (Some("v7"), Some("9e10"), Some(4096)),
        "a put's descriptor is its invoke's, completed by its ok"
    );
    assert_eq!(object.meta.as_ref().map(|m| m.len()), Some(2));
    assert!(put.is_register() && put.version.is_none());
    let list = &ops[2];
    assert_eq!(list.f, Function::List);
    assert_eq!(
        list.listed(),
        Some(&["b/k1".to_owned(), "b/k2".to_owned()][..])
    );
    assert!(!list.is_register());
    let marker = ops[3].object.as_deref().expect("marker");
    assert!(marker.delete_marker && marker.version_id.as_deref() == Some("m3"));
    assert!(ops[3].is_register(), "a plain delete is a register write");
    let versions = ops[4].versions().expect("versions");
    assert_eq!(versions.len(), 2);
    assert!(versions[0].current && versions[0].delete_marker);
    let by_version = &ops[6];
    assert_eq!(
        (by_version.version.as_deref(), by_version.outcome),
        (Some("m3"), Outcome::Fail)
    );
    assert!(!by_version.is_register());
    assert!(
        by_version
            .object
            .as_deref()
            .is_some_and(|o| o.delete_marker)
    );
    assert_eq!(ops[7].version.as_deref(), Some("v7"));
    assert_eq!(ops[7].f, Function::Delete);
}

#[test]
fn register_checks_ignore_listings_and_operations_by_version() {
    let history = History::parse(EXAMPLE).expect("valid");
    // The register checks: every check but the S3 object ones, which judge
    // this example's listing (its `b/k2` is a phantom) on their own.
    let register: Vec<check::CheckName> = (check::CheckName::ALL.iter().copied())
        .filter(|c| !check::CheckName::OBJECT.contains(c))
        .collect();
    for (check, result) in check::run(&history, &register) {
        assert_ne!(
            result.verdict,
            check::Verdict::Invalid,
            "{check}: {}",
            result.explanation
        );
    }
}

#[test]
fn an_empty_listing_and_failed_listings_are_fine() {
    let text = r#"{"process":0,"type":"invoke","f":"list","key":"b/","value":null,"time":1}
{"process":0,"type":"ok","f":"list","key":"b/","value":[],"time":2}
{"process":0,"type":"invoke","f":"list","key":"b/","value":null,"time":3}
{"process":0,"type":"fail","f":"list","key":"b/","value":null,"time":4}
{"process":0,"type":"invoke","f":"list-versions","key":"b/","value":null,"time":5}
{"process":0,"type":"info","f":"list-versions","key":"b/","value":[],"time":6}
"#;
    let history = History::parse(text).expect("valid");
    assert_eq!(history.events[1].value, Value::Keys(Vec::new()));
    let ops = pair(&history);
    assert_eq!(ops[0].listed(), Some(&[][..]));
    assert_eq!((ops[1].listed(), ops[2].versions()), (None, None));
}

const GET: &str = r#"{"process":0,"type":"invoke","f":"get","key":"b/k","value":null,"time":1}"#;
const PUT: &str = r#"{"process":0,"type":"invoke","f":"put","key":"b/k","value":"a","time":1,"etag":"e1","size":3}"#;
const LIST: &str = r#"{"process":0,"type":"invoke","f":"list","key":"b/","value":null,"time":1}"#;

/// Each bad input: the text, the line that must be named, words the message must contain.
fn bad_inputs() -> Vec<(&'static str, String, usize, &'static str)> {
    let with = |lines: &[&str]| lines.join("\n");
    vec![
        (
            "listing ok without its array",
            with(&[
                LIST,
                r#"{"process":0,"type":"ok","f":"list","key":"b/","value":null,"time":2}"#,
            ]),
            2,
            r#"list "value" must be the keys listed, an array of strings on an "ok" line, found null"#,
        ),
        (
            "listing invoked with keys",
            with(&[
                r#"{"process":0,"type":"invoke","f":"list","key":"b/","value":["b/k"],"time":1}"#,
            ]),
            1,
            r#"list "value" must be null on an "invoke" line, found an array"#,
        ),
        (
            "a listed key not a string",
            with(&[
                LIST,
                r#"{"process":0,"type":"ok","f":"list","key":"b/","value":["b/k",3],"time":2}"#,
            ]),
            2,
            r#"list "value[1]" must be a key (a string), found 3"#,
        ),
        (
            "a version entry without its id",
            with(&[
                r#"{"process":0,"type":"invoke","f":"list-versions","key":"b/","value":null,"time":1}"#,
                r#"{"process":0,"type":"ok","f":"list-versions","key":"b/","value":[{"key":"b/k"}],"time":2}"#,
            ]),
            2,
            r#"missing field "value[0].version_id""#,
        ),
        (
            "a version entry flag not a boolean",
            with(&[
                r#"{"process":0,"type":"invoke","f":"list-versions","key":"b/","value":null,"time":1}"#,
                r#"{"process":0,"type":"ok","f":"list-versions","key":"b/","value":[{"key":"b/k","version_id":"v1","current":"yes"}],"time":2}"#,
            ]),
            2,
            r#""value[0].current" must be true or false, found "yes""#,
        ),
        (
            "an array on a get",
            with(&[GET.replace("null", "[]").as_str()]),
            1,
            r#""value" must be null, a string or {"from", "to"}, found []"#,
        ),
        (
            "size not an integer",
            with(&[PUT.replace("\"size\":3", "\"size\":\"3\"").as_str()]),
            1,
            r#""size" must be a non-negative integer (bytes), found "3""#,
        ),
        (
            "etag not a string",
            with(&[PUT.replace("\"e1\"", "7").as_str()]),
            1,
            r#""etag" must be a string, found 7"#,
        ),
        (
            "meta value not a string",
            with(&[PUT.replace("\"size\":3", "\"meta\":{\"a\":1}").as_str()]),
            1,
            r#""meta.a" must be a string, found 1"#,
        ),
        (
            "delete_marker not a boolean",
            with(&[
                GET,
                r#"{"process":0,"type":"ok","f":"get","key":"b/k","value":null,"time":2,"delete_marker":1}"#,
            ]),
            2,
            r#""delete_marker" must be true or false, found 1"#,
        ),
        (
            "object fields on a listing",
            with(&[&LIST.replace("\"time\":1", "\"time\":1,\"etag\":\"e\"")]),
            1,
            r#"a list carries no object fields (found "etag")"#,
        ),
        (
            "a put choosing its version",
            with(&[&PUT.replace("\"size\":3", "\"version_id\":\"v1\"")]),
            1,
            r#"a put's "version_id" is the version it created: it belongs on the completion"#,
        ),
        (
            "a marker on an invoke",
            with(&[&GET.replace("\"time\":1", "\"time\":1,\"delete_marker\":true")]),
            1,
            "it belongs on a completion, not an invoke",
        ),
        (
            "a put's completion disagreeing with its invoke",
            with(&[
                PUT,
                r#"{"process":0,"type":"ok","f":"put","key":"b/k","value":"a","time":2,"etag":"e2"}"#,
            ]),
            2,
            r#""etag" "e2" differs from the invoke's "e1" (line 1)"#,
        ),
        (
            "a body on a get of nothing",
            with(&[
                GET,
                r#"{"process":0,"type":"ok","f":"get","key":"b/k","value":null,"time":2,"etag":"e1"}"#,
            ]),
            2,
            r#""etag" describes a body, but this get read none"#,
        ),
        (
            "a marker with a value",
            with(&[
                GET,
                r#"{"process":0,"type":"ok","f":"get","key":"b/k","value":"a","time":2,"delete_marker":true}"#,
            ]),
            2,
            r#"needs value null"#,
        ),
        (
            "a 405 on a get of the current version",
            with(&[
                GET,
                r#"{"process":0,"type":"fail","f":"get","key":"b/k","value":null,"time":2,"delete_marker":true}"#,
            ]),
            2,
            r#"this get's invoke has no "version_id""#,
        ),
        (
            "a body on a delete",
            with(&[
                r#"{"process":0,"type":"invoke","f":"delete","key":"b/k","value":null,"time":1,"size":0}"#,
            ]),
            1,
            r#"a delete carries only "version_id" and "delete_marker" (found "size")"#,
        ),
    ]
}

#[test]
fn bad_lines_are_refused_naming_the_line_and_the_field() {
    for (name, text, line, words) in bad_inputs() {
        match History::parse(&text) {
            Err(HistoryError::Line {
                line: at,
                ref message,
            }) => {
                assert_eq!(at, line, "{name}: {message}");
                assert!(message.contains(words), "{name}: {message}");
            }
            Ok(_) => panic!("{name}: accepted"),
        }
    }
}
