//! The mail sender: takes due messages from the outbox in the database and sends them over
//! SMTP; a failed attempt is retried later with growing delays, so nothing is lost while the
//! mail server is down. Any node may send; a message is claimed before it is sent, so two
//! nodes do not send it twice (a node that dies mid-send leaves it to be retried after its
//! claim lapses: at least once, never lost).

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use tessera_core::model::now_millis;
use tessera_core::ports::Mail;
use tessera_core::service::Core;

/// How long a claimed message is left to its sender before another may take it.
const LEASE_MS: i64 = 120_000;
/// Messages taken at a time.
const BATCH: u32 = 10;
/// Attempts before a message is given up (kept in the outbox with its last error).
pub const MAX_ATTEMPTS: i64 = 12;
/// How often the outbox is looked at when nothing wakes the sender (mail queued elsewhere,
/// retries falling due).
const POLL: Duration = Duration::from_secs(5);

/// Where mail goes: an SMTP URL (`smtp://host:port` plain, `smtp://user:pass@host:587?tls=required`
/// for STARTTLS, `smtps://user:pass@host` for TLS) and the sender address.
#[derive(Clone)]
pub struct MailSettings {
    pub smtp_url: Option<String>,
    pub from: String,
    /// The first retry's delay; each later one doubles, up to an hour (tests shorten it).
    pub retry_ms: i64,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold the SMTP password.
        let server = self.smtp_url.as_deref().map(crate::cli::redact);
        f.debug_struct("MailSettings").field("smtp_url", &server).field("from", &self.from).finish()
    }
}

impl MailSettings {
    /// Refuse settings that could never send (checked at start, not at the first mail).
    pub fn check(&self) -> Result<(), String> {
        self.from.parse::<Mailbox>().map_err(|e| format!("mail_from {:?}: {e}", self.from))?;
        if let Some(url) = &self.smtp_url {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| format!("smtp_url {}: {e}", crate::cli::redact(url)))?;
        }
        Ok(())
    }
}

/// The first retry's delay by default.
pub const RETRY_MS: i64 = 30_000;

/// The delay before attempt `attempts + 1`: `first`, doubling, at most an hour.
pub fn retry_delay_ms(first: i64, attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 8) - 1;
    (first << exp).min(3_600_000)
}

fn message(from: &Mailbox, mail: &Mail) -> Result<Message, String> {
    let to: Mailbox = mail.to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// Start the sender, if an SMTP server is configured; otherwise mail waits in the outbox.
pub fn start(core: Core, settings: &MailSettings) -> Result<(), String> {
    let Some(url) = settings.smtp_url.clone() else {
        tracing::info!("no smtp_url is set: account mail (invitations, password resets) waits in the outbox");
        return Ok(());
    };
    let from: Mailbox = settings.from.parse().map_err(|e| format!("mail_from {:?}: {e}", settings.from))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
        .map_err(|e| format!("smtp_url: {e}"))?
        .timeout(Some(Duration::from_secs(30)))
        .build();
    tokio::spawn(run(core, transport, from, settings.retry_ms));
    Ok(())
}

async fn run(core: Core, transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox, retry_ms: i64) {
    let wake = core.mail_queued();
    loop {
        let batch = match core.claim_mail(LEASE_MS, BATCH).await {
            Ok(b) => b,
            Err(e) => {
                e.log("cannot read the mail outbox");
                Vec::new()
            }
        };
        let full = batch.len() == BATCH as usize;
        for (mail, attempts) in batch {
            let result = match message(&from, &mail) {
                Ok(m) => transport.send(m).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            let outcome = match result {
                Ok(()) => {
                    tracing::info!(mail = %mail.id, attempts, "mail sent");
                    core.mail_sent(&mail.id).await
                }
                Err(error) => {
                    let retry_at = if attempts >= MAX_ATTEMPTS {
                        i64::MAX
                    } else {
                        now_millis() + retry_delay_ms(retry_ms, attempts)
                    };
                    tracing::warn!(mail = %mail.id, attempts, %error, gave_up = attempts >= MAX_ATTEMPTS, "mail not sent");
                    core.mail_failed(&mail.id, retry_at, &error).await
                }
            };
            if let Err(e) = outcome {
                e.log("cannot record a mail attempt");
            }
        }
        if !full {
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let delays: Vec<i64> = (1..=10).map(|a| retry_delay_ms(RETRY_MS, a)).collect();
        assert_eq!(&delays[..4], &[30_000, 60_000, 120_000, 240_000]);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(delays[9], 3_600_000);
    }

    #[test]
    fn a_recipient_with_a_header_in_it_is_refused() {
        let from: Mailbox = "tessera <no-reply@example.test>".parse().expect("from");
        let mail = |to: &str| Mail {
            id: "m".into(),
            to: to.into(),
            subject: "Hello".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
        };
        assert!(message(&from, &mail("a@example.test")).is_ok());
        assert!(message(&from, &mail("a@example.test\r\nBcc: evil@example.test")).is_err());
        let built = message(&from, &Mail { subject: "Hi\r\nBcc: evil@example.test".into(), ..mail("a@example.test") })
            .expect("subject is encoded, not obeyed")
            .formatted();
        let text = String::from_utf8_lossy(&built);
        assert!(!text.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{text}");
    }
}
