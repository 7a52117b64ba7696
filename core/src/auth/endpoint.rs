//! The Alibaba WebSocket endpoint URL from whatever the user pasted as the host.

use super::quote_chars;
use crate::text::Bilingual;

/// Why no endpoint URL can be built from the host field.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum EndpointError {
    /// Nothing left once scheme, port and path are removed.
    Empty,
    /// The host contains spaces or other whitespace.
    Whitespace,
    /// The host contains characters a host name cannot have.
    BadCharacters {
        /// The offending characters, each once, in order of appearance.
        chars: Vec<char>,
    },
    /// The host has an empty label: a leading, trailing or doubled dot.
    EmptyLabel,
}

impl EndpointError {
    /// Human text in both languages.
    pub fn text(&self) -> Bilingual {
        match self {
            EndpointError::Empty => Bilingual::new(
                "Enter the broker host, for example post-cn-xxxx.mqtt.aliyuncs.com.",
                "请填写接入点域名，例如 post-cn-xxxx.mqtt.aliyuncs.com。",
            ),
            EndpointError::Whitespace => {
                Bilingual::new("The broker host contains spaces.", "接入点域名中含有空格。")
            }
            EndpointError::BadCharacters { chars } => Bilingual::new(
                format!(
                    "The broker host contains {}; only letters, digits, '-', '_' and '.' are allowed.",
                    quote_chars(chars)
                ),
                format!(
                    "接入点域名中含有 {}；只允许字母、数字、“-”、“_”和“.”。",
                    quote_chars(chars)
                ),
            ),
            EndpointError::EmptyLabel => Bilingual::new(
                "The broker host has an empty part between dots.",
                "接入点域名中两个点之间为空。",
            ),
        }
    }
}

/// The bare host name from what the user pasted: trimmed, with any `scheme://`, `:port`,
/// `/path`, `?query` and `#fragment` removed and ASCII letters lowercased.
///
/// IPv6 literals are not supported: Alibaba endpoints are always DNS names.
pub fn normalize_host(input: &str) -> Result<String, EndpointError> {
    let mut host = input.trim();
    if let Some((_, rest)) = host.split_once("://") {
        host = rest;
    }
    if let Some(end) = host.find(['/', '?', '#']) {
        host = &host[..end];
    }
    // Strip a port only when it is all digits, so "host:abc" is reported, not hidden.
    if let Some((name, port)) = host.rsplit_once(':') {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            host = name;
        }
    }
    if host.is_empty() {
        return Err(EndpointError::Empty);
    }
    if host.chars().any(char::is_whitespace) {
        return Err(EndpointError::Whitespace);
    }
    let mut bad = Vec::new();
    for c in host.chars() {
        let ok = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if !ok && !bad.contains(&c) {
            bad.push(c);
        }
    }
    if !bad.is_empty() {
        return Err(EndpointError::BadCharacters { chars: bad });
    }
    if host.split('.').any(str::is_empty) {
        return Err(EndpointError::EmptyLabel);
    }
    Ok(host.to_ascii_lowercase())
}

/// The WebSocket URL for an Alibaba broker host: `ws://HOST:80/mqtt`, or
/// `wss://HOST:443/mqtt` when `secure`.
///
/// `secure` decides the scheme and port even when the pasted text had others: Alibaba
/// listens only on 80 (ws) and 443 (wss), always at `/mqtt`.
pub fn endpoint_url(host: &str, secure: bool) -> Result<String, EndpointError> {
    let host = normalize_host(host)?;
    Ok(if secure {
        format!("wss://{host}:443/mqtt")
    } else {
        format!("ws://{host}:80/mqtt")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "post-cn-abc.mqtt.aliyuncs.com";

    #[test]
    fn a_bare_host_becomes_ws_on_80_or_wss_on_443() {
        assert_eq!(
            endpoint_url(HOST, false).as_deref(),
            Ok("ws://post-cn-abc.mqtt.aliyuncs.com:80/mqtt")
        );
        assert_eq!(
            endpoint_url(HOST, true).as_deref(),
            Ok("wss://post-cn-abc.mqtt.aliyuncs.com:443/mqtt")
        );
    }

    #[test]
    fn pasted_scheme_port_path_and_whitespace_are_stripped() {
        for pasted in [
            "  post-cn-abc.mqtt.aliyuncs.com\n",
            "wss://post-cn-abc.mqtt.aliyuncs.com:443/mqtt",
            "ws://post-cn-abc.mqtt.aliyuncs.com:80/mqtt?x=1",
            "tcp://post-cn-abc.mqtt.aliyuncs.com:1883",
            "post-cn-abc.mqtt.aliyuncs.com/",
            "post-cn-abc.mqtt.aliyuncs.com:",
            "POST-CN-ABC.mqtt.aliyuncs.com#top",
        ] {
            assert_eq!(normalize_host(pasted).as_deref(), Ok(HOST), "{pasted:?}");
        }
    }

    #[test]
    fn the_secure_flag_wins_over_a_pasted_scheme() {
        assert_eq!(
            endpoint_url("wss://host.example", false).as_deref(),
            Ok("ws://host.example:80/mqtt")
        );
    }

    #[test]
    fn an_empty_host_is_an_error() {
        for pasted in ["", "   ", "wss://", "wss://:443/mqtt", "/mqtt"] {
            assert_eq!(
                endpoint_url(pasted, true),
                Err(EndpointError::Empty),
                "{pasted:?}"
            );
        }
    }

    #[test]
    fn a_host_with_spaces_is_an_error() {
        assert_eq!(
            endpoint_url("post-cn-abc .mqtt.aliyuncs.com", true),
            Err(EndpointError::Whitespace)
        );
    }

    #[test]
    fn a_host_with_invalid_characters_is_an_error() {
        assert_eq!(
            endpoint_url("user@host:abc", true),
            Err(EndpointError::BadCharacters {
                chars: vec!['@', ':']
            })
        );
        assert_eq!(
            endpoint_url("主机.example", true),
            Err(EndpointError::BadCharacters {
                chars: vec!['主', '机']
            })
        );
    }

    #[test]
    fn a_host_with_an_empty_label_is_an_error() {
        for pasted in [".host", "host..example", "host."] {
            assert_eq!(
                endpoint_url(pasted, true),
                Err(EndpointError::EmptyLabel),
                "{pasted:?}"
            );
        }
    }

    #[test]
    fn every_endpoint_error_has_english_and_chinese_text() {
        for err in [
            EndpointError::Empty,
            EndpointError::Whitespace,
            EndpointError::BadCharacters { chars: vec!['@'] },
            EndpointError::EmptyLabel,
        ] {
            assert!(err.text().en.ends_with('.'));
            assert!(err.text().zh.ends_with('。'));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_pasted_text_gives_a_url_or_an_error(raw in "\\PC{0,60}") {
            if let Ok(url) = endpoint_url(&raw, true) {
                proptest::prop_assert!(url.starts_with("wss://") && url.ends_with(":443/mqtt"));
            }
        }
    }
}
