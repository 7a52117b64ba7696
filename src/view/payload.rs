//! Payloads shown as text, pretty JSON or hex, and typed as text, JSON, hex or Base64.

use base64::Engine;

/// How a payload is shown or typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PayloadFormat {
    #[default]
    Text,
    Json,
    Hex,
    Base64,
}

impl PayloadFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadFormat::Text => "text",
            PayloadFormat::Json => "json",
            PayloadFormat::Hex => "hex",
            PayloadFormat::Base64 => "base64",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "json" => PayloadFormat::Json,
            "hex" => PayloadFormat::Hex,
            "base64" => PayloadFormat::Base64,
            _ => PayloadFormat::Text,
        }
    }
}

/// Bytes to publish from what the user typed in `format`, or why they are not valid.
pub fn encode_input(input: &str, format: PayloadFormat) -> Result<Vec<u8>, (String, String)> {
    match format {
        PayloadFormat::Text => Ok(input.as_bytes().to_vec()),
        PayloadFormat::Json => {
            check(input).map_err(|e| match e {
                JsonError::TooDeep => (
                    format!("Not sent as JSON: nested deeper than {JSON_DEPTH} levels."),
                    format!("不作为 JSON 发送:嵌套超过 {JSON_DEPTH} 层。"),
                ),
                JsonError::Syntax { at, .. } => (
                    format!("Not valid JSON (at character {at})."),
                    format!("不是有效的 JSON(第 {at} 个字符处)。"),
                ),
            })?;
            Ok(input.as_bytes().to_vec())
        }
        PayloadFormat::Hex => {
            let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
            if digits.len() % 2 != 0 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err((
                    "Hex needs pairs of 0-9 a-f digits, as in 48 65 6c 6c 6f.".into(),
                    "十六进制需要成对的 0-9 a-f 数字,例如 48 65 6c 6c 6f。".into(),
                ));
            }
            Ok((0..digits.len())
                .step_by(2)
                .filter_map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
                .collect())
        }
        PayloadFormat::Base64 => base64::engine::general_purpose::STANDARD
            .decode(input.trim())
            .map_err(|e| {
                (
                    format!("Not valid Base64: {e}."),
                    format!("不是有效的 Base64:{e}。"),
                )
            }),
    }
}

/// At most this many bytes of a payload are shown as text (and as pretty JSON output).
pub const TEXT_SHOWN: usize = 64 * 1024;
/// At most this many bytes are shown as hex (three characters each).
pub const HEX_SHOWN: usize = 16 * 1024;
/// At most this many bytes are shown as Base64 (64 KiB of characters).
pub const BASE64_SHOWN: usize = 48 * 1024;
/// Larger payloads are not checked as JSON (the check would run on every render).
pub const JSON_CHECKED: usize = 1024 * 1024;
/// serde_json's own recursion limit: deeper JSON is shown as text.
pub const JSON_DEPTH: usize = 128;

/// A payload rendered for reading in `format` (Base64 shows as Base64 of the bytes).
///
/// Whatever the payload (up to the 16 MiB framing limit, nested JSON, invalid UTF-8), the
/// work and the output are bounded: at most [`TEXT_SHOWN`] bytes as text, [`HEX_SHOWN`] as
/// hex or [`BASE64_SHOWN`] as Base64, then a marker `… (N bytes, shown: M)`. JSON that
/// cannot be shown as JSON is shown as text after a short notice saying why.
pub fn render(bytes: &[u8], format: PayloadFormat) -> String {
    match format {
        PayloadFormat::Text => text_prefix(bytes, TEXT_SHOWN),
        PayloadFormat::Json => match json_problem(bytes) {
            None => {
                // Valid UTF-8, checked by `json_problem`.
                let text = std::str::from_utf8(bytes).unwrap_or_default();
                let (mut out, consumed) = pretty_json(text, TEXT_SHOWN);
                if consumed < bytes.len() {
                    out.push_str(&cut_marker(bytes.len(), consumed));
                }
                out
            }
            Some(why) => format!(
                "[not shown as JSON: {why}]\n{}",
                text_prefix(bytes, TEXT_SHOWN)
            ),
        },
        PayloadFormat::Hex => {
            let shown = bytes.len().min(HEX_SHOWN);
            let mut out = ackscope_core::framing::hex(&bytes[..shown]);
            if shown < bytes.len() {
                out.push_str(&cut_marker(bytes.len(), shown));
            }
            out
        }
        PayloadFormat::Base64 => {
            let shown = bytes.len().min(BASE64_SHOWN);
            let mut out = base64::engine::general_purpose::STANDARD.encode(&bytes[..shown]);
            if shown < bytes.len() {
                out.push_str(&cut_marker(bytes.len(), shown));
            }
            out
        }
    }
}

/// ` … (N bytes, shown: M)`: the mark of a payload cut short.
fn cut_marker(total: usize, shown: usize) -> String {
    format!(" … ({total} bytes, shown: {shown})")
}

/// The payload as text (invalid UTF-8 as U+FFFD), at most `max` bytes of it, cut at a
/// character boundary and marked when cut.
fn text_prefix(bytes: &[u8], max: usize) -> String {
    let mut out = String::with_capacity(bytes.len().min(max));
    let mut consumed = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let room = max.saturating_sub(out.len());
        if valid.len() > room {
            let mut end = room;
            while !valid.is_char_boundary(end) {
                end -= 1;
            }
            out.push_str(&valid[..end]);
            consumed += end;
            break;
        }
        out.push_str(valid);
        consumed += valid.len();
        if !chunk.invalid().is_empty() {
            if out.len() + '\u{fffd}'.len_utf8() > max {
                break;
            }
            out.push('\u{fffd}');
            consumed += chunk.invalid().len();
        }
    }
    if consumed < bytes.len() {
        out.push_str(&cut_marker(bytes.len(), consumed));
    }
    out
}

/// Why these bytes are not shown as JSON, or `None` when they are valid JSON.
pub fn json_problem(bytes: &[u8]) -> Option<String> {
    if bytes.len() > JSON_CHECKED {
        return Some(format!("larger than {} KiB", JSON_CHECKED / 1024));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return Some(format!("not UTF-8 (byte {})", e.valid_up_to())),
    };
    match check(text) {
        Ok(()) => None,
        Err(JsonError::TooDeep) => Some(format!("nested deeper than {JSON_DEPTH} levels")),
        Err(JsonError::Syntax { at, what }) => Some(format!("{what} at character {at}")),
    }
}

enum JsonError {
    TooDeep,
    Syntax { at: usize, what: String },
}

/// Checks JSON with serde_json (its recursion limit stops deep nesting) without building a
/// tree: [`Checked`] only visits.
fn check(text: &str) -> Result<(), JsonError> {
    serde_json::from_str::<Checked>(text)
        .map(|_| ())
        .map_err(|e| {
            let message = e.to_string();
            if message.starts_with("recursion limit exceeded") {
                return JsonError::TooDeep;
            }
            let what = message
                .split(" at line ")
                .next()
                .unwrap_or("invalid")
                .to_string();
            JsonError::Syntax {
                at: char_offset(text, e.line(), e.column()),
                what,
            }
        })
}

/// The 0-based character index of serde_json's 1-based (line, byte column).
fn char_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text[..at].chars().count()
}

/// A JSON value that was only looked at, never stored.
struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> serde::de::Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, Checked>()?
            .is_some()
        {}
        Ok(Checked)
    }
}

/// Checks JSON syntax (nesting at most [`JSON_DEPTH`] deep); `Err(position)` of the first
/// problem, in characters.
pub fn check_json(text: &str) -> Result<(), usize> {
    check(text).map_err(|e| match e {
        JsonError::TooDeep => text
            .char_indices()
            .scan(0usize, |depth, (i, c)| {
                if c == '[' || c == '{' {
                    *depth += 1;
                }
                Some((i, *depth))
            })
            .find(|(_, d)| *d > JSON_DEPTH)
            .map(|(i, _)| text[..i].chars().count())
            .unwrap_or(0),
        JsonError::Syntax { at, .. } => at,
    })
}

/// Re-indents valid JSON with two spaces, in one pass and with no recursion: the output is
/// at most about `max` bytes, and the second value is how many input bytes it covers.
fn pretty_json(text: &str, max: usize) -> (String, usize) {
    let mut out = String::with_capacity(text.len().min(max) + 64);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let b = text.as_bytes();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut i = 0;
    while i < b.len() {
        if out.len() >= max {
            break;
        }
        let c = b[i];
        if in_string {
            // Copy the string's run up to the next quote or backslash at once.
            let run = b[i..]
                .iter()
                .position(|&x| x == b'"' || x == b'\\' || escaped)
                .unwrap_or(b.len() - i);
            if run > 0 {
                let end = (i + run).min(i + max.saturating_sub(out.len()).max(1));
                let mut end = end;
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                out.push_str(&text[i..end]);
                i = end;
                continue;
            }
            // `c` is a quote, a backslash, or the character after a backslash (ASCII).
            let ch_end = (i + 1..=b.len())
                .find(|&e| text.is_char_boundary(e))
                .unwrap_or(b.len());
            out.push_str(&text[i..ch_end]);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else {
                in_string = false;
            }
            i = ch_end;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push('"');
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                let next = b[i + 1..]
                    .iter()
                    .position(|x| !x.is_ascii_whitespace())
                    .map(|k| i + 1 + k);
                if next.map(|k| b[k]) == Some(close) {
                    // An empty container stays on one line.
                    out.push(c as char);
                    out.push(close as char);
                    i = next.unwrap_or(i) + 1;
                    continue;
                }
                depth += 1;
                out.push(c as char);
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c as char);
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            b':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            _ => {
                // Numbers and literals are ASCII.
                out.push(c as char);
            }
        }
        i += 1;
    }
    (out, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_checked_and_pretty_printed() {
        assert!(check_json(r#"{"a":[1,2.5,-3e2],"b":{"c":"x\"y"},"d":null}"#).is_ok());
        assert_eq!(check_json("{\"a\":}"), Err(5));
        assert_eq!(
            render(br#"{"a":[1,2]}"#, PayloadFormat::Json),
            "{\n  \"a\": [\n    1,\n    2\n  ]\n}"
        );
    }

    #[test]
    fn hex_and_base64_inputs_become_bytes() {
        assert_eq!(
            encode_input("48 65 6c", PayloadFormat::Hex),
            Ok(b"Hel".to_vec())
        );
        assert!(encode_input("4", PayloadFormat::Hex).is_err());
        assert_eq!(
            encode_input("SGk=", PayloadFormat::Base64),
            Ok(b"Hi".to_vec())
        );
        assert!(encode_input("{", PayloadFormat::Json).is_err());
        assert_eq!(render(&[0, 255], PayloadFormat::Hex), "00 ff");
    }

    #[test]
    fn deep_json_is_shown_as_text_with_a_notice() {
        // The payload that used to exhaust the browser's stack.
        let deep = vec![b'['; 200_000];
        let shown = render(&deep, PayloadFormat::Json);
        assert!(
            shown.starts_with("[not shown as JSON: "),
            "{}",
            &shown[..80]
        );
        assert!(shown.len() < TEXT_SHOWN + 200, "bounded: {}", shown.len());
        // Balanced but too deep: the notice names the limit.
        let balanced = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(render(balanced.as_bytes(), PayloadFormat::Json)
            .starts_with("[not shown as JSON: nested deeper than 128 levels]\n[[["));
        assert_eq!(
            json_problem(balanced.as_bytes()),
            Some("nested deeper than 128 levels".into())
        );
        assert_eq!(check_json(&balanced), Err(128));
        let (en, _) = encode_input(&balanced, PayloadFormat::Json).unwrap_err();
        assert!(en.contains("deeper than 128"), "{en}");
        // Within the limit it is still JSON, pretty printed in linear size.
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(json_problem(ok.as_bytes()), None);
        let pretty = render(ok.as_bytes(), PayloadFormat::Json);
        assert!(pretty.starts_with("[\n  [\n    ["), "{}", &pretty[..20]);
        assert!(pretty.ends_with("]\n]"));
    }

    #[test]
    fn pretty_json_keeps_order_numbers_and_strings() {
        let text = r#"{"z":1.50,"a":{},"b":[],"s":"a,b:{c}\"[","u":"héllo \u00e9","n":12345678901234567890123}"#;
        assert_eq!(
            render(text.as_bytes(), PayloadFormat::Json),
            "{\n  \"z\": 1.50,\n  \"a\": {},\n  \"b\": [],\n  \"s\": \"a,b:{c}\\\"[\",\n  \"u\": \"héllo \\u00e9\",\n  \"n\": 12345678901234567890123\n}"
        );
        assert_eq!(render(b"  7 ", PayloadFormat::Json), "7");
    }

    #[test]
    fn invalid_json_and_invalid_utf8_fall_back_to_text() {
        assert_eq!(
            render(b"{\"a\":}", PayloadFormat::Json),
            "[not shown as JSON: expected value at character 5]\n{\"a\":}"
        );
        let bytes = [b'{', 0xff, 0xfe, b'}'];
        assert_eq!(
            render(&bytes, PayloadFormat::Json),
            "[not shown as JSON: not UTF-8 (byte 1)]\n{\u{fffd}\u{fffd}}"
        );
        assert_eq!(render(&bytes, PayloadFormat::Text), "{\u{fffd}\u{fffd}}");
        assert_eq!(render(&bytes, PayloadFormat::Hex), "7b ff fe 7d");
        assert_eq!(render(&bytes, PayloadFormat::Base64), "e//+fQ==");
    }

    #[test]
    fn huge_payloads_are_cut_short_in_every_format() {
        let huge = vec![b'a'; 16 * 1024 * 1024];
        let marker = format!(" … ({} bytes, shown: ", huge.len());
        let text = render(&huge, PayloadFormat::Text);
        assert!(text.len() <= TEXT_SHOWN + 64 && text.ends_with(&format!("{marker}{TEXT_SHOWN})")));
        let hex = render(&huge, PayloadFormat::Hex);
        assert!(
            hex.len() <= 3 * HEX_SHOWN + 64,
            "hex does not triple 16 MiB: {}",
            hex.len()
        );
        assert!(hex.starts_with("61 61") && hex.ends_with(&format!("{marker}{HEX_SHOWN})")));
        let b64 = render(&huge, PayloadFormat::Base64);
        assert!(b64.len() <= TEXT_SHOWN + 64 && b64.ends_with(&format!("{marker}{BASE64_SHOWN})")));
        let json = render(&huge, PayloadFormat::Json);
        assert!(
            json.starts_with("[not shown as JSON: larger than 1024 KiB]")
                && json.len() <= TEXT_SHOWN + 128
        );
        // A large valid JSON document: pretty printed up to the limit, then marked.
        let doc = format!("[{}1]", "1,".repeat(400_000));
        let shown = render(doc.as_bytes(), PayloadFormat::Json);
        assert!(shown.len() <= TEXT_SHOWN + 300, "{}", shown.len());
        assert!(shown.contains(&format!(" … ({} bytes, shown: ", doc.len())));
    }

    #[test]
    fn text_is_cut_at_a_character_boundary() {
        // "é" is two bytes: cutting after its first byte would show U+FFFD.
        let mut bytes = vec![b'x'; TEXT_SHOWN - 1];
        bytes.extend_from_slice("é and more".as_bytes());
        let shown = render(&bytes, PayloadFormat::Text);
        assert!(!shown.contains('\u{fffd}'));
        assert!(shown.ends_with(&format!("shown: {})", TEXT_SHOWN - 1)));
    }

    /// A small deterministic generator (xorshift), so that the fuzz loop needs no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn rendering_never_panics_and_stays_bounded_on_generated_payloads() {
        // JSON-ish alphabet, so that many inputs are valid or nearly valid JSON.
        const PIECES: &[&[u8]] = &[
            b"[",
            b"]",
            b"{",
            b"}",
            b",",
            b":",
            b"\"",
            b"\\",
            b"\"k\"",
            b"1",
            b"-2.5e3",
            b"true",
            b"null",
            b" ",
            b"\n",
            b"\xff",
            b"\xc3",
            b"\xa9",
            "é".as_bytes(),
            "中".as_bytes(),
            b"\\u00e9",
            b"\0",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..5_000 {
            let len = if round % 500 == 0 {
                40_000
            } else {
                rng.below(300)
            };
            let mut bytes = Vec::new();
            while bytes.len() < len {
                if rng.below(10) == 0 {
                    bytes.push(rng.next() as u8);
                } else {
                    bytes.extend_from_slice(PIECES[rng.below(PIECES.len())]);
                }
            }
            for format in [
                PayloadFormat::Text,
                PayloadFormat::Json,
                PayloadFormat::Hex,
                PayloadFormat::Base64,
            ] {
                let shown = render(&bytes, format);
                assert!(shown.len() <= TEXT_SHOWN + 300, "bounded: {}", shown.len());
                if format == PayloadFormat::Json && !shown.starts_with("[not shown as JSON") {
                    // What was shown as JSON was valid JSON, and pretty printing keeps it so.
                    let text = std::str::from_utf8(&bytes).expect("shown as JSON means UTF-8");
                    assert_eq!(check_json(text), Ok(()));
                    assert_eq!(check_json(&shown), Ok(()), "pretty output of {text:?}");
                }
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = check_json(text);
                let _ = encode_input(text, PayloadFormat::Json);
                let _ = encode_input(text, PayloadFormat::Hex);
                let _ = encode_input(text, PayloadFormat::Base64);
            }
        }
    }

    #[test]
    fn generated_valid_json_round_trips_through_pretty_printing() {
        let mut rng = Rng(42);
        for _ in 0..2_000 {
            let mut out = String::new();
            gen_value(&mut rng, &mut out, 0);
            let pretty = render(out.as_bytes(), PayloadFormat::Json);
            let a: serde_json::Value = serde_json::from_str(&out).expect("generated JSON is valid");
            let b: serde_json::Value = serde_json::from_str(&pretty).expect("pretty JSON is valid");
            assert_eq!(a, b, "{out}");
        }
    }

    fn gen_value(rng: &mut Rng, out: &mut String, depth: usize) {
        match if depth > 6 {
            rng.below(4)
        } else {
            rng.below(6)
        } {
            0 => out.push_str(["1", "-0.5", "3e10", "0"][rng.below(4)]),
            1 => out.push_str(["true", "false", "null"][rng.below(3)]),
            2 | 3 => out.push_str(
                [
                    "\"a\"",
                    "\"\"",
                    "\"x,y:[]{}\\\"\"",
                    "\"中文\"",
                    "\"\\u00e9\"",
                ][rng.below(5)],
            ),
            4 => {
                out.push('[');
                for i in 0..rng.below(4) {
                    if i > 0 {
                        out.push_str([",", " , ", ",\n"][rng.below(3)]);
                    }
                    gen_value(rng, out, depth + 1);
                }
                out.push_str([" ]", "]"][rng.below(2)]);
            }
            _ => {
                out.push_str(["{", "{ "][rng.below(2)]);
                for i in 0..rng.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("\"k{i}\" : "));
                    gen_value(rng, out, depth + 1);
                }
                out.push('}');
            }
        }
    }
}
