//! Why credentials cannot be built, with the form field to highlight and bilingual text.

use crate::text::Bilingual;

/// Why no credentials can be built from an [`AuthInput`](super::AuthInput).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum AuthError {
    /// A signing mode needs the ClientId, which is empty.
    MissingClientId,
    /// Legacy mode signs the GroupId, but the ClientId has no `GroupId@@@` part.
    MissingGroupId,
    /// The AccessKeyId is empty.
    MissingAccessKeyId,
    /// The AccessKeySecret is empty.
    MissingAccessKeySecret,
    /// The DeviceAccessKeyId is empty (DeviceCredential mode).
    MissingDeviceAccessKeyId,
    /// The DeviceAccessKeySecret is empty (DeviceCredential mode).
    MissingDeviceAccessKeySecret,
    /// The instance id is empty.
    MissingInstanceId,
    /// Token mode with neither a read nor a write token.
    MissingToken,
    /// A value that goes into a `|`-joined username or password contains `|` itself.
    PipeInValue {
        /// Form field holding the value.
        field: &'static str,
    },
    /// A password without a username: MQTT 3.1.1 (3.1.2.9) forbids it.
    PasswordWithoutUsername,
}

impl AuthError {
    /// The form field (its `data-testid`) to highlight.
    pub fn field(&self) -> &'static str {
        match self {
            AuthError::MissingClientId | AuthError::MissingGroupId => "client-id",
            AuthError::MissingAccessKeyId | AuthError::MissingDeviceAccessKeyId => "access-key-id",
            AuthError::MissingAccessKeySecret | AuthError::MissingDeviceAccessKeySecret => {
                "access-key-secret"
            }
            AuthError::MissingInstanceId => "instance-id",
            AuthError::MissingToken => "token-read",
            AuthError::PipeInValue { field } => field,
            AuthError::PasswordWithoutUsername => "username",
        }
    }

    /// Human text in both languages.
    pub fn text(&self) -> Bilingual {
        match self {
            AuthError::MissingClientId => Bilingual::new(
                "Enter the ClientId: the password is a signature over it.",
                "请填写 ClientId：密码是对它的签名。",
            ),
            AuthError::MissingGroupId => Bilingual::new(
                "Legacy mode signs the GroupId, but the ClientId has no \
                 GroupId part: write it as GID_xxx@@@DeviceId.",
                "旧版签名对 GroupId 签名，但 ClientId 中没有 GroupId 部分：请写成 GID_xxx@@@DeviceId。",
            ),
            AuthError::MissingAccessKeyId => {
                Bilingual::new("Enter the AccessKeyId.", "请填写 AccessKeyId。")
            }
            AuthError::MissingAccessKeySecret => {
                Bilingual::new("Enter the AccessKeySecret.", "请填写 AccessKeySecret。")
            }
            AuthError::MissingDeviceAccessKeyId => Bilingual::new(
                "Enter the DeviceAccessKeyId of the device credential.",
                "请填写设备凭证的 DeviceAccessKeyId。",
            ),
            AuthError::MissingDeviceAccessKeySecret => Bilingual::new(
                "Enter the DeviceAccessKeySecret of the device credential.",
                "请填写设备凭证的 DeviceAccessKeySecret。",
            ),
            AuthError::MissingInstanceId => Bilingual::new(
                "Enter the instance id (for example post-cn-xxxx).",
                "请填写实例 ID（例如 post-cn-xxxx）。",
            ),
            AuthError::MissingToken => Bilingual::new(
                "Enter a read token, a write token, or both.",
                "请填写读 Token、写 Token 或两者。",
            ),
            AuthError::PipeInValue { field } => Bilingual::new(
                format!(
                    "The {} contains '|', which separates the parts of the username and password.",
                    field_label_en(field)
                ),
                format!(
                    "{}中含有“|”，而“|”用于分隔用户名和密码的各部分。",
                    field_label_zh(field)
                ),
            ),
            AuthError::PasswordWithoutUsername => Bilingual::new(
                "MQTT 3.1.1 allows a password only together with a username.",
                "MQTT 3.1.1 只允许在有用户名时发送密码。",
            ),
        }
    }
}

fn field_label_en(field: &str) -> &'static str {
    match field {
        "access-key-id" => "AccessKeyId",
        "instance-id" => "instance id",
        "token-read" => "read token",
        "token-write" => "write token",
        _ => "value",
    }
}

fn field_label_zh(field: &str) -> &'static str {
    match field {
        "access-key-id" => "AccessKeyId ",
        "instance-id" => "实例 ID ",
        "token-read" => "读 Token ",
        "token-write" => "写 Token ",
        _ => "该值",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_english_and_chinese_text() {
        let all = [
            AuthError::MissingClientId,
            AuthError::MissingGroupId,
            AuthError::MissingAccessKeyId,
            AuthError::MissingAccessKeySecret,
            AuthError::MissingDeviceAccessKeyId,
            AuthError::MissingDeviceAccessKeySecret,
            AuthError::MissingInstanceId,
            AuthError::MissingToken,
            AuthError::PipeInValue {
                field: "access-key-id",
            },
            AuthError::PipeInValue {
                field: "token-read",
            },
            AuthError::PasswordWithoutUsername,
        ];
        for err in all {
            assert!(!err.field().is_empty());
            let Bilingual { en, zh } = err.text();
            assert!(en.is_ascii() && en.ends_with('.'), "{en}");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert_ne!(en, zh);
        }
    }
}
