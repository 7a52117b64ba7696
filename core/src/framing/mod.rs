//! Framing: turns the bytes of WebSocket messages into whole MQTT packets.
//!
//! Over WebSocket one packet may span several messages and one message may hold several
//! packets (MQTT 3.1.1 section 6), so bytes are buffered until a whole packet is there.
//! mqtt-protocol decodes both the fixed header (to learn a packet's length) and the packet.

mod describe;

pub use describe::{describe, dup_flag, qos_number, PacketKind, PacketSummary};

use mqtt::control::fixed_header::FixedHeaderError;
use mqtt::control::FixedHeader;
use mqtt::packet::VariablePacket;
use mqtt::Decodable;
use std::io::{Cursor, ErrorKind};

use crate::text::Bilingual;

/// Default bound on one incoming packet. A broker announcing more is treated as broken
/// rather than letting it make the page buffer (or wait for) an unbounded amount.
pub const DEFAULT_MAX_PACKET_BYTES: usize = 16 * 1024 * 1024;

/// A decoded packet with the exact bytes it came from (for the packet log's hex dump).
#[derive(Debug)]
pub struct Frame {
    pub packet: VariablePacket,
    pub raw: Vec<u8>,
}

/// Why the incoming byte stream cannot be read as MQTT; the connection must be closed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FramingError {
    /// The remaining-length field uses more than four bytes.
    MalformedLength,
    /// The packet announces more bytes than the configured bound.
    TooLarge { announced: usize, limit: usize },
    /// mqtt-protocol refused the packet; its reason, and the first bytes of the packet.
    Malformed { reason: String, head: Vec<u8> },
}

impl FramingError {
    pub fn text(&self) -> Bilingual {
        match self {
            FramingError::MalformedLength => Bilingual::new(
                "Malformed packet: the remaining-length field is longer than 4 bytes.",
                "报文格式错误:剩余长度字段超过 4 字节。",
            ),
            FramingError::TooLarge { announced, limit } => Bilingual::new(
                format!(
                    "A packet announced {announced} bytes, more than the {limit}-byte limit: the stream is broken or hostile."
                ),
                format!(
                    "报文声明长度 {announced} 字节,超过上限 {limit} 字节:数据流已损坏或不可信。"
                ),
            ),
            FramingError::Malformed { reason, head } => Bilingual::new(
                format!("Malformed packet ({reason}); first bytes {}", hex(head)),
                format!("报文格式错误({reason});开头字节 {}", hex(head)),
            ),
        }
    }
}

/// Bytes as space-separated lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Buffers incoming bytes and yields whole packets.
#[derive(Debug)]
pub struct Framer {
    buffer: Vec<u8>,
    /// Where the next packet starts in `buffer`. Design: packets are read by moving this
    /// offset and the buffer is compacted once per push, so a message holding many packets
    /// costs time in proportion to its size, not packets x size.
    start: usize,
    max_packet_bytes: usize,
    broken: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PACKET_BYTES)
    }
}

impl Framer {
    pub fn new(max_packet_bytes: usize) -> Self {
        Framer {
            buffer: Vec::new(),
            start: 0,
            max_packet_bytes,
            broken: false,
        }
    }

    /// Appends the bytes of one WebSocket message.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.broken {
            self.buffer.drain(..self.start);
            self.start = 0;
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// Bytes held back waiting for the rest of a packet.
    pub fn buffered(&self) -> usize {
        self.buffer.len() - self.start
    }

    /// The next whole packet, `Ok(None)` when more bytes are needed. After an error the
    /// framer stays broken: the stream cannot be resynchronised.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        if self.broken || self.buffered() == 0 {
            return Ok(None);
        }
        let result = self.try_next();
        if result.is_err() {
            self.broken = true;
            self.buffer.clear();
            self.start = 0;
        }
        result
    }

    fn try_next(&mut self) -> Result<Option<Frame>, FramingError> {
        let pending = &self.buffer[self.start..];
        let mut cursor = Cursor::new(pending);
        let remaining = match FixedHeader::decode(&mut cursor) {
            Ok(header) => header.remaining_length as usize,
            // Reserved packet types still say how long they are; the packet decoder reports them.
            Err(FixedHeaderError::ReservedType(_, len)) => len as usize,
            Err(FixedHeaderError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                return Ok(None)
            }
            Err(FixedHeaderError::MalformedRemainingLength) => {
                return Err(FramingError::MalformedLength)
            }
            Err(e) => return Err(malformed(e.to_string(), pending)),
        };
        let header_len = cursor.position() as usize;
        if remaining > self.max_packet_bytes {
            return Err(FramingError::TooLarge {
                announced: remaining,
                limit: self.max_packet_bytes,
            });
        }
        let total = header_len + remaining;
        if pending.len() < total {
            return Ok(None);
        }
        let raw: Vec<u8> = pending[..total].to_vec();
        self.start += total;
        match VariablePacket::decode(&mut Cursor::new(&raw[..])) {
            Ok(packet) => Ok(Some(Frame { packet, raw })),
            Err(e) => Err(malformed(e.to_string(), &raw)),
        }
    }
}

fn malformed(reason: String, bytes: &[u8]) -> FramingError {
    FramingError::Malformed {
        reason,
        head: bytes.iter().take(16).copied().collect(),
    }
}

/// Encodes a packet with mqtt-protocol. Encoding into a Vec cannot fail for the packets
/// the session builds; should it ever, the caller gets the reason instead of a panic.
pub fn encode<P: mqtt::Encodable>(packet: &P) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    packet.encode(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests;
