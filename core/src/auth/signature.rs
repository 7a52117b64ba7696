//! HMAC-SHA1 signatures as Alibaba MQ for IoT expects them.
//!
//! The broker checks `password == Base64(HmacSHA1(key = secret, msg = text))` over the UTF-8
//! bytes of both, with standard Base64 and `=` padding. Every intermediate value is kept in
//! [`SignatureSteps`] so the UI can show the user exactly what was signed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};

type HmacSha1 = Hmac<Sha1>;

/// Length of an HMAC-SHA1 signature in standard Base64: 20 bytes -> 28 characters ending in `=`.
pub const SIGNATURE_LEN: usize = 28;

/// HMAC-SHA1 block size in bytes; longer keys are hashed first (RFC 2104).
const BLOCK_LEN: usize = 64;

/// Every step of one signature, for display next to the CONNECT packet.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SignatureSteps {
    /// The exact text that was signed (the ClientId, or the GroupId in legacy mode).
    pub string_to_sign: String,
    /// The raw HMAC-SHA1 as 40 lowercase hex digits.
    pub hmac_hex: String,
    /// The MQTT password: standard Base64 of the raw HMAC, 28 characters with `=` padding.
    pub password: String,
}

/// HMAC-SHA1 of `msg` under `key`. Any key length is accepted, including empty.
pub fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    // Why not `new_from_slice`: it returns a Result that can never be Err for HMAC, and we
    // must not unwrap. Normalising the key to one block ourselves (RFC 2104: hash keys longer
    // than the block, zero-pad shorter ones) gives the same MAC through the infallible `new`.
    let mut block = Key::<HmacSha1>::default();
    if key.len() > BLOCK_LEN {
        let hashed = Sha1::digest(key);
        block
            .iter_mut()
            .zip(hashed.iter())
            .for_each(|(b, k)| *b = *k);
    } else {
        block.iter_mut().zip(key.iter()).for_each(|(b, k)| *b = *k);
    }
    let mut mac = <HmacSha1 as KeyInit>::new(&block);
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Signs `text` with `secret` the way the broker checks it, keeping every step.
pub fn sign(secret: &str, text: &str) -> SignatureSteps {
    let mac = hmac_sha1(secret.as_bytes(), text.as_bytes());
    SignatureSteps {
        string_to_sign: text.to_owned(),
        hmac_hex: to_hex(&mac),
        password: STANDARD.encode(mac),
    }
}

/// True when `s` has the shape of a signature: 28 standard Base64 characters ending in `=`.
///
/// Only the shape is checked; it says nothing about whether the signature is right.
pub fn looks_like_signature(s: &str) -> bool {
    // Bytes, not str slicing: a multi-byte character must not be able to cause a panic.
    match s.as_bytes().split_last() {
        Some((b'=', body)) if s.len() == SIGNATURE_LEN => body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/'),
        _ => false,
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shared with `scripts/check-signatures.py`, which checks the same rows with Python's hmac.
    const VECTORS: &str = include_str!("../../tests/fixtures/signature-vectors.tsv");

    fn fixture_rows() -> Vec<(&'static str, &'static str, &'static str)> {
        VECTORS
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                assert_eq!(cols.len(), 3, "fixture row needs 3 columns: {line:?}");
                (cols[0], cols[1], cols[2])
            })
            .collect()
    }

    #[test]
    fn signature_mode_reference_vector_signs_the_full_client_id() {
        assert_eq!(
            sign("secret", "GID_test@@@device1").password,
            "NW5TXLVdZ6euy8PHOr5pOHx1NjY="
        );
    }

    #[test]
    fn legacy_reference_vector_signs_the_group_id() {
        assert_eq!(
            sign("secret", "GID_test").password,
            "7s7KTrjYpV6QqvpQU9tAgXOpkn0="
        );
    }

    #[test]
    fn official_demo_reference_vector_matches() {
        assert_eq!(
            sign("XXXXX", "GID_Test@@@0001").password,
            "vI009IZJZVGRwBwZvnbwjfuXxVM="
        );
    }

    #[test]
    fn every_fixture_row_matches_python_hmac() {
        let rows = fixture_rows();
        assert!(rows.len() >= 12, "fixture lost rows: {}", rows.len());
        for (key, msg, expected) in rows {
            assert_eq!(sign(key, msg).password, expected, "key {key:?} msg {msg:?}");
        }
    }

    #[test]
    fn fixture_still_holds_the_reference_vectors() {
        let rows = fixture_rows();
        for vector in [
            (
                "secret",
                "GID_test@@@device1",
                "NW5TXLVdZ6euy8PHOr5pOHx1NjY=",
            ),
            ("secret", "GID_test", "7s7KTrjYpV6QqvpQU9tAgXOpkn0="),
            ("XXXXX", "GID_Test@@@0001", "vI009IZJZVGRwBwZvnbwjfuXxVM="),
        ] {
            assert!(rows.contains(&vector), "missing {vector:?}");
        }
    }

    #[test]
    fn an_empty_message_is_signed() {
        assert_eq!(sign("secret", "").password, "Ja9hdKD87MTTRmgKcrfOZEuaiOg=");
    }

    #[test]
    fn an_empty_key_is_accepted() {
        assert_eq!(
            sign("", "GID_test@@@device1").password,
            "qbw9nQWjpxkMDlEL4uv+J+XACeY="
        );
    }

    #[test]
    fn a_non_ascii_secret_is_signed_over_its_utf8_bytes() {
        assert_eq!(
            sign("密钥Ünïcode", "GID_test@@@device1").password,
            "6yaz2hiwyf7R7dcePxYS5E/Ifrs="
        );
    }

    #[test]
    fn a_key_of_64_bytes_is_used_as_is_and_one_byte_more_is_hashed() {
        let k64 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
        assert_eq!(k64.len(), 64);
        assert_eq!(
            sign(k64, "GID_test@@@device1").password,
            "m306f8Anxb3clENW0392EYoBZF8="
        );
        let k65 = format!("{k64}!");
        assert_eq!(
            sign(&k65, "GID_test@@@device1").password,
            "cSB8x8IpNmLA/raOsrTvvnckRWQ="
        );
    }

    #[test]
    fn a_secret_longer_than_the_block_size_is_hashed_first() {
        let long = "this-access-key-secret-is-deliberately-much-longer-than-the-sixty-four-byte-hmac-sha1-block-size!!";
        assert!(long.len() > BLOCK_LEN);
        assert_eq!(
            sign(long, "GID_test@@@device1").password,
            "FH4jSOOErYk+tYduFFS37V1NS2Q="
        );
    }

    #[test]
    fn a_key_short_in_characters_but_long_in_bytes_counts_bytes() {
        let key = "密".repeat(22);
        assert_eq!(key.chars().count(), 22);
        assert_eq!(key.len(), 66);
        assert_eq!(
            sign(&key, "GID_test@@@device1").password,
            "4SevpI2CP8cfDdABhrNsaOgK5iY="
        );
    }

    #[test]
    fn steps_show_the_signed_text_and_the_hex_hmac() {
        let steps = sign("secret", "GID_test@@@device1");
        assert_eq!(steps.string_to_sign, "GID_test@@@device1");
        assert_eq!(steps.hmac_hex, "356e535cb55d67a7aecbc3c73abe69387c753636");
        assert_eq!(steps.password.len(), SIGNATURE_LEN);
    }

    #[test]
    fn hmac_sha1_returns_the_raw_twenty_bytes() {
        let mac = hmac_sha1(b"XXXXX", b"GID_Test@@@0001");
        assert_eq!(to_hex(&mac), "bc8d34f48649655191c01c19be76f08dfb97c553");
    }

    #[test]
    fn every_signature_has_the_signature_shape() {
        for (key, msg, _) in fixture_rows() {
            assert!(looks_like_signature(&sign(key, msg).password));
        }
    }

    #[test]
    fn hex_digests_and_wrong_lengths_do_not_look_like_signatures() {
        assert!(!looks_like_signature(
            "356e535cb55d67a7aecbc3c73abe69387c753636"
        ));
        assert!(!looks_like_signature("NW5TXLVdZ6euy8PHOr5pOHx1NjY"));
        assert!(!looks_like_signature("NW5TXLVdZ6euy8PHOr5pOHx1NjY= "));
        assert!(!looks_like_signature("NW5TXLVdZ6euy8PHOr5pOHx1Nj=="));
        assert!(!looks_like_signature("NW5TXLVdZ6euy8PHOr5pOHx1N-Y="));
        assert!(!looks_like_signature(""));
        // Multi-byte text must not make the slice in the check panic.
        assert!(!looks_like_signature("密密密密密密密密密="));
    }

    proptest::proptest! {
        #[test]
        fn any_key_and_text_give_a_28_character_signature(key in ".*", text in ".*") {
            let steps = sign(&key, &text);
            proptest::prop_assert!(looks_like_signature(&steps.password));
            proptest::prop_assert_eq!(steps.hmac_hex.len(), 40);
        }
    }
}
