//! Authentication: modes, Alibaba signatures, ClientId rules, endpoint URL, shape checks.
//!
//! Pure functions over what the user typed; no clock, no I/O, no panics on any input.

mod client_id;
mod credentials;
mod endpoint;
mod error;
mod mode;
mod shape;
mod signature;

pub use client_id::{
    build_client_id, check_aliyun_client_id, check_generic_client_id, group_id, ClientIdProblem,
    ALIYUN_CLIENT_ID_MAX_CHARS, CLIENT_ID_SEPARATOR, GROUP_ID_CHARS, MQTT_CLIENT_ID_MAX_BYTES,
};
pub use credentials::{auth_errors, credentials, Credentials};
pub use endpoint::{endpoint_url, normalize_host, EndpointError};
pub use error::AuthError;
pub use mode::{AuthInput, AuthMode, UnknownAuthMode};
pub use shape::{check_shape, ShapeProblem, AUTH_SHAPE_RULE};
pub use signature::{hmac_sha1, looks_like_signature, sign, SignatureSteps, SIGNATURE_LEN};

/// Characters for a message, each `{:?}`-quoted so spaces, tabs and newlines are visible.
fn quote_chars(chars: &[char]) -> String {
    chars
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}
