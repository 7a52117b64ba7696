//! What the driver reports of its sockets: opened, closed.

use super::connection::Phase;
use super::{CloseReason, ConnState, Session, SocketId};
use crate::time::Millis;

impl Session {
    /// The socket opened: send CONNECT.
    pub fn handle_socket_open(&mut self, socket: SocketId, now: Millis) {
        self.send_connect(socket, now);
    }

    /// The socket closed (by the broker, the network or the browser).
    pub fn handle_socket_closed(&mut self, socket: SocketId, now: Millis) {
        if self.dead.as_ref().is_some_and(|d| d.socket == socket) {
            if let Some(dead) = self.dead.take() {
                self.report_silent_close(&dead, now);
                self.forget_socket(socket);
            }
            return;
        }
        let Some(conn) = self.current.as_ref().filter(|c| c.socket == socket) else {
            return;
        };
        if conn.silent_since.is_some() {
            if let Some(conn) = self.current.take() {
                self.report_silent_close(&conn, now);
                self.forget_socket(socket);
            }
            self.set_state(ConnState::Disconnected, now);
            return;
        }
        let reason = if conn.phase == Phase::Opening {
            CloseReason::SocketFailed
        } else {
            CloseReason::SocketClosed
        };
        if let Some(conn) = self.current.take() {
            self.went_offline(&conn, now);
        }
        self.connection_ended(socket, now, reason, false);
    }
}
