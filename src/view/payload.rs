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
            check_json(input).map_err(|at| {
                (
                    format!("Not valid JSON (at character {at})."),
                    format!("不是有效的 JSON(第 {at} 个字符处)。"),
                )
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

/// A payload rendered for reading in `format` (Base64 shows as Base64 of the bytes).
pub fn render(bytes: &[u8], format: PayloadFormat) -> String {
    match format {
        PayloadFormat::Text => String::from_utf8_lossy(bytes).into_owned(),
        PayloadFormat::Json => match std::str::from_utf8(bytes) {
            Ok(text) if check_json(text).is_ok() => pretty_json(text),
            _ => String::from_utf8_lossy(bytes).into_owned(),
        },
        PayloadFormat::Hex => ackscope_core::framing::hex(bytes),
        PayloadFormat::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

/// Checks JSON syntax; `Err(position)` of the first problem.
pub fn check_json(text: &str) -> Result<(), usize> {
    let b = text.as_bytes();
    let mut i = 0;
    value(b, &mut i)?;
    ws(b, &mut i);
    if i == b.len() {
        Ok(())
    } else {
        Err(i)
    }
}

fn ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

fn value(b: &[u8], i: &mut usize) -> Result<(), usize> {
    ws(b, i);
    match b.get(*i) {
        Some(b'{') => {
            *i += 1;
            ws(b, i);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return Ok(());
            }
            loop {
                ws(b, i);
                string(b, i)?;
                ws(b, i);
                if b.get(*i) != Some(&b':') {
                    return Err(*i);
                }
                *i += 1;
                value(b, i)?;
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {
                        *i += 1;
                        return Ok(());
                    }
                    _ => return Err(*i),
                }
            }
        }
        Some(b'[') => {
            *i += 1;
            ws(b, i);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return Ok(());
            }
            loop {
                value(b, i)?;
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {
                        *i += 1;
                        return Ok(());
                    }
                    _ => return Err(*i),
                }
            }
        }
        Some(b'"') => string(b, i),
        Some(b't') => literal(b, i, b"true"),
        Some(b'f') => literal(b, i, b"false"),
        Some(b'n') => literal(b, i, b"null"),
        Some(c) if *c == b'-' || c.is_ascii_digit() => {
            let start = *i;
            while *i < b.len() && (b[*i].is_ascii_digit() || b"+-.eE".contains(&b[*i])) {
                *i += 1;
            }
            std::str::from_utf8(&b[start..*i])
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .map(|_| ())
                .ok_or(start)
        }
        _ => Err(*i),
    }
}

fn literal(b: &[u8], i: &mut usize, word: &[u8]) -> Result<(), usize> {
    if b[*i..].starts_with(word) {
        *i += word.len();
        Ok(())
    } else {
        Err(*i)
    }
}

fn string(b: &[u8], i: &mut usize) -> Result<(), usize> {
    if b.get(*i) != Some(&b'"') {
        return Err(*i);
    }
    *i += 1;
    while let Some(&c) = b.get(*i) {
        *i += 1;
        match c {
            b'"' => return Ok(()),
            b'\\' => *i += 1,
            _ => {}
        }
    }
    Err(*i)
}

/// Re-indents syntactically valid JSON with two spaces.
fn pretty_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                depth += 1;
                out.push(c);
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
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
}
