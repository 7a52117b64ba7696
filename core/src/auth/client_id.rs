//! ClientId building and checks: Alibaba's `GroupId@@@DeviceId` rules and MQTT 3.1.1's.

use super::quote_chars;
use crate::text::Bilingual;

/// Separator between GroupId and DeviceId in an Alibaba ClientId.
pub const CLIENT_ID_SEPARATOR: &str = "@@@";

/// Longest Alibaba ClientId, in characters.
pub const ALIYUN_CLIENT_ID_MAX_CHARS: usize = 64;

/// Allowed GroupId lengths in characters (inclusive).
pub const GROUP_ID_CHARS: std::ops::RangeInclusive<usize> = 7..=64;

/// Longest MQTT 3.1.1 ClientId in UTF-8 bytes (a length-prefixed string, 1.5.3).
pub const MQTT_CLIENT_ID_MAX_BYTES: usize = 65_535;

/// One thing wrong with a ClientId.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ClientIdProblem {
    /// Alibaba: the ClientId is empty.
    Empty,
    /// Alibaba: more than 64 characters.
    TooLong {
        /// Length in characters.
        len: usize,
    },
    /// Alibaba: characters other than `0-9 a-z A-Z - _` and the one `@@@`.
    BadCharacters {
        /// The offending characters, each once, in order of appearance.
        chars: Vec<char>,
    },
    /// Alibaba: no `@@@` between GroupId and DeviceId.
    MissingSeparator,
    /// Alibaba: the GroupId does not start with `GID_` or `GID-`.
    GroupIdPrefix,
    /// Alibaba: the GroupId is not 7 to 64 characters long.
    GroupIdLength {
        /// Length in characters.
        len: usize,
    },
    /// Alibaba: nothing after `@@@`.
    EmptyDeviceId,
    /// MQTT 3.1.1: an empty ClientId needs clean session (3.1.3.1).
    EmptyWithoutCleanSession,
    /// MQTT 3.1.1: longer than 65535 UTF-8 bytes.
    TooManyBytes {
        /// Length in UTF-8 bytes.
        bytes: usize,
    },
}

impl ClientIdProblem {
    /// Human text in both languages.
    pub fn text(&self) -> Bilingual {
        match self {
            ClientIdProblem::Empty => Bilingual::new(
                "The ClientId is empty; Alibaba needs GroupId@@@DeviceId, \
                 for example GID_test@@@device1.",
                "ClientId 为空；阿里云要求 GroupId@@@DeviceId 格式，例如 GID_test@@@device1。",
            ),
            ClientIdProblem::TooLong { len } => Bilingual::new(
                format!(
                    "The ClientId has {len} characters; Alibaba allows at most {ALIYUN_CLIENT_ID_MAX_CHARS}."
                ),
                format!("ClientId 有 {len} 个字符；阿里云最多允许 {ALIYUN_CLIENT_ID_MAX_CHARS} 个。"),
            ),
            ClientIdProblem::BadCharacters { chars } => Bilingual::new(
                format!(
                    "The ClientId contains {}; only letters, digits, '-', '_' and one '@@@' are allowed.",
                    quote_chars(chars)
                ),
                format!(
                    "ClientId 含有 {}；只允许字母、数字、“-”、“_”和一个“@@@”。",
                    quote_chars(chars)
                ),
            ),
            ClientIdProblem::MissingSeparator => Bilingual::new(
                "The ClientId has no '@@@'; Alibaba needs \
                 GroupId@@@DeviceId, for example GID_test@@@device1.",
                "ClientId 中没有“@@@”；阿里云要求 GroupId@@@DeviceId 格式，例如 GID_test@@@device1。",
            ),
            ClientIdProblem::GroupIdPrefix => Bilingual::new(
                "The GroupId (before '@@@') must start with GID_ or GID-.",
                "GroupId（“@@@”之前的部分）必须以 GID_ 或 GID- 开头。",
            ),
            ClientIdProblem::GroupIdLength { len } => Bilingual::new(
                format!(
                    "The GroupId has {len} characters; it must have {} to {}.",
                    GROUP_ID_CHARS.start(),
                    GROUP_ID_CHARS.end()
                ),
                format!(
                    "GroupId 有 {len} 个字符；必须为 {} 到 {} 个。",
                    GROUP_ID_CHARS.start(),
                    GROUP_ID_CHARS.end()
                ),
            ),
            ClientIdProblem::EmptyDeviceId => Bilingual::new(
                "The DeviceId (after '@@@') is empty.",
                "DeviceId（“@@@”之后的部分）为空。",
            ),
            ClientIdProblem::EmptyWithoutCleanSession => Bilingual::new(
                "An empty ClientId is allowed only with \
                 clean session: the broker cannot keep a session for a nameless client.",
                "只有在 clean session 时才允许空 ClientId：服务端无法为无名客户端保留会话。",
            ),
            ClientIdProblem::TooManyBytes { bytes } => Bilingual::new(
                format!(
                    "The ClientId is {bytes} bytes in UTF-8; MQTT allows at most {MQTT_CLIENT_ID_MAX_BYTES}."
                ),
                format!(
                    "ClientId 的 UTF-8 编码有 {bytes} 字节；MQTT 最多允许 {MQTT_CLIENT_ID_MAX_BYTES} 字节。"
                ),
            ),
        }
    }
}

/// An Alibaba ClientId from its two parts: `GroupId@@@DeviceId`.
pub fn build_client_id(group_id: &str, device_id: &str) -> String {
    format!("{group_id}{CLIENT_ID_SEPARATOR}{device_id}")
}

/// The GroupId of an Alibaba ClientId: the non-empty part before the first `@@@`.
pub fn group_id(client_id: &str) -> Option<&str> {
    client_id
        .split_once(CLIENT_ID_SEPARATOR)
        .map(|(group, _)| group)
        .filter(|group| !group.is_empty())
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Every way `client_id` breaks Alibaba's ClientId rules (empty when it follows them).
pub fn check_aliyun_client_id(client_id: &str) -> Vec<ClientIdProblem> {
    if client_id.is_empty() {
        return vec![ClientIdProblem::Empty];
    }
    let mut problems = Vec::new();
    let len = client_id.chars().count();
    if len > ALIYUN_CLIENT_ID_MAX_CHARS {
        problems.push(ClientIdProblem::TooLong { len });
    }

    // Only the first "@@@" is the separator; any other '@' is a bad character.
    let split = client_id.split_once(CLIENT_ID_SEPARATOR);
    let mut bad = Vec::new();
    let (group, device) = split.unwrap_or((client_id, ""));
    for c in group.chars().chain(device.chars()) {
        if !allowed(c) && !bad.contains(&c) {
            bad.push(c);
        }
    }
    if !bad.is_empty() {
        problems.push(ClientIdProblem::BadCharacters { chars: bad });
    }

    match split {
        // Without the separator we cannot tell which part was meant, so say only that.
        None => problems.push(ClientIdProblem::MissingSeparator),
        Some((group, device)) => {
            if !(group.starts_with("GID_") || group.starts_with("GID-")) {
                problems.push(ClientIdProblem::GroupIdPrefix);
            }
            let group_len = group.chars().count();
            if !GROUP_ID_CHARS.contains(&group_len) {
                problems.push(ClientIdProblem::GroupIdLength { len: group_len });
            }
            if device.is_empty() {
                problems.push(ClientIdProblem::EmptyDeviceId);
            }
        }
    }
    problems
}

/// Every way `client_id` breaks the MQTT 3.1.1 ClientId rules for any broker.
///
/// `clean_session` is the CONNECT flag: an empty ClientId is valid only with it set.
pub fn check_generic_client_id(client_id: &str, clean_session: bool) -> Vec<ClientIdProblem> {
    let mut problems = Vec::new();
    if client_id.is_empty() && !clean_session {
        problems.push(ClientIdProblem::EmptyWithoutCleanSession);
    }
    if client_id.len() > MQTT_CLIENT_ID_MAX_BYTES {
        problems.push(ClientIdProblem::TooManyBytes {
            bytes: client_id.len(),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_joins_group_and_device_with_the_separator() {
        assert_eq!(build_client_id("GID_test", "device1"), "GID_test@@@device1");
    }

    #[test]
    fn a_well_formed_client_id_has_no_problems() {
        for id in [
            "GID_test@@@device1",
            "GID-Test@@@0001",
            "GID_abc@@@a-b_c",
            "GID_sensor-01@@@x",
        ] {
            assert_eq!(check_aliyun_client_id(id), [], "{id}");
        }
    }

    #[test]
    fn an_empty_client_id_is_reported_alone() {
        assert_eq!(check_aliyun_client_id(""), [ClientIdProblem::Empty]);
    }

    #[test]
    fn more_than_64_characters_is_too_long() {
        let ok = build_client_id("GID_test", &"d".repeat(64 - 11));
        assert_eq!(ok.len(), 64);
        assert_eq!(check_aliyun_client_id(&ok), []);
        let long = format!("{ok}d");
        assert_eq!(
            check_aliyun_client_id(&long),
            [ClientIdProblem::TooLong { len: 65 }]
        );
    }

    #[test]
    fn bad_characters_are_listed_once_each_in_order() {
        assert_eq!(
            check_aliyun_client_id("GID_te st@@@dev/1:2/ "),
            [ClientIdProblem::BadCharacters {
                chars: vec![' ', '/', ':']
            }]
        );
    }

    #[test]
    fn a_second_separator_counts_as_bad_characters() {
        assert_eq!(
            check_aliyun_client_id("GID_test@@@dev@@@1"),
            [ClientIdProblem::BadCharacters { chars: vec!['@'] }]
        );
    }

    #[test]
    fn non_ascii_letters_are_bad_characters() {
        assert_eq!(
            check_aliyun_client_id("GID_test@@@设备"),
            [ClientIdProblem::BadCharacters {
                chars: vec!['设', '备']
            }]
        );
    }

    #[test]
    fn a_client_id_without_separator_is_reported() {
        assert_eq!(
            check_aliyun_client_id("device1"),
            [ClientIdProblem::MissingSeparator]
        );
    }

    #[test]
    fn a_group_id_without_gid_prefix_is_reported() {
        assert_eq!(
            check_aliyun_client_id("group_test@@@device1"),
            [ClientIdProblem::GroupIdPrefix]
        );
        assert_eq!(
            check_aliyun_client_id("gid_test@@@device1"),
            [ClientIdProblem::GroupIdPrefix]
        );
    }

    #[test]
    fn a_group_id_shorter_than_7_characters_is_reported() {
        assert_eq!(
            check_aliyun_client_id("GID_ab@@@device1"),
            [ClientIdProblem::GroupIdLength { len: 6 }]
        );
        assert_eq!(check_aliyun_client_id("GID_abc@@@device1"), []);
    }

    #[test]
    fn a_group_id_longer_than_64_characters_is_reported() {
        let id = build_client_id(&format!("GID_{}", "g".repeat(61)), "d");
        let problems = check_aliyun_client_id(&id);
        assert!(problems.contains(&ClientIdProblem::GroupIdLength { len: 65 }));
        assert!(problems.contains(&ClientIdProblem::TooLong { len: 69 }));
    }

    #[test]
    fn an_empty_device_id_is_reported() {
        assert_eq!(
            check_aliyun_client_id("GID_test@@@"),
            [ClientIdProblem::EmptyDeviceId]
        );
    }

    #[test]
    fn an_empty_group_id_breaks_prefix_and_length() {
        assert_eq!(
            check_aliyun_client_id("@@@device1"),
            [
                ClientIdProblem::GroupIdPrefix,
                ClientIdProblem::GroupIdLength { len: 0 }
            ]
        );
    }

    #[test]
    fn group_id_is_the_part_before_the_first_separator() {
        assert_eq!(group_id("GID_a@@@b@@@c"), Some("GID_a"));
        assert_eq!(group_id("GID_a"), None);
        assert_eq!(group_id("@@@b"), None);
    }

    #[test]
    fn generic_client_id_may_be_empty_only_with_clean_session() {
        assert_eq!(check_generic_client_id("", true), []);
        assert_eq!(
            check_generic_client_id("", false),
            [ClientIdProblem::EmptyWithoutCleanSession]
        );
        assert_eq!(check_generic_client_id("any thing/ü", false), []);
    }

    #[test]
    fn generic_client_id_is_limited_to_65535_utf8_bytes() {
        let max = "a".repeat(MQTT_CLIENT_ID_MAX_BYTES);
        assert_eq!(check_generic_client_id(&max, true), []);
        // 21846 three-byte characters: under the limit in characters, over it in bytes.
        let wide = "设".repeat(21_846);
        assert_eq!(
            check_generic_client_id(&wide, true),
            [ClientIdProblem::TooManyBytes { bytes: 65_538 }]
        );
    }

    #[test]
    fn every_problem_has_english_and_chinese_text() {
        let all = [
            ClientIdProblem::Empty,
            ClientIdProblem::TooLong { len: 70 },
            ClientIdProblem::BadCharacters {
                chars: vec![' ', '/'],
            },
            ClientIdProblem::MissingSeparator,
            ClientIdProblem::GroupIdPrefix,
            ClientIdProblem::GroupIdLength { len: 3 },
            ClientIdProblem::EmptyDeviceId,
            ClientIdProblem::EmptyWithoutCleanSession,
            ClientIdProblem::TooManyBytes { bytes: 70_000 },
        ];
        for problem in all {
            let Bilingual { en, zh } = problem.text();
            assert!(en.is_ascii() && en.ends_with('.'), "{en}");
            assert!(zh.ends_with('。'), "{zh}");
        }
        let bad = ClientIdProblem::BadCharacters {
            chars: vec![' ', '\n'],
        };
        assert!(bad.text().en.contains("' ' '\\n'"));
        assert!(ClientIdProblem::TooLong { len: 70 }
            .text()
            .zh
            .contains("70"));
    }

    proptest::proptest! {
        #[test]
        fn checks_never_panic_and_valid_ids_pass(
            raw in "\\PC{0,80}",
            group in "GID[-_][0-9A-Za-z_-]{3,20}",
            device in "[0-9A-Za-z_-]{1,30}",
        ) {
            let _ = check_aliyun_client_id(&raw);
            let _ = check_generic_client_id(&raw, false);
            proptest::prop_assert_eq!(check_aliyun_client_id(&build_client_id(&group, &device)), vec![]);
        }
    }
}
