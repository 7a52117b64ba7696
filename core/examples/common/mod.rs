//! What the core's examples share: a session connected to a pretend broker.

use ackscope_core::framing::encode;
use ackscope_core::session::{Action, Session, SessionConfig, SocketId};
use mqtt::control::ConnectReturnCode;
use mqtt::packet::ConnackPacket;

/// The examples' clock at the CONNECT.
pub const START: u64 = 1_700_000_000_000;

/// A persistent session (cleanSession = 0) that got its CONNACK with `session_present`, and
/// the socket it uses; what the CONNACK produced is left for the caller to drain.
pub fn session_after_connack(client_id: &str, session_present: bool) -> (Session, SocketId) {
    let mut session = Session::new(SessionConfig {
        client_id: client_id.into(),
        clean_session: false,
        keepalive_secs: 60,
        ..Default::default()
    });
    session.connect(START).expect("connect");
    let mut socket = None;
    while let Some(action) = session.poll_action() {
        if let Action::Open { socket: s, .. } = action {
            socket = Some(s);
        }
    }
    let socket = socket.expect("the session opens a socket");
    session.handle_socket_open(socket, START);
    let connack = ConnackPacket::new(session_present, ConnectReturnCode::ConnectionAccepted);
    session.handle_bytes(socket, &encode(&connack).expect("encodes"), START);
    (session, socket)
}
