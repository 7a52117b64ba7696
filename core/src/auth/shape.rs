//! The `auth-shape` diagnostic: credentials that cannot be right, whatever the secret.
//!
//! These are the mistakes behind most "bad username or password" CONNACKs with Alibaba:
//! a username not in the mode's form, a hand-computed password that is not a Base64
//! signature, and signing the GroupId where the full ClientId is expected (or the reverse).

use super::client_id::group_id;
use super::mode::{AuthInput, AuthMode};
use super::signature::{looks_like_signature, sign};
use crate::text::Bilingual;

/// Stable id of the diagnostic rule (the `data-rule` of its findings).
pub const AUTH_SHAPE_RULE: &str = "auth-shape";

/// One shape problem of the auth fields.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ShapeProblem {
    /// The typed username does not have the form `mode` needs.
    UsernameForm {
        /// The mode whose form was expected (selected, or implied by a `Signature|` style username).
        mode: AuthMode,
        /// Another Alibaba mode whose form the username does have, if any.
        looks_like: Option<AuthMode>,
    },
    /// Password mode, signature-style username, but the password cannot be a signature.
    PasswordNotSignature {
        /// Password length in characters.
        len: usize,
        /// The password is 40 hex digits: the HMAC in hex instead of Base64.
        looks_hex: bool,
    },
    /// Password mode, `Token|...` username, but the password is not `R|<token>|W|<token>`.
    TokenPasswordForm,
    /// The password signs the GroupId, but this mode signs the full ClientId.
    SignedGroupIdInsteadOfClientId,
    /// Legacy mode, but the password signs the full ClientId instead of the GroupId.
    SignedClientIdInsteadOfGroupId,
}

impl ShapeProblem {
    /// What is wrong, in both languages.
    pub fn text(&self) -> Bilingual {
        match self {
            ShapeProblem::UsernameForm { mode, .. } => Bilingual::new(
                format!(
                    "In {mode} mode the username must be {}.",
                    mode.username_form().unwrap_or("set")
                ),
                format!(
                    "{mode} 模式下用户名必须为 {}。",
                    mode.username_form().unwrap_or("非空")
                ),
            ),
            ShapeProblem::PasswordNotSignature { len, .. } => Bilingual::new(
                format!(
                    "The username asks for a signature, but the password has {len} characters: \
                     a signature is 28 Base64 characters ending in '='."
                ),
                format!(
                    "用户名要求签名密码，但密码有 {len} 个字符：签名应为 28 个以“=”结尾的 Base64 字符。"
                ),
            ),
            ShapeProblem::TokenPasswordForm => Bilingual::new(
                "The username asks for a token, but the password \
                 is not of the form R|<token>|W|<token>.",
                "用户名要求 Token，但密码不是 R|<token>|W|<token> 格式。",
            ),
            ShapeProblem::SignedGroupIdInsteadOfClientId => Bilingual::new(
                "The password is a signature of the \
                 GroupId only, but this mode signs the full ClientId.",
                "密码是对 GroupId 的签名，但此模式要求对完整 ClientId 签名。",
            ),
            ShapeProblem::SignedClientIdInsteadOfGroupId => Bilingual::new(
                "The password is a signature of the \
                 full ClientId, but legacy mode signs the GroupId only.",
                "密码是对完整 ClientId 的签名，但旧版模式只对 GroupId 签名。",
            ),
        }
    }

    /// How to fix it, in both languages.
    pub fn fix(&self) -> Bilingual {
        match self {
            ShapeProblem::UsernameForm {
                looks_like: Some(other),
                ..
            } => Bilingual::new(
                format!(
                    "The username has the form of {other} mode: switch the mode to {other}, \
                     or clear the username so ackscope builds it."
                ),
                format!(
                    "该用户名符合 {other} 模式的格式：请把模式切换为 {other}，或清空用户名由 ackscope 生成。"
                ),
            ),
            ShapeProblem::UsernameForm { mode, .. } => Bilingual::new(
                format!(
                    "Write it as {}: parts joined by '|', none empty, no spaces, prefix spelled \
                     exactly; in the Alibaba modes you can clear it and let ackscope build it.",
                    mode.username_form().unwrap_or("a non-empty username")
                ),
                format!(
                    "请写成 {}：各部分用“|”连接，不能为空，不含空格，前缀大小写须完全一致；\
                     在阿里云模式下也可以清空，由 ackscope 生成。",
                    mode.username_form().unwrap_or("非空用户名")
                ),
            ),
            ShapeProblem::PasswordNotSignature {
                looks_hex: true, ..
            } => Bilingual::new(
                "This is the HMAC in hex: Base64-encode the raw 20 bytes instead, \
                 or pick the matching Alibaba mode and let ackscope sign.",
                "这是十六进制的 HMAC：请对原始 20 字节做 Base64 编码，或选择对应的阿里云模式由 ackscope 签名。",
            ),
            ShapeProblem::PasswordNotSignature { .. } => Bilingual::new(
                "Use Base64(HmacSHA1(key = secret, \
                 msg = ClientId)), or pick the matching Alibaba mode and let ackscope sign.",
                "请使用 Base64(HmacSHA1(密钥, ClientId))，或选择对应的阿里云模式由 ackscope 签名。",
            ),
            ShapeProblem::TokenPasswordForm => Bilingual::new(
                "Write R|<read token>, W|<write token> or both \
                 joined by '|', or pick aliyun-token mode and fill in the tokens.",
                "请写成 R|<读 Token>、W|<写 Token> 或两者用“|”连接，或选择 aliyun-token 模式并填写 Token。",
            ),
            ShapeProblem::SignedGroupIdInsteadOfClientId => Bilingual::new(
                "Sign the whole GroupId@@@DeviceId, \
                 or switch to aliyun-legacy mode if the broker expects the old scheme.",
                "请对完整的 GroupId@@@DeviceId 签名；若服务端使用旧方式，请切换到 aliyun-legacy 模式。",
            ),
            ShapeProblem::SignedClientIdInsteadOfGroupId => Bilingual::new(
                "Sign only the GroupId (the part \
                 before '@@@'), or switch to aliyun-signature mode.",
                "请只对 GroupId（“@@@”之前的部分）签名，或切换到 aliyun-signature 模式。",
            ),
        }
    }
}

/// The Alibaba mode a typed username asks for, from its `Prefix|` (any letter case).
fn implied_mode(username: &str) -> Option<AuthMode> {
    let (prefix, _) = username.split_once('|')?;
    [
        AuthMode::AliyunSignature,
        AuthMode::AliyunToken,
        AuthMode::AliyunDeviceCredential,
    ]
    .into_iter()
    .find(|mode| {
        mode.username_prefix()
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix.trim()))
    })
}

/// True when `username` has exactly the form `mode` needs.
fn has_form(mode: AuthMode, username: &str) -> bool {
    let clean = |part: &str| !part.is_empty() && !part.chars().any(char::is_whitespace);
    match mode.username_prefix() {
        Some(prefix) => {
            let parts: Vec<&str> = username.split('|').collect();
            parts.len() == 3 && parts[0] == prefix && parts[1..].iter().all(|p| clean(p))
        }
        // Legacy: the bare AccessKeyId.
        None => clean(username) && !username.contains('|'),
    }
}

/// True for `R|<token>`, `W|<token>` or both, in either order, each at most once.
fn is_token_password(password: &str) -> bool {
    let parts: Vec<&str> = password.split('|').collect();
    if parts.len() % 2 != 0 || parts.len() > 4 {
        return false;
    }
    let kinds: Vec<&str> = parts.iter().step_by(2).copied().collect();
    let kinds_ok =
        kinds.iter().all(|k| *k == "R" || *k == "W") && !(kinds.len() == 2 && kinds[0] == kinds[1]);
    let tokens_ok = parts
        .iter()
        .skip(1)
        .step_by(2)
        .all(|t| !t.trim().is_empty());
    kinds_ok && tokens_ok
}

fn looks_hex(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every shape problem of `input` (empty when nothing looks wrong).
///
/// In the Alibaba modes the username and password fields are normally empty (ackscope builds
/// them); when the user typed them anyway they are checked against the mode. In
/// [`AuthMode::Password`] the username's `Signature|`, `Token|` or `DeviceCredential|`
/// prefix says which Alibaba form the hand-made credentials must have.
pub fn check_shape(input: &AuthInput) -> Vec<ShapeProblem> {
    let mut problems = Vec::new();
    let typed_password = input.mode == AuthMode::Password;
    let mode = match input.mode {
        AuthMode::None => return problems,
        AuthMode::Password => match implied_mode(&input.username) {
            Some(mode) => mode,
            None => return problems,
        },
        mode => mode,
    };

    let username = input.username.as_str();
    if !username.is_empty() && !has_form(mode, username) {
        let key_id = input.access_key_id.trim();
        let looks_like = implied_mode(username)
            .filter(|other| has_form(*other, username))
            .or_else(|| {
                // A bare key id in a prefixed mode is the legacy form.
                (!key_id.is_empty() && username.trim() == key_id).then_some(AuthMode::AliyunLegacy)
            })
            .filter(|other| *other != mode);
        problems.push(ShapeProblem::UsernameForm { mode, looks_like });
    }

    let password = input.password.trim();
    if typed_password {
        match mode {
            AuthMode::AliyunToken if !is_token_password(password) => {
                problems.push(ShapeProblem::TokenPasswordForm);
            }
            AuthMode::AliyunSignature | AuthMode::AliyunDeviceCredential
                if !looks_like_signature(password) =>
            {
                problems.push(ShapeProblem::PasswordNotSignature {
                    len: password.chars().count(),
                    looks_hex: looks_hex(password),
                });
            }
            _ => {}
        }
    }

    // Only a known secret can tell which text a typed password signs.
    let secret = input.access_key_secret.trim();
    let group = group_id(&input.client_id).filter(|_| !password.is_empty() && !secret.is_empty());
    if let Some(group) = group {
        match mode {
            AuthMode::AliyunSignature | AuthMode::AliyunDeviceCredential
                if sign(secret, group).password == password =>
            {
                problems.push(ShapeProblem::SignedGroupIdInsteadOfClientId);
            }
            AuthMode::AliyunLegacy if sign(secret, &input.client_id).password == password => {
                problems.push(ShapeProblem::SignedClientIdInsteadOfGroupId);
            }
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sign("secret", "GID_test@@@device1")`: right for signature mode.
    const FULL: &str = "NW5TXLVdZ6euy8PHOr5pOHx1NjY=";
    /// `sign("secret", "GID_test")`: right for legacy mode.
    const GROUP: &str = "7s7KTrjYpV6QqvpQU9tAgXOpkn0=";

    fn input(mode: AuthMode, username: &str, password: &str) -> AuthInput {
        AuthInput {
            mode,
            client_id: "GID_test@@@device1".into(),
            username: username.into(),
            password: password.into(),
            access_key_id: "LTAIkey".into(),
            access_key_secret: "secret".into(),
            instance_id: "post-cn-abc".into(),
            ..AuthInput::default()
        }
    }

    #[test]
    fn the_rule_id_is_auth_shape() {
        assert_eq!(AUTH_SHAPE_RULE, "auth-shape");
    }

    #[test]
    fn aliyun_modes_with_empty_username_and_password_are_silent() {
        for mode in AuthMode::ALL {
            assert_eq!(check_shape(&input(mode, "", "")), [], "{mode}");
        }
    }

    #[test]
    fn right_hand_made_signature_credentials_are_silent() {
        let ok = input(AuthMode::Password, "Signature|LTAIkey|post-cn-abc", FULL);
        assert_eq!(check_shape(&ok), []);
        let device = input(AuthMode::Password, "DeviceCredential|dev|post-cn-abc", FULL);
        assert_eq!(check_shape(&device), []);
    }

    #[test]
    fn plain_password_mode_is_never_checked() {
        let plain = input(AuthMode::Password, "alice", "hunter2");
        assert_eq!(check_shape(&plain), []);
    }

    #[test]
    fn a_username_of_the_modes_form_is_silent() {
        let typed = input(AuthMode::AliyunToken, "Token|LTAIkey|post-cn-abc", "");
        assert_eq!(check_shape(&typed), []);
        let legacy = input(AuthMode::AliyunLegacy, "LTAIkey", "");
        assert_eq!(check_shape(&legacy), []);
    }

    #[test]
    fn a_bare_key_id_in_signature_mode_points_to_legacy_mode() {
        let problems = check_shape(&input(AuthMode::AliyunSignature, "LTAIkey", ""));
        assert_eq!(
            problems,
            [ShapeProblem::UsernameForm {
                mode: AuthMode::AliyunSignature,
                looks_like: Some(AuthMode::AliyunLegacy)
            }]
        );
        assert!(problems[0].fix().en.contains("aliyun-legacy"));
        assert!(problems[0]
            .text()
            .en
            .contains("Signature|AccessKeyId|InstanceId"));
    }

    #[test]
    fn a_signature_username_in_legacy_mode_points_to_signature_mode() {
        let typed = input(AuthMode::AliyunLegacy, "Signature|LTAIkey|post-cn-abc", "");
        assert_eq!(
            check_shape(&typed),
            [ShapeProblem::UsernameForm {
                mode: AuthMode::AliyunLegacy,
                looks_like: Some(AuthMode::AliyunSignature)
            }]
        );
    }

    #[test]
    fn a_username_with_a_missing_part_or_wrong_case_is_reported() {
        for username in [
            "Signature|LTAIkey",
            "Signature|LTAIkey|",
            "signature|LTAIkey|post-cn-abc",
            "Signature|LTAIkey|post-cn-abc ",
            "Signature|LTAIkey|post-cn-abc|x",
        ] {
            let problems = check_shape(&input(AuthMode::Password, username, FULL));
            assert_eq!(
                problems,
                [ShapeProblem::UsernameForm {
                    mode: AuthMode::AliyunSignature,
                    looks_like: None
                }],
                "{username:?}"
            );
        }
    }

    #[test]
    fn a_hand_made_password_that_is_not_base64_is_reported() {
        let problems = check_shape(&input(
            AuthMode::Password,
            "Signature|LTAIkey|post-cn-abc",
            "secret",
        ));
        assert_eq!(
            problems,
            [ShapeProblem::PasswordNotSignature {
                len: 6,
                looks_hex: false
            }]
        );
    }

    #[test]
    fn a_hex_hmac_password_is_recognised_as_hex() {
        let problems = check_shape(&input(
            AuthMode::Password,
            "DeviceCredential|dev|post-cn-abc",
            "356e535cb55d67a7aecbc3c73abe69387c753636",
        ));
        assert_eq!(
            problems,
            [ShapeProblem::PasswordNotSignature {
                len: 40,
                looks_hex: true
            }]
        );
        assert!(problems[0].fix().en.contains("hex"));
    }

    #[test]
    fn a_password_typed_in_a_signing_mode_is_not_shape_checked() {
        // The brief: shape of the password matters only when it is sent as typed.
        let typed = input(AuthMode::AliyunSignature, "", "whatever");
        assert_eq!(check_shape(&typed), []);
    }

    #[test]
    fn a_hand_made_token_password_must_have_the_token_form() {
        let user = "Token|LTAIkey|post-cn-abc";
        for good in ["R|abc", "W|abc", "R|abc|W|def", "W|def|R|abc"] {
            assert_eq!(
                check_shape(&input(AuthMode::Password, user, good)),
                [],
                "{good}"
            );
        }
        for bad in [
            "",
            "abc",
            "R|",
            "R|abc|W",
            "R|a|R|b",
            "X|abc",
            "R|a|W|b|R|c",
        ] {
            assert_eq!(
                check_shape(&input(AuthMode::Password, user, bad)),
                [ShapeProblem::TokenPasswordForm],
                "{bad:?}"
            );
        }
    }

    #[test]
    fn signature_mode_detects_a_password_signed_over_the_group_id() {
        let typed = input(AuthMode::AliyunSignature, "", GROUP);
        assert_eq!(
            check_shape(&typed),
            [ShapeProblem::SignedGroupIdInsteadOfClientId]
        );
        let device = input(AuthMode::AliyunDeviceCredential, "", GROUP);
        assert_eq!(
            check_shape(&device),
            [ShapeProblem::SignedGroupIdInsteadOfClientId]
        );
    }

    #[test]
    fn hand_made_signature_credentials_signed_over_the_group_id_are_detected() {
        let typed = input(AuthMode::Password, "Signature|LTAIkey|post-cn-abc", GROUP);
        assert_eq!(
            check_shape(&typed),
            [ShapeProblem::SignedGroupIdInsteadOfClientId]
        );
    }

    #[test]
    fn legacy_mode_detects_a_password_signed_over_the_full_client_id() {
        let typed = input(AuthMode::AliyunLegacy, "", &format!("{FULL}\n"));
        assert_eq!(
            check_shape(&typed),
            [ShapeProblem::SignedClientIdInsteadOfGroupId]
        );
    }

    #[test]
    fn the_right_signature_for_each_mode_is_silent() {
        assert_eq!(check_shape(&input(AuthMode::AliyunSignature, "", FULL)), []);
        assert_eq!(check_shape(&input(AuthMode::AliyunLegacy, "", GROUP)), []);
    }

    #[test]
    fn the_mix_up_check_stays_silent_without_a_secret_or_group_id() {
        let mut no_secret = input(AuthMode::AliyunSignature, "", GROUP);
        no_secret.access_key_secret.clear();
        assert_eq!(check_shape(&no_secret), []);
        let mut no_group = input(AuthMode::AliyunLegacy, "", FULL);
        no_group.client_id = "device1".into();
        assert_eq!(check_shape(&no_group), []);
    }

    #[test]
    fn every_problem_has_message_and_fix_in_both_languages() {
        let all = [
            ShapeProblem::UsernameForm {
                mode: AuthMode::AliyunToken,
                looks_like: None,
            },
            ShapeProblem::UsernameForm {
                mode: AuthMode::AliyunToken,
                looks_like: Some(AuthMode::AliyunSignature),
            },
            ShapeProblem::PasswordNotSignature {
                len: 3,
                looks_hex: false,
            },
            ShapeProblem::PasswordNotSignature {
                len: 40,
                looks_hex: true,
            },
            ShapeProblem::TokenPasswordForm,
            ShapeProblem::SignedGroupIdInsteadOfClientId,
            ShapeProblem::SignedClientIdInsteadOfGroupId,
        ];
        for problem in all {
            let (text, fix) = (problem.text(), problem.fix());
            for en in [text.en, fix.en] {
                assert!(en.is_ascii() && en.ends_with('.'), "{en}");
            }
            for zh in [text.zh, fix.zh] {
                assert!(zh.ends_with('。'), "{zh}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn shape_check_never_panics(
            mode in 0..AuthMode::ALL.len(),
            client_id in "[ -~密@|]{0,24}",
            username in "([Ss]ignature|Token|DeviceCredential)?[|]?[ -~密]{0,20}",
            password in "[ -~密=]{0,40}",
            secret in "[ -~]{0,8}",
        ) {
            let input = AuthInput {
                mode: AuthMode::ALL[mode],
                client_id,
                username,
                password,
                access_key_secret: secret,
                ..AuthInput::default()
            };
            let _ = check_shape(&input);
        }
    }
}
