//! What a WebSocket connection has to send, in one small shared object: its own replies
//! (acknowledgements, pongs, keep-alives, and at last the close) ahead of its operations'
//! results, which are bounded and waited for. An idle connection's outbox holds two empty
//! queues, a semaphore and two notifications — no preallocated channel blocks (a tokio `mpsc`
//! channel allocates room for 32 messages up front, about 1 KiB, which made the two channels
//! a quarter of an idle connection's memory).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// Protocol replies queued for a connection before it counts as a slow consumer.
const CONTROL_QUEUE: usize = 64;
/// Results written in one go before the socket is flushed.
const BATCH: usize = 64;

pub struct Outbox {
    queues: Mutex<Queues>,
    /// Wakes the writer.
    ready: Notify,
    /// Room in the results queue; closed when the writer has stopped.
    room: Semaphore,
    /// Raised when the client takes too little: the connection closes as a slow consumer.
    pub slow: Notify,
}

/// The close frame to end with; none when the client went away.
pub type Close = Option<(u16, &'static str)>;

#[derive(Default)]
struct Queues {
    control: VecDeque<String>,
    data: VecDeque<String>,
    /// The close frame, sent after what is queued; or, with no code, the connection ends
    /// without one (the client went away).
    end: Option<Close>,
}

/// What the writer does next.
pub enum Next {
    Control(String),
    /// Results to write in one go, then flush.
    Data(Vec<String>),
    /// The close frame (if any) after the results still queued, which are returned to be
    /// written first (briefly: the client may take nothing).
    End(Vec<String>, Close),
}

impl Outbox {
    pub fn new(results: usize) -> Self {
        Outbox {
            queues: Mutex::default(),
            ready: Notify::new(),
            room: Semaphore::new(results.max(1)),
            slow: Notify::new(),
        }
    }

    /// A protocol reply, never waited for; a client whose replies pile up unread is slow.
    pub fn reply(&self, text: String) {
        let Ok(mut q) = self.queues.lock() else { return };
        if q.control.len() >= CONTROL_QUEUE || q.end.is_some() {
            drop(q);
            self.slow.notify_one();
            return;
        }
        q.control.push_back(text);
        drop(q);
        self.ready.notify_one();
    }

    /// A result, waiting while the queue is full. Only this operation waits (others and the
    /// replies go on), but a client that takes nothing for `stall` is closed as a slow
    /// consumer. False when the result cannot be sent (the connection is ending or too slow).
    pub async fn send(&self, text: String, stall: Duration) -> bool {
        match tokio::time::timeout(stall, self.room.acquire()).await {
            Ok(Ok(permit)) => permit.forget(),
            Ok(Err(_)) => return false,
            Err(_) => {
                self.slow.notify_one();
                return false;
            }
        }
        let Ok(mut q) = self.queues.lock() else { return false };
        if q.end.is_some() {
            return false;
        }
        q.data.push_back(text);
        drop(q);
        self.ready.notify_one();
        true
    }

    /// No more results or replies: the writer sends what is queued, then the close (if any).
    pub fn end(&self, close: Close) {
        if let Ok(mut q) = self.queues.lock() {
            q.end.get_or_insert(close);
        }
        self.ready.notify_one();
    }

    /// The writer has stopped: operations waiting for room stop waiting.
    pub fn stopped(&self) {
        self.room.close();
    }

    /// The next thing to write, waiting for one.
    pub async fn next(&self) -> Next {
        loop {
            if let Some(next) = self.take() {
                return next;
            }
            // `notify_one` leaves a permit when nobody waits, so nothing pushed between the
            // check and this wait is missed.
            self.ready.notified().await;
        }
    }

    fn take(&self) -> Option<Next> {
        let Ok(mut q) = self.queues.lock() else { return Some(Next::End(Vec::new(), None)) };
        if let Some(text) = q.control.pop_front() {
            return Some(Next::Control(text));
        }
        let n = q.data.len().min(BATCH);
        if n > 0 && q.end.is_none() {
            let batch: Vec<String> = q.data.drain(..n).collect();
            shrink(&mut q);
            drop(q);
            self.room.add_permits(n);
            return Some(Next::Data(batch));
        }
        let end = q.end?;
        let rest = std::mem::take(&mut q.data).into();
        Some(Next::End(rest, end))
    }
}

/// An emptied queue gives back a buffer grown by a burst (idle connections stay small).
fn shrink(q: &mut Queues) {
    if q.data.is_empty() && q.data.capacity() > 8 {
        q.data = VecDeque::new();
    }
    if q.control.is_empty() && q.control.capacity() > 8 {
        q.control = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(next: Next) -> (Vec<String>, Option<Close>) {
        match next {
            Next::Control(t) => (vec![t], None),
            Next::Data(b) => (b, None),
            Next::End(rest, close) => (rest, Some(close)),
        }
    }

    #[tokio::test]
    async fn replies_go_first_results_in_order_and_the_close_last() {
        let o = Outbox::new(4);
        assert!(o.send("r1".into(), Duration::from_secs(1)).await);
        assert!(o.send("r2".into(), Duration::from_secs(1)).await);
        o.reply("ack".into());
        assert_eq!(texts(o.next().await), (vec!["ack".to_string()], None));
        assert_eq!(texts(o.next().await), (vec!["r1".to_string(), "r2".to_string()], None));
        assert!(o.send("r3".into(), Duration::from_secs(1)).await);
        o.end(Some((4403, "Forbidden")));
        assert!(!o.send("late".into(), Duration::from_secs(1)).await, "nothing is queued after the end");
        assert_eq!(texts(o.next().await), (vec!["r3".to_string()], Some(Some((4403, "Forbidden")))));
    }

    #[tokio::test]
    async fn a_full_queue_waits_for_room_and_a_stalled_client_is_slow() {
        let o = std::sync::Arc::new(Outbox::new(1));
        assert!(o.send("a".into(), Duration::from_secs(5)).await);
        // Full: this send waits until the writer takes "a".
        let waiting = tokio::spawn({
            let o = o.clone();
            async move { o.send("b".into(), Duration::from_secs(5)).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(texts(o.next().await).0, vec!["a".to_string()]);
        assert!(waiting.await.unwrap());
        // Full again and nobody takes: after the stall limit the client is slow.
        let slow = o.slow.notified();
        assert!(!o.send("c".into(), Duration::from_millis(20)).await);
        slow.await;
        // Once the writer has stopped, nobody waits for room.
        o.stopped();
        assert_eq!(texts(o.next().await).0, vec!["b".to_string()]);
        assert!(!o.send("d".into(), Duration::from_secs(5)).await);
    }

    #[tokio::test]
    async fn too_many_unread_replies_make_a_slow_consumer() {
        let o = Outbox::new(1);
        for _ in 0..CONTROL_QUEUE {
            o.reply("pong".into());
        }
        o.reply("pong".into());
        let slow = tokio::time::timeout(Duration::from_secs(5), o.slow.notified()).await;
        assert!(slow.is_ok(), "the 65th unread reply marks the client slow");
    }
}
