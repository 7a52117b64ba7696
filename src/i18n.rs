//! The page's two languages. Every string is written in both, side by side, at its use.

use ackscope_core::text::Bilingual;

/// A language of the page, as the `lang` select spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn from_code(code: &str) -> Self {
        if code == "zh-CN" {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }

    /// Picks the string of this language.
    pub fn t<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh,
        }
    }

    /// Picks between two owned strings (messages computed in the core in both languages).
    pub fn pick(self, en: String, zh: String) -> String {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh,
        }
    }

    /// A duration in human units of this language (`19.0 s` / `19.0 秒`, `850 ms` / `850 毫秒`).
    pub fn duration(self, ms: i64) -> String {
        match self {
            Lang::En => crate::view::clock::duration(ms),
            Lang::ZhCn => crate::view::clock::duration_zh(ms),
        }
    }

    /// A countdown in seconds with one decimal (`7.5 s` / `7.5 秒`): steady units while it runs.
    pub fn seconds(self, ms: u64) -> String {
        let s = crate::view::clock::seconds(ms);
        match self {
            Lang::En => s,
            Lang::ZhCn => s.replace(" s", " 秒"),
        }
    }

    /// How sure a verdict is: `certain` (probe header, timestamp) or `inferred` (shown as `?`).
    pub fn certainty(self, certain: bool) -> &'static str {
        match (self, certain) {
            (Lang::En, true) => "certain",
            (Lang::En, false) => "inferred",
            (Lang::ZhCn, true) => "已证实",
            (Lang::ZhCn, false) => "推断",
        }
    }

    /// The text of this language from a core `Bilingual`.
    pub fn text(self, t: &Bilingual) -> String {
        match self {
            Lang::En => t.en.clone(),
            Lang::ZhCn => t.zh.clone(),
        }
    }
}

/// The label of a verdict, severity or connection-state id in the page's language (the id
/// stays in data-*).
pub fn label(lang: Lang, id: &str) -> &str {
    let zh = match id {
        "live" => "实时",
        "offline" => "离线",
        "retained" => "保留",
        "redelivered" => "重投",
        "duplicate" => "重复",
        "error" => "错误",
        "warning" => "警告",
        "info" => "提示",
        "disconnected" => "已断开",
        "connecting" => "连接中",
        "connected" => "已连接",
        "reconnecting" => "等待重连",
        "silent" => "静默",
        _ => id,
    };
    lang.t(id, zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_certainty_follow_the_language() {
        assert_eq!(Lang::En.duration(18_970), "19.0 s");
        assert_eq!(Lang::ZhCn.duration(850), "850 毫秒");
        assert_eq!(Lang::ZhCn.seconds(7_500), "7.5 秒");
        assert_eq!(Lang::En.seconds(7_500), "7.5 s");
        assert_eq!(Lang::ZhCn.certainty(true), "已证实");
        assert_eq!(Lang::ZhCn.certainty(false), "推断");
        assert_eq!(label(Lang::ZhCn, "redelivered"), "重投");
        assert_eq!(label(Lang::En, "redelivered"), "redelivered");
    }
}
