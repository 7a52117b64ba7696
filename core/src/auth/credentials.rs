//! Turning the form's fields into the CONNECT username and password.

use super::client_id::group_id;
use super::error::AuthError;
use super::mode::{AuthInput, AuthMode};
use super::signature::{sign, SignatureSteps};

/// The username and password the CONNECT packet will carry.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Credentials {
    /// CONNECT username, absent when `None`.
    pub username: Option<String>,
    /// CONNECT password, absent when `None`.
    pub password: Option<String>,
    /// How the password was signed, in the signing modes.
    pub steps: Option<SignatureSteps>,
}

/// Every reason `input` cannot produce credentials, in form order (empty when it can).
///
/// Lets the UI mark all missing fields at once; [`credentials`] reports the first.
pub fn auth_errors(input: &AuthInput) -> Vec<AuthError> {
    let mut errors = Vec::new();
    let mode = input.mode;
    let key_id = input.access_key_id.trim();
    let secret = input.access_key_secret.trim();
    let instance = input.instance_id.trim();
    let device = mode == AuthMode::AliyunDeviceCredential;

    match mode {
        AuthMode::None => {}
        AuthMode::Password => {
            if input.username.is_empty() && !input.password.is_empty() {
                errors.push(AuthError::PasswordWithoutUsername);
            }
        }
        AuthMode::AliyunSignature | AuthMode::AliyunLegacy | AuthMode::AliyunDeviceCredential => {
            if input.client_id.is_empty() {
                errors.push(AuthError::MissingClientId);
            } else if mode == AuthMode::AliyunLegacy && group_id(&input.client_id).is_none() {
                errors.push(AuthError::MissingGroupId);
            }
            if key_id.is_empty() {
                errors.push(if device {
                    AuthError::MissingDeviceAccessKeyId
                } else {
                    AuthError::MissingAccessKeyId
                });
            }
            if secret.is_empty() {
                errors.push(if device {
                    AuthError::MissingDeviceAccessKeySecret
                } else {
                    AuthError::MissingAccessKeySecret
                });
            }
            if mode != AuthMode::AliyunLegacy && instance.is_empty() {
                errors.push(AuthError::MissingInstanceId);
            }
        }
        AuthMode::AliyunToken => {
            if key_id.is_empty() {
                errors.push(AuthError::MissingAccessKeyId);
            }
            if instance.is_empty() {
                errors.push(AuthError::MissingInstanceId);
            }
            if input.token_read.trim().is_empty() && input.token_write.trim().is_empty() {
                errors.push(AuthError::MissingToken);
            }
        }
    }

    // A '|' inside a part would shift every later part: the broker would read garbage.
    if mode.username_prefix().is_some() {
        for (field, value) in [("access-key-id", key_id), ("instance-id", instance)] {
            if value.contains('|') {
                errors.push(AuthError::PipeInValue { field });
            }
        }
    }
    if mode == AuthMode::AliyunToken {
        for (field, value) in [
            ("token-read", &input.token_read),
            ("token-write", &input.token_write),
        ] {
            if value.contains('|') {
                errors.push(AuthError::PipeInValue { field });
            }
        }
    }
    errors
}

/// The CONNECT username and password for `input`, or the first thing that is missing.
///
/// Surrounding whitespace of AccessKeyId, secret, instance id and tokens is ignored: these
/// never contain spaces, and a trailing newline pasted from the console is a classic cause
/// of "bad username or password". The ClientId is signed exactly as given, because it must
/// match the one in CONNECT byte for byte.
pub fn credentials(input: &AuthInput) -> Result<Credentials, AuthError> {
    if let Some(first) = auth_errors(input).into_iter().next() {
        return Err(first);
    }
    let key_id = input.access_key_id.trim();
    let secret = input.access_key_secret.trim();
    let instance = input.instance_id.trim();

    let signed = |prefix: Option<&str>, text: &str| {
        let steps = sign(secret, text);
        let username = match prefix {
            Some(prefix) => format!("{prefix}|{key_id}|{instance}"),
            None => key_id.to_owned(),
        };
        Credentials {
            username: Some(username),
            password: Some(steps.password.clone()),
            steps: Some(steps),
        }
    };

    Ok(match input.mode {
        AuthMode::None => Credentials::default(),
        AuthMode::Password => Credentials {
            username: non_empty(&input.username),
            password: non_empty(&input.password),
            steps: None,
        },
        AuthMode::AliyunSignature | AuthMode::AliyunDeviceCredential => {
            signed(input.mode.username_prefix(), &input.client_id)
        }
        // `auth_errors` already refused a ClientId without a GroupId.
        AuthMode::AliyunLegacy => signed(None, group_id(&input.client_id).unwrap_or_default()),
        AuthMode::AliyunToken => {
            let mut parts = Vec::new();
            for (kind, token) in [("R", &input.token_read), ("W", &input.token_write)] {
                let token = token.trim();
                if !token.is_empty() {
                    parts.push(format!("{kind}|{token}"));
                }
            }
            Credentials {
                username: Some(format!("Token|{key_id}|{instance}")),
                password: Some(parts.join("|")),
                steps: None,
            }
        }
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliyun(mode: AuthMode) -> AuthInput {
        AuthInput {
            mode,
            client_id: "GID_test@@@device1".into(),
            access_key_id: "LTAIkey".into(),
            access_key_secret: "secret".into(),
            instance_id: "post-cn-abc".into(),
            ..AuthInput::default()
        }
    }

    fn token_input(read: &str, write: &str) -> AuthInput {
        AuthInput {
            token_read: read.into(),
            token_write: write.into(),
            ..aliyun(AuthMode::AliyunToken)
        }
    }

    #[test]
    fn signature_mode_signs_the_full_client_id() {
        let creds = credentials(&aliyun(AuthMode::AliyunSignature)).unwrap();
        assert_eq!(
            creds.username.as_deref(),
            Some("Signature|LTAIkey|post-cn-abc")
        );
        assert_eq!(
            creds.password.as_deref(),
            Some("NW5TXLVdZ6euy8PHOr5pOHx1NjY=")
        );
        assert_eq!(creds.steps.unwrap().string_to_sign, "GID_test@@@device1");
    }

    #[test]
    fn legacy_mode_signs_only_the_group_id_and_sends_the_bare_key_id() {
        let creds = credentials(&aliyun(AuthMode::AliyunLegacy)).unwrap();
        assert_eq!(creds.username.as_deref(), Some("LTAIkey"));
        assert_eq!(
            creds.password.as_deref(),
            Some("7s7KTrjYpV6QqvpQU9tAgXOpkn0=")
        );
        assert_eq!(creds.steps.unwrap().string_to_sign, "GID_test");
    }

    #[test]
    fn legacy_mode_does_not_need_an_instance_id() {
        let input = AuthInput {
            instance_id: String::new(),
            ..aliyun(AuthMode::AliyunLegacy)
        };
        assert!(credentials(&input).is_ok());
    }

    #[test]
    fn device_credential_mode_signs_the_full_client_id_with_the_device_secret() {
        let input = AuthInput {
            client_id: "GID_Test@@@0001".into(),
            access_key_id: "devKey".into(),
            access_key_secret: "XXXXX".into(),
            ..aliyun(AuthMode::AliyunDeviceCredential)
        };
        let creds = credentials(&input).unwrap();
        assert_eq!(
            creds.username.as_deref(),
            Some("DeviceCredential|devKey|post-cn-abc")
        );
        assert_eq!(
            creds.password.as_deref(),
            Some("vI009IZJZVGRwBwZvnbwjfuXxVM=")
        );
    }

    #[test]
    fn token_mode_sends_read_and_write_tokens() {
        let creds = credentials(&token_input("rtok", "wtok")).unwrap();
        assert_eq!(creds.username.as_deref(), Some("Token|LTAIkey|post-cn-abc"));
        assert_eq!(creds.password.as_deref(), Some("R|rtok|W|wtok"));
        assert_eq!(creds.steps, None);
    }

    #[test]
    fn token_mode_accepts_a_single_token() {
        let read = credentials(&token_input("rtok", "")).unwrap();
        assert_eq!(read.password.as_deref(), Some("R|rtok"));
        let write = credentials(&token_input(" ", "wtok")).unwrap();
        assert_eq!(write.password.as_deref(), Some("W|wtok"));
    }

    #[test]
    fn token_mode_does_not_need_a_client_id_or_secret() {
        let input = AuthInput {
            client_id: String::new(),
            access_key_secret: String::new(),
            ..token_input("rtok", "")
        };
        assert!(credentials(&input).is_ok());
    }

    #[test]
    fn token_mode_without_any_token_is_an_error() {
        assert_eq!(
            credentials(&token_input("", "")),
            Err(AuthError::MissingToken)
        );
    }

    #[test]
    fn pasted_whitespace_around_keys_is_ignored() {
        let input = AuthInput {
            access_key_id: " LTAIkey\n".into(),
            access_key_secret: "secret\n".into(),
            instance_id: "post-cn-abc ".into(),
            ..aliyun(AuthMode::AliyunSignature)
        };
        assert_eq!(
            credentials(&input),
            credentials(&aliyun(AuthMode::AliyunSignature))
        );
    }

    #[test]
    fn password_mode_sends_exactly_what_was_typed() {
        let input = AuthInput {
            mode: AuthMode::Password,
            username: "user".into(),
            password: " p w ".into(),
            ..AuthInput::default()
        };
        let creds = credentials(&input).unwrap();
        assert_eq!(creds.username.as_deref(), Some("user"));
        assert_eq!(creds.password.as_deref(), Some(" p w "));
    }

    #[test]
    fn password_mode_leaves_out_empty_fields() {
        let only_user = AuthInput {
            mode: AuthMode::Password,
            username: "user".into(),
            ..AuthInput::default()
        };
        assert_eq!(credentials(&only_user).unwrap().password, None);
        let nothing = AuthInput {
            mode: AuthMode::Password,
            ..AuthInput::default()
        };
        assert_eq!(credentials(&nothing), Ok(Credentials::default()));
    }

    #[test]
    fn mode_none_sends_no_credentials_even_when_fields_are_filled() {
        let input = AuthInput {
            mode: AuthMode::None,
            username: "user".into(),
            password: "pw".into(),
            ..aliyun(AuthMode::None)
        };
        assert_eq!(credentials(&input), Ok(Credentials::default()));
    }

    #[test]
    fn a_missing_client_id_is_reported_on_the_client_id_field() {
        for mode in [
            AuthMode::AliyunSignature,
            AuthMode::AliyunLegacy,
            AuthMode::AliyunDeviceCredential,
        ] {
            let input = AuthInput {
                client_id: String::new(),
                ..aliyun(mode)
            };
            let err = credentials(&input).unwrap_err();
            assert_eq!(err, AuthError::MissingClientId);
            assert_eq!(err.field(), "client-id");
        }
    }

    #[test]
    fn legacy_mode_without_a_group_id_is_an_error() {
        for client_id in ["device1", "@@@device1"] {
            let input = AuthInput {
                client_id: client_id.into(),
                ..aliyun(AuthMode::AliyunLegacy)
            };
            let err = credentials(&input).unwrap_err();
            assert_eq!(err, AuthError::MissingGroupId);
            assert_eq!(err.field(), "client-id");
        }
    }

    #[test]
    fn a_missing_access_key_id_is_reported() {
        let input = AuthInput {
            access_key_id: "  ".into(),
            ..aliyun(AuthMode::AliyunSignature)
        };
        let err = credentials(&input).unwrap_err();
        assert_eq!(err, AuthError::MissingAccessKeyId);
        assert_eq!(err.field(), "access-key-id");
    }

    #[test]
    fn a_missing_access_key_secret_is_reported() {
        let input = AuthInput {
            access_key_secret: String::new(),
            ..aliyun(AuthMode::AliyunLegacy)
        };
        let err = credentials(&input).unwrap_err();
        assert_eq!(err, AuthError::MissingAccessKeySecret);
        assert_eq!(err.field(), "access-key-secret");
    }

    #[test]
    fn device_credential_mode_names_the_device_key_pair() {
        let input = AuthInput {
            access_key_id: String::new(),
            access_key_secret: String::new(),
            ..aliyun(AuthMode::AliyunDeviceCredential)
        };
        let errors = auth_errors(&input);
        assert_eq!(
            errors,
            [
                AuthError::MissingDeviceAccessKeyId,
                AuthError::MissingDeviceAccessKeySecret
            ]
        );
        assert_eq!(errors[0].field(), "access-key-id");
        assert_eq!(errors[1].field(), "access-key-secret");
        assert!(errors[0].text().en.contains("DeviceAccessKeyId"));
    }

    #[test]
    fn a_missing_instance_id_is_reported() {
        let input = AuthInput {
            instance_id: String::new(),
            ..aliyun(AuthMode::AliyunSignature)
        };
        let err = credentials(&input).unwrap_err();
        assert_eq!(err, AuthError::MissingInstanceId);
        assert_eq!(err.field(), "instance-id");
    }

    #[test]
    fn all_missing_fields_are_listed_in_form_order() {
        let input = AuthInput {
            mode: AuthMode::AliyunSignature,
            ..AuthInput::default()
        };
        assert_eq!(
            auth_errors(&input),
            [
                AuthError::MissingClientId,
                AuthError::MissingAccessKeyId,
                AuthError::MissingAccessKeySecret,
                AuthError::MissingInstanceId
            ]
        );
    }

    #[test]
    fn a_pipe_inside_a_username_part_is_refused() {
        let input = AuthInput {
            instance_id: "post|cn".into(),
            ..aliyun(AuthMode::AliyunSignature)
        };
        let err = credentials(&input).unwrap_err();
        assert_eq!(
            err,
            AuthError::PipeInValue {
                field: "instance-id"
            }
        );
        assert_eq!(err.field(), "instance-id");
        assert!(err.text().en.contains("instance id"));
    }

    #[test]
    fn a_pipe_inside_a_token_is_refused() {
        let err = credentials(&token_input("", "w|tok")).unwrap_err();
        assert_eq!(err.field(), "token-write");
    }

    #[test]
    fn legacy_mode_ignores_a_pipe_in_the_unused_instance_id() {
        // The legacy username is the bare key id: no '|' joins, so no '|' rule applies.
        let input = AuthInput {
            instance_id: "a|b".into(),
            ..aliyun(AuthMode::AliyunLegacy)
        };
        assert!(credentials(&input).is_ok());
    }

    #[test]
    fn a_password_without_username_is_refused_as_mqtt_forbids_it() {
        let input = AuthInput {
            mode: AuthMode::Password,
            password: "pw".into(),
            ..AuthInput::default()
        };
        let err = credentials(&input).unwrap_err();
        assert_eq!(err, AuthError::PasswordWithoutUsername);
        assert_eq!(err.field(), "username");
    }

    fn any_input() -> impl proptest::strategy::Strategy<Value = AuthInput> {
        use proptest::prelude::*;
        let text = || "[ -~\\n密@|]{0,12}";
        (
            0..AuthMode::ALL.len(),
            [
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
            ],
        )
            .prop_map(|(mode, [c, u, p, k, s, i, r, w])| AuthInput {
                mode: AuthMode::ALL[mode],
                client_id: c,
                username: u,
                password: p,
                access_key_id: k,
                access_key_secret: s,
                instance_id: i,
                token_read: r,
                token_write: w,
            })
    }

    proptest::proptest! {
        #[test]
        fn credentials_exist_exactly_when_nothing_is_missing(input in any_input()) {
            let errors = auth_errors(&input);
            match credentials(&input) {
                Ok(_) => proptest::prop_assert!(errors.is_empty()),
                Err(err) => proptest::prop_assert_eq!(Some(&err), errors.first()),
            }
        }
    }
}
