//! Text the page shows, in both of its languages. Every error, event and finding the core
//! explains has one `text()` that returns a `Bilingual`: the two languages sit side by side
//! in one match arm, so neither can drift from the other.

/// Text in both languages (in files as `{"en", "zh"}`: a broker check in a recording).
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Bilingual {
    pub en: String,
    pub zh: String,
}

impl Bilingual {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Bilingual {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// This text with a prefix in each language (`"Will topic: "`, `"遗嘱主题:"`).
    pub fn prefixed(&self, en: &str, zh: &str) -> Self {
        Bilingual {
            en: format!("{en}{}", self.en),
            zh: format!("{zh}{}", self.zh),
        }
    }
}

/// A JSON string literal, for the hand-written exports (messages, packets, broker check).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
