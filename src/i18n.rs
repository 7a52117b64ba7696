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

    /// The text of this language from a core `Bilingual`.
    pub fn text(self, t: &Bilingual) -> String {
        match self {
            Lang::En => t.en.clone(),
            Lang::ZhCn => t.zh.clone(),
        }
    }
}

/// The label of a verdict or severity id in the page's language (the id stays in data-*).
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
        _ => id,
    };
    lang.t(id, zh)
}
