//! Text made safe inside markup: HTML content and attributes, and the text
//! and titles of SVG (XML) elements.
//!
//! Its own module because both the pages (`html`, the sweep page) and the
//! plots (`plots`) need it, and the plots must not depend on a page.

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by their entities, so it
/// reads as itself in element content and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_entities_and_the_rest_stays() {
        assert_eq!(
            escape(r#"a <b> & "c" 'd' é"#),
            "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39; é"
        );
    }
}
