//! Defaults that serve the main job: the first two devices are offered as the receiver and
//! the sender of the seed flow, and a new device starts on the broker of the one before it.

use super::DeviceForm;
use ackscope_core::auth::build_client_id;
use ackscope_core::profile::BrokerKind;
use ackscope_core::text::Bilingual;

/// The part a fresh device is offered in the main job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// cleanSession off, a QoS 1 subscription ready: connect, subscribe, then go away.
    Receiver,
    /// A QoS 1 probe series ready on the receiver's topic.
    Sender,
}

impl Role {
    /// The role of the fresh device at `index`: the first two only.
    pub fn for_index(index: usize) -> Option<Role> {
        match index {
            0 => Some(Role::Receiver),
            1 => Some(Role::Sender),
            _ => None,
        }
    }

    /// Its id in `data-role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Receiver => "receiver",
            Role::Sender => "sender",
        }
    }

    pub fn name(self) -> Bilingual {
        match self {
            Role::Receiver => Bilingual::new("receiver", "接收端"),
            Role::Sender => Bilingual::new("sender", "发送端"),
        }
    }

    /// What the preset is and the next clicks, for a device that has not connected yet.
    pub fn hint(self, f: &DeviceForm) -> Bilingual {
        match self {
            Role::Receiver => Bilingual::new(
                format!("Offered as the receiver: cleanSession off, QoS {} on {}. Connect, Subscribe, then take it away (Disconnect, Drop or Go silent).", f.sub_qos, f.sub_topic),
                format!("预设为接收端:cleanSession 关闭,以 QoS {} 订阅 {}。依次点击“连接”“订阅”,然后让它离开(断开、强制断开或静默)。", f.sub_qos, f.sub_topic),
            ),
            Role::Sender => Bilingual::new(
                format!("Offered as the sender: a probe series of {} at QoS {} to {}, one every {} ms. Connect, then Start probe series while the receiver is away.", f.probe_count.trim(), f.pub_qos, f.pub_topic, f.probe_interval_ms.trim()),
                format!("预设为发送端:向 {} 以 QoS {} 发送 {} 条探测消息,每 {} 毫秒一条。先连接,在接收端离开期间点击“开始探测序列”。", f.pub_topic, f.pub_qos, f.probe_count.trim(), f.probe_interval_ms.trim()),
            ),
        }
    }

    fn apply(self, f: &mut DeviceForm, previous: Option<&DeviceForm>) {
        match self {
            Role::Receiver => {
                f.clean_session = false;
                f.sub_qos = 1;
            }
            Role::Sender => {
                f.pub_qos = 1;
                if let Some(p) = previous {
                    f.pub_topic = p.sub_topic.clone();
                }
            }
        }
        f.role = Some(self);
    }
}

impl DeviceForm {
    /// A fresh device, named after `id`, at `position` on the page: the role the first two
    /// are offered, on the broker of the device before it (URL, profile, auth mode and the
    /// broker's non-secret names; never a secret, so no password goes anywhere it was not
    /// typed for).
    pub fn for_new_device(
        id: usize,
        position: usize,
        broker_url: &str,
        previous: Option<&DeviceForm>,
    ) -> Self {
        let mut f = DeviceForm::new(id, broker_url);
        if let Some(p) = previous {
            f.broker_url = p.broker_url.clone();
            // The same URL: confirmed exactly as far as the user confirmed it there.
            f.broker_needs_confirm = p.broker_needs_confirm;
            f.auth.mode = p.auth.mode;
            if p.broker == BrokerKind::Aliyun || p.auth.mode.is_aliyun() {
                f.auth.instance_id = p.auth.instance_id.clone();
                f.auth.access_key_id = p.auth.access_key_id.clone();
                f.group_id = p.group_id.clone();
                f.auth.client_id = build_client_id(f.group_id.trim(), f.device_id.trim());
            }
            f.set_broker(p.broker);
        }
        if let Some(role) = Role::for_index(position) {
            role.apply(&mut f, previous);
        }
        f
    }

    /// Chooses the broker profile. Switching to Alibaba turns cleanSession off: its offline
    /// messages are kept only for a persistent session (switching back leaves it alone).
    pub fn set_broker(&mut self, kind: BrokerKind) {
        if kind == BrokerKind::Aliyun && self.broker != BrokerKind::Aliyun {
            self.clean_session = false;
        }
        self.broker = kind;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ackscope_core::auth::AuthMode;

    const URL: &str = "ws://127.0.0.1:9001/mqtt";

    #[test]
    fn the_first_two_devices_are_offered_as_receiver_and_sender() {
        let rx = DeviceForm::for_new_device(0, 0, URL, None);
        assert_eq!(rx.role, Some(Role::Receiver));
        assert!(!rx.clean_session);
        assert_eq!(rx.sub_qos, 1);
        let tx = DeviceForm::for_new_device(1, 1, URL, Some(&rx));
        assert_eq!(tx.role, Some(Role::Sender));
        assert!(tx.clean_session, "the sender keeps no session");
        assert_eq!(
            (tx.pub_qos, tx.pub_topic.as_str()),
            (1, rx.sub_topic.as_str())
        );
        assert!(tx.probe_plan().is_ok(), "its probe series is ready");
        let third = DeviceForm::for_new_device(2, 2, URL, Some(&tx));
        assert_eq!(third.role, None);
        assert!(Role::Receiver
            .hint(&rx)
            .en
            .contains("QoS 1 on ackscope/test"));
    }

    #[test]
    fn a_new_device_copies_the_broker_and_auth_mode_but_never_a_secret() {
        let mut prev = DeviceForm::for_new_device(2, 2, URL, None);
        prev.broker_url = "wss://post-cn-x.mqtt.aliyuncs.com/mqtt".into();
        prev.auth.mode = AuthMode::AliyunSignature;
        prev.auth.instance_id = "post-cn-x".into();
        prev.auth.access_key_id = "LTAI".into();
        prev.auth.access_key_secret = "secret".into();
        prev.auth.password = "pw".into();
        prev.group_id = "GID_rx".into();
        prev.broker_needs_confirm = true;
        prev.set_broker(BrokerKind::Aliyun);
        let next = DeviceForm::for_new_device(3, 3, "ws://other/mqtt", Some(&prev));
        assert_eq!(next.broker_url, prev.broker_url);
        assert_eq!(next.broker, BrokerKind::Aliyun);
        assert_eq!(next.auth.mode, AuthMode::AliyunSignature);
        assert_eq!(next.auth.instance_id, "post-cn-x");
        assert_eq!(next.auth.client_id, "GID_rx@@@device4");
        assert!(next.broker_needs_confirm, "still to be confirmed");
        assert!(next.auth.access_key_secret.is_empty() && next.auth.password.is_empty());
        assert!(!next.clean_session, "Alibaba starts with cleanSession off");
    }

    #[test]
    fn switching_to_alibaba_turns_clean_session_off_once() {
        let mut f = DeviceForm::for_new_device(2, 2, URL, None);
        assert!(f.clean_session);
        f.set_broker(BrokerKind::Aliyun);
        assert!(!f.clean_session);
        f.clean_session = true;
        f.set_broker(BrokerKind::Aliyun);
        assert!(f.clean_session, "the user's choice stands");
    }
}
