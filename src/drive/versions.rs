//! A ListObjectVersions page (`ListVersionsResult`), read from S3's XML:
//! rusty-s3 0.11 has no such action, and the page's shape is small — a
//! `<Version>` or `<DeleteMarker>` per entry (`Key`, `VersionId`,
//! `IsLatest`), `IsTruncated`, `NextKeyMarker`, `NextVersionIdMarker`.

/// One entry of a page: a version or a delete marker of `key` (without the
/// bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub version_id: String,
    pub latest: bool,
    pub delete_marker: bool,
}

/// One page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// In document order.
    pub entries: Vec<Listed>,
    pub truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_marker: Option<String>,
}

/// Most entries one page may hold (S3's `max-keys` is at most 1,000).
const MAX_ENTRIES: usize = 1000;

/// The page in `xml`, or why it is not a `ListVersionsResult`.
pub fn parse(xml: &str) -> Result<Page, String> {
    if !xml.contains("<ListVersionsResult") {
        return Err("not a ListVersionsResult".into());
    }
    let mut page = Page {
        truncated: text_of(xml, "IsTruncated").as_deref() == Some("true"),
        next_key_marker: text_of(xml, "NextKeyMarker").filter(|m| !m.is_empty()),
        next_version_marker: text_of(xml, "NextVersionIdMarker").filter(|m| !m.is_empty()),
        ..Page::default()
    };
    let mut rest = xml;
    // Bounded: each round consumes one element, at most MAX_ENTRIES kept.
    loop {
        let version = rest.find("<Version>");
        let marker = rest.find("<DeleteMarker>");
        let (at, tag, delete_marker) = match (version, marker) {
            (Some(v), Some(m)) if m < v => (m, "DeleteMarker", true),
            (Some(v), _) => (v, "Version", false),
            (None, Some(m)) => (m, "DeleteMarker", true),
            (None, None) => break,
        };
        let body_start = at + tag.len() + 2;
        let close = format!("</{tag}>");
        let Some(len) = rest[body_start..].find(&close) else {
            return Err(format!("a <{tag}> is not closed"));
        };
        let body = &rest[body_start..body_start + len];
        if page.entries.len() == MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} entries in one page"));
        }
        page.entries.push(Listed {
            key: text_of(body, "Key").ok_or("an entry without <Key>")?,
            version_id: text_of(body, "VersionId").ok_or("an entry without <VersionId>")?,
            latest: text_of(body, "IsLatest").as_deref() == Some("true"),
            delete_marker,
        });
        rest = &rest[body_start + len + close.len()..];
    }
    Ok(page)
}

/// The unescaped text of the first `<tag>…</tag>` in `xml`.
fn text_of(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_markers_in_document_order() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix>
<IsTruncated>true</IsTruncated><NextKeyMarker>0/0/3</NextKeyMarker>
<Version><Key>0/0/1</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest><ETag>"e"</ETag></Version>
<DeleteMarker><Key>0/0/1</Key><VersionId>m3</VersionId><IsLatest>true</IsLatest></DeleteMarker>
<Version><Key>a&amp;b</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest></Version>
</ListVersionsResult>"#;
        let page = parse(xml).unwrap();
        assert!(page.truncated);
        assert_eq!(page.next_key_marker.as_deref(), Some("0/0/3"));
        assert_eq!(page.next_version_marker, None);
        let got: Vec<(&str, &str, bool, bool)> = (page.entries.iter())
            .map(|e| (&e.key[..], &e.version_id[..], e.latest, e.delete_marker))
            .collect();
        assert_eq!(
            got,
            [
                ("0/0/1", "v2", false, false),
                ("0/0/1", "m3", true, true),
                ("a&b", "v1", true, false)
            ]
        );
        assert!(parse("<ListBucketResult></ListBucketResult>").is_err());
        assert!(parse("<ListVersionsResult><Version><Key>k</Key>").is_err());
    }
}
