//! Parsing: what is accepted, and every class of bad input, with its line.

use check::{Event, EventType, Final, Function, History, Value};

const PUT: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1}"#;
const PUT_OK: &str = r#"{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":2}"#;

#[test]
fn accepts_empty_and_blank_histories() {
    for text in ["", "\n", "  \n\t\n", "\r\n"] {
        let history = History::parse(text).expect("empty history is valid");
        assert!(history.events.is_empty() && history.finals.is_empty());
    }
}

#[test]
fn accepts_extra_fields_crlf_blank_lines_and_open_ops() {
    let text = concat!(
        "\u{feff}{\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"k\",\"value\":\"a\",\"time\":1,\"version\":[1,2]}\r\n",
        "\r\n",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"put\",\"key\":\"k\",\"value\":\"a\",\"time\":2,\"node\":\"n1\"}\r\n",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":{\"from\":null,\"to\":\"b\"},\"time\":2,\"node\":7}\n",
        "{\"type\":\"final\",\"node\":0,\"key\":\"k\",\"value\":null,\"extra\":true}",
    );
    let history = History::parse(text).expect("valid");
    assert_eq!(history.lines, vec![1, 3, 4]);
    assert_eq!(
        history.events[1].node, None,
        "a foreign node name is ignored"
    );
    assert_eq!(history.events[2].node, Some(7));
    assert_eq!(
        history.events[2].value,
        Value::Cas {
            from: None,
            to: Some("b".into())
        }
    );
    assert_eq!(
        (history.events[2].kind, history.events[2].f),
        (EventType::Invoke, Function::Cas)
    );
    assert_eq!(history.finals[0].value, None);
}

/// Each bad input: the text, the line that must be named, and words the message must contain.
fn bad_inputs() -> Vec<(&'static str, String, usize, &'static str)> {
    let with = |lines: &[&str]| lines.join("\n");
    vec![
        (
            "truncated line",
            with(&[PUT, r#"{"process":0,"type":"ok","f":"put""#]),
            2,
            "truncated",
        ),
        (
            "malformed JSON",
            with(&[PUT, "not json"]),
            2,
            "malformed JSON at column 2: expected ident",
        ),
        (
            "not an object",
            with(&["[1, 2]"]),
            1,
            "expected a JSON object, found an array",
        ),
        (
            "unknown type",
            with(&[r#"{"process":0,"type":"done","f":"put","key":"k","value":"a","time":1}"#]),
            1,
            r#"unknown "type" "done""#,
        ),
        (
            "unknown f",
            with(&[r#"{"process":0,"type":"invoke","f":"read","key":"k","value":null,"time":1}"#]),
            1,
            r#"unknown "f" "read""#,
        ),
        (
            "missing key",
            with(&[r#"{"process":0,"type":"invoke","f":"get","value":null,"time":1}"#]),
            1,
            r#"missing field "key""#,
        ),
        (
            "missing time",
            with(&[
                PUT,
                r#"{"process":0,"type":"ok","f":"put","key":"k","value":"a"}"#,
            ]),
            2,
            r#"missing field "time""#,
        ),
        (
            "missing value",
            with(&[r#"{"process":0,"type":"invoke","f":"get","key":"k","time":1}"#]),
            1,
            r#"missing field "value""#,
        ),
        (
            "missing type",
            with(&[r#"{"process":0,"f":"get","key":"k","value":null,"time":1}"#]),
            1,
            r#"missing field "type""#,
        ),
        (
            "negative time",
            with(&[r#"{"process":0,"type":"invoke","f":"get","key":"k","value":null,"time":-1}"#]),
            1,
            r#""time" must be a non-negative integer, found -1"#,
        ),
        (
            "fractional process",
            with(&[r#"{"process":0.5,"type":"invoke","f":"get","key":"k","value":null,"time":1}"#]),
            1,
            r#""process" must be a non-negative integer"#,
        ),
        (
            "key not a string",
            with(&[r#"{"process":0,"type":"invoke","f":"get","key":1,"value":null,"time":1}"#]),
            1,
            r#""key" must be a string, found 1"#,
        ),
        (
            "completion without invoke",
            with(&[PUT, PUT_OK, PUT_OK]),
            3,
            "no operation in flight",
        ),
        (
            "second invoke in flight",
            with(&[PUT, PUT]),
            2,
            "still in flight",
        ),
        (
            "mismatched f",
            with(&[
                PUT,
                r#"{"process":0,"type":"ok","f":"get","key":"k","value":"a","time":2}"#,
            ]),
            2,
            r#""f" is get but"#,
        ),
        (
            "mismatched key",
            with(&[
                PUT,
                r#"{"process":0,"type":"ok","f":"put","key":"j","value":"a","time":2}"#,
            ]),
            2,
            r#""key" is "j" but"#,
        ),
        (
            "time going backwards",
            with(&[
                PUT_OK.replace("\"ok\"", "\"invoke\"").as_str(),
                r#"{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":1}"#,
            ]),
            2,
            r#""time" goes backwards: 1 after 2 on line 1"#,
        ),
        (
            "cas value a string",
            with(&[r#"{"process":0,"type":"invoke","f":"cas","key":"k","value":"x","time":1}"#]),
            1,
            r#"cas "value" must be {"from": string|null, "to": string|null}, found a string"#,
        ),
        (
            "cas to not a string",
            with(&[
                r#"{"process":0,"type":"invoke","f":"cas","key":"k","value":{"from":null,"to":1},"time":1}"#,
            ]),
            1,
            r#""value.to" must be a string or null (a conditional delete), found 1"#,
        ),
        (
            "cas from a number",
            with(&[
                r#"{"process":0,"type":"invoke","f":"cas","key":"k","value":{"from":3,"to":"b"},"time":1}"#,
            ]),
            1,
            r#""value.from" must be a string or null"#,
        ),
        (
            "cas missing to",
            with(&[
                r#"{"process":0,"type":"invoke","f":"cas","key":"k","value":{"from":null},"time":1}"#,
            ]),
            1,
            r#"missing field "value.to""#,
        ),
        (
            "value a number",
            with(&[r#"{"process":0,"type":"invoke","f":"put","key":"k","value":3,"time":1}"#]),
            1,
            r#""value" must be null, a string or"#,
        ),
        (
            "put value null",
            with(&[r#"{"process":0,"type":"invoke","f":"put","key":"k","value":null,"time":1}"#]),
            1,
            r#"put "value" must be a string, found null"#,
        ),
        (
            "put completion a pair",
            with(&[
                PUT,
                r#"{"process":0,"type":"ok","f":"put","key":"k","value":{"from":null,"to":"a"},"time":2}"#,
            ]),
            2,
            r#"put "value" must be a string"#,
        ),
        (
            "get returning a pair",
            with(&[
                r#"{"process":0,"type":"invoke","f":"get","key":"k","value":null,"time":1}"#,
                r#"{"process":0,"type":"ok","f":"get","key":"k","value":{"from":null,"to":"a"},"time":2}"#,
            ]),
            2,
            r#"get "value" must be null or a string"#,
        ),
        (
            "event after info",
            with(&[PUT, &PUT_OK.replace("\"ok\"", "\"info\""), "", PUT]),
            4,
            "process 0 already ended with \"info\" on line 2",
        ),
        (
            "event after final",
            with(&[
                PUT,
                r#"{"type":"final","node":0,"key":"k","value":null}"#,
                PUT_OK,
            ]),
            3,
            "after the \"final\" line 2",
        ),
        (
            "duplicate final",
            with(&[
                r#"{"type":"final","node":0,"key":"k","value":null}"#,
                r#"{"type":"final","node":0,"key":"k","value":"a"}"#,
            ]),
            2,
            "second \"final\" line for node 0",
        ),
        (
            "final without node",
            with(&[r#"{"type":"final","key":"k","value":null}"#]),
            1,
            r#"missing field "node""#,
        ),
        (
            "final value a number",
            with(&[r#"{"type":"final","node":0,"key":"k","value":1}"#]),
            1,
            r#"final "value" must be a string or null"#,
        ),
        (
            "final node too large",
            with(&[r#"{"type":"final","node":5000000000,"key":"k","value":null}"#]),
            1,
            r#""node" 5000000000 is too large"#,
        ),
        (
            "error on an ok line",
            with(&[
                PUT,
                r#"{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":2,"error":"not-found"}"#,
            ]),
            2,
            r#""error" "not-found" on an "ok" line: an error belongs on a "fail" completion"#,
        ),
        (
            "unknown error",
            with(&[
                PUT,
                r#"{"process":0,"type":"fail","f":"put","key":"k","value":"a","time":2,"error":"teapot"}"#,
            ]),
            2,
            r#"unknown "error" "teapot" (expected precondition-failed, conditional-conflict, not-found, access-denied or slow-down)"#,
        ),
        (
            "error not a string",
            with(&[
                PUT,
                r#"{"process":0,"type":"fail","f":"put","key":"k","value":"a","time":2,"error":412}"#,
            ]),
            2,
            r#""error" must be a string"#,
        ),
    ]
}

/// S3's conditional-write outcomes ride on `fail` lines as `error`; they
/// round-trip byte for byte, pair onto the operation, and a history
/// without them reads as before.
#[test]
fn fail_reasons_round_trip_and_reach_the_operation() {
    let text = concat!(
        r#"{"process":0,"type":"invoke","f":"cas","key":"k","value":{"from":null,"to":"a"},"time":1}"#,
        "\n",
        r#"{"process":0,"type":"fail","f":"cas","key":"k","value":{"from":null,"to":"a"},"time":2,"error":"precondition-failed"}"#,
        "\n",
        r#"{"process":1,"type":"invoke","f":"cas","key":"k","value":{"from":"x","to":"b"},"time":3}"#,
        "\n",
        r#"{"process":1,"type":"fail","f":"cas","key":"k","value":{"from":"x","to":"b"},"time":4,"node":2,"error":"not-found"}"#,
        "\n",
        r#"{"process":2,"type":"invoke","f":"cas","key":"k","value":{"from":"x","to":"c"},"time":5}"#,
        "\n",
        r#"{"process":2,"type":"fail","f":"cas","key":"k","value":{"from":"x","to":"c"},"time":6,"error":"conditional-conflict"}"#,
        "\n",
        r#"{"process":3,"type":"invoke","f":"cas","key":"k","value":{"from":"x","to":"d"},"time":7}"#,
        "\n",
        r#"{"process":3,"type":"fail","f":"cas","key":"k","value":{"from":"x","to":"d"},"time":8}"#,
        "\n",
    );
    let history = History::parse(text).expect("valid");
    assert_eq!(history.to_jsonl(), text);
    let errors: Vec<_> = check::op::pair(&history)
        .iter()
        .map(|op| op.error)
        .collect();
    use check::FailReason::*;
    assert_eq!(
        errors,
        [
            Some(PreconditionFailed),
            Some(NotFound),
            Some(ConditionalConflict),
            None
        ]
    );
}

/// A conditional delete is a cas to `null`: it parses, round-trips byte
/// for byte, and writes absent; a `to` of another type is refused by line.
#[test]
fn conditional_delete_is_a_cas_to_null() {
    let text = concat!(
        r#"{"process":0,"type":"invoke","f":"cas","key":"b/k","value":{"from":"c1-1","to":null},"time":1}"#,
        "\n",
        r#"{"process":0,"type":"ok","f":"cas","key":"b/k","value":{"from":"c1-1","to":null},"time":2}"#,
        "\n",
    );
    let history = History::parse(text).expect("valid");
    assert_eq!(history.to_jsonl(), text);
    assert_eq!(
        history.events[0].value,
        Value::Cas {
            from: Some("c1-1".into()),
            to: None
        }
    );
    let ops = check::op::pair(&history);
    assert!(ops[0].f.is_write() && ops[0].written().is_none());
    let bad =
        r#"{"process":0,"type":"invoke","f":"cas","key":"k","value":{"from":"a","to":7},"time":1}"#;
    let err = History::parse(bad).expect_err("to: 7").to_string();
    assert!(
        err.contains("line 1") && err.contains("\"value.to\" must be a string or null"),
        "{err}"
    );
}

#[test]
fn rejects_bad_input_naming_the_line() {
    for (name, text, line, words) in bad_inputs() {
        let error = History::parse(&text).expect_err(name);
        let check::HistoryError::Line { line: got, message } = &error;
        assert_eq!(*got, line, "{name}: {error}");
        assert!(
            message.contains(words),
            "{name}: {message:?} should contain {words:?}"
        );
        assert!(
            error.to_string().starts_with(&format!("line {line}: ")),
            "{name}"
        );
    }
}

fn event(process: u64, kind: EventType, f: Function, key: &str, value: Value, time: u64) -> Event {
    Event {
        process,
        kind,
        f,
        key: key.into(),
        value,
        time,
        node: None,
        object: None,
        error: None,
        auth: None,
    }
}

#[test]
fn validate_applies_the_same_rules_to_built_histories() {
    use EventType::{Info, Invoke, Ok};
    let a = || Value::Str("a".into());
    let put = |p, kind, key: &str, time| event(p, kind, Function::Put, key, a(), time);
    let fin = |node, value: Option<&str>| Final {
        node,
        key: "k".into(),
        value: value.map(str::to_owned),
    };
    let cases: Vec<(&str, History, usize, &str)> = vec![
        (
            "completion without invoke",
            History::new(vec![put(0, Ok, "k", 1)], vec![]),
            1,
            "no operation in flight",
        ),
        (
            "mismatched key",
            History::new(vec![put(0, Invoke, "k", 1), put(0, Ok, "j", 2)], vec![]),
            2,
            "\"key\" is \"j\"",
        ),
        (
            "time backwards",
            History::new(vec![put(0, Invoke, "k", 5), put(1, Invoke, "k", 4)], vec![]),
            2,
            "goes backwards",
        ),
        (
            "put without a string",
            History::new(
                vec![event(0, Invoke, Function::Put, "k", Value::Absent, 1)],
                vec![],
            ),
            1,
            "put \"value\" must be a string",
        ),
        (
            "after info",
            History::new(
                vec![
                    put(0, Invoke, "k", 1),
                    put(0, Info, "k", 2),
                    put(0, Invoke, "k", 3),
                ],
                vec![],
            ),
            3,
            "already ended",
        ),
        (
            "duplicate final",
            History::new(
                vec![put(0, Invoke, "k", 1)],
                vec![fin(0, None), fin(0, Some("a"))],
            ),
            3,
            "second \"final\"",
        ),
    ];
    for (name, history, line, words) in cases {
        let error = history.validate().expect_err(name).to_string();
        assert!(
            error.starts_with(&format!("line {line}: ")) && error.contains(words),
            "{name}: {error}"
        );
    }
    let good = History::new(
        vec![put(0, Invoke, "k", 1), put(0, Ok, "k", 2)],
        vec![fin(0, Some("a"))],
    );
    assert!(good.validate().is_ok());
}

#[test]
fn parse_bytes_names_the_first_non_utf8_line() {
    let mut bytes = format!("{PUT}\n{PUT_OK}\n").into_bytes();
    bytes.extend_from_slice(b"{\"process\":1,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"\xff\"");
    bytes.extend_from_slice(b",\"value\":\"a\",\"time\":3}\n\xfe\n");
    let error = History::parse_bytes(&bytes)
        .expect_err("not UTF-8")
        .to_string();
    assert_eq!(error, "line 3: not valid UTF-8 (byte 47 of the line)");
    let good = History::parse_bytes(format!("{PUT}\n{PUT_OK}\n").as_bytes()).expect("valid");
    assert_eq!(good.events.len(), 2);
}
