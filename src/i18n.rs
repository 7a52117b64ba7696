//! The page's two languages. Every string is written in both, side by side, at its use.

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
}
