//! Topic names and filters (MQTT 3.1.1 section 4.7): validation with clear reasons, and matching.

use crate::text::Bilingual;

/// Why a topic name or filter is not valid.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TopicError {
    Empty,
    TooLong {
        bytes: usize,
    },
    NulCharacter,
    /// A topic name (publish) may not contain `+` or `#`.
    WildcardInName,
    /// `#` must be the last level, alone.
    MisplacedMultiLevelWildcard,
    /// `+` must occupy a whole level.
    MisplacedSingleLevelWildcard,
}

impl TopicError {
    pub fn text(&self) -> Bilingual {
        match self {
            TopicError::Empty => Bilingual::new("The topic is empty.", "主题为空。"),
            TopicError::TooLong { bytes } => Bilingual::new(
                format!("The topic is {bytes} bytes long; MQTT allows 65535."),
                format!("主题长 {bytes} 字节,MQTT 最多允许 65535。"),
            ),
            TopicError::NulCharacter => {
                Bilingual::new("The topic contains a NUL character.", "主题包含 NUL 字符。")
            }
            TopicError::WildcardInName => Bilingual::new(
                "A topic to publish to cannot contain + or #: wildcards are for subscriptions.",
                "发布的主题不能包含 + 或 #:通配符只用于订阅。",
            ),
            TopicError::MisplacedMultiLevelWildcard => Bilingual::new(
                "# must be the last level on its own, as in a/b/#.",
                "# 必须单独作为最后一级,例如 a/b/#。",
            ),
            TopicError::MisplacedSingleLevelWildcard => Bilingual::new(
                "+ must fill a whole level, as in a/+/c.",
                "+ 必须独占一级,例如 a/+/c。",
            ),
        }
    }
}

fn check_common(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    if topic.len() > 65_535 {
        return Err(TopicError::TooLong { bytes: topic.len() });
    }
    if topic.contains('\0') {
        return Err(TopicError::NulCharacter);
    }
    Ok(())
}

/// Checks a topic name that a message is published to.
pub fn validate_name(topic: &str) -> Result<(), TopicError> {
    check_common(topic)?;
    if topic.contains(['+', '#']) {
        return Err(TopicError::WildcardInName);
    }
    Ok(())
}

/// Checks a topic filter that a subscription uses.
pub fn validate_filter(filter: &str) -> Result<(), TopicError> {
    check_common(filter)?;
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i != levels.len() - 1) {
            return Err(TopicError::MisplacedMultiLevelWildcard);
        }
        if level.contains('+') && *level != "+" {
            return Err(TopicError::MisplacedSingleLevelWildcard);
        }
    }
    Ok(())
}

/// Whether `filter` matches `topic`. Topics starting with `$` are not matched by a
/// wildcard in the first level (4.7.2).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(fl), Some(tl)) if fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_level_wildcard_matches_parent_and_children() {
        assert!(matches("a/#", "a"));
        assert!(matches("a/#", "a/b/c"));
        assert!(matches("#", "a/b"));
        assert!(!matches("a/#", "b/a"));
    }

    #[test]
    fn single_level_wildcard_matches_exactly_one_level() {
        assert!(matches("a/+/c", "a/b/c"));
        assert!(!matches("a/+/c", "a/b/d/c"));
        assert!(matches("a/+", "a/"));
        assert!(!matches("a/+", "a"));
    }

    #[test]
    fn dollar_topics_do_not_match_first_level_wildcards() {
        assert!(!matches("#", "$SYS/broker"));
        assert!(!matches("+/broker", "$SYS/broker"));
        assert!(matches("$SYS/#", "$SYS/broker"));
    }

    #[test]
    fn trailing_slash_is_a_different_topic() {
        // The seed article publishes to `topic + "/notice/"`: an empty last level.
        assert!(!matches("t/notice", "t/notice/"));
        assert!(matches("t/notice/", "t/notice/"));
        assert!(matches("t/notice/+", "t/notice/"));
    }

    #[test]
    fn names_with_wildcards_are_refused() {
        assert_eq!(validate_name("a/+"), Err(TopicError::WildcardInName));
        assert_eq!(validate_name(""), Err(TopicError::Empty));
        assert_eq!(validate_name("a\0b"), Err(TopicError::NulCharacter));
        assert!(validate_name("a/b").is_ok());
    }

    #[test]
    fn filters_with_misplaced_wildcards_are_refused() {
        assert_eq!(
            validate_filter("a/#/b"),
            Err(TopicError::MisplacedMultiLevelWildcard)
        );
        assert_eq!(
            validate_filter("a#"),
            Err(TopicError::MisplacedMultiLevelWildcard)
        );
        assert_eq!(
            validate_filter("a/b+"),
            Err(TopicError::MisplacedSingleLevelWildcard)
        );
        assert!(validate_filter("+/b/#").is_ok());
    }

    #[test]
    fn over_long_topics_are_refused() {
        let long = "a".repeat(65_536);
        assert_eq!(
            validate_name(&long),
            Err(TopicError::TooLong { bytes: 65_536 })
        );
    }
}
