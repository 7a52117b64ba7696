//! The label a finding's fix is shown under ("Fix: ", "修复:"): one home, so that no fix
//! text repeats it ("Fix: Fix the ClientId").

use crate::text::Bilingual;

/// The label before a fix, in each language.
pub const FIX_LABEL: (&str, &str) = ("Fix: ", "修复:");
/// Words that would stutter after the label: the label's own, and its Chinese near twin.
const LABEL_WORDS: (&[&str], &[&str]) = (&["fix"], &["修复", "修正"]);

/// A finding's fix as the page and the report show it, under its label.
pub fn fix_line(fix: &Bilingual) -> Bilingual {
    fix.prefixed(FIX_LABEL.0, FIX_LABEL.1)
}

/// Whether a fix text starts with the label's word, in either language.
pub fn repeats_fix_label(fix: &Bilingual) -> bool {
    let en = fix.en.trim_start().to_lowercase();
    let zh = fix.zh.trim_start();
    LABEL_WORDS.0.iter().any(|w| en.starts_with(w))
        || LABEL_WORDS.1.iter().any(|w| zh.starts_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_starting_with_the_label_word_is_caught_in_both_languages() {
        assert!(repeats_fix_label(&Bilingual::new(
            "Fix the ClientId.",
            "改正"
        )));
        assert!(repeats_fix_label(&Bilingual::new("fix it", "改正")));
        assert!(repeats_fix_label(&Bilingual::new("Use", "修正 ClientId")));
        assert!(!repeats_fix_label(&Bilingual::new(
            "Correct the ClientId",
            "更正 ClientId"
        )));
    }
}
