//! Sends indexer reports through an SMTP relay (plain SMTP, as a local MTA or a relay on the
//! same network accepts it; no TLS or authentication: put a local MTA in front for those).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use riverpan_indexer::IndexReport;
use riverpan_store::AuthorRecord;

/// Where and how to mail reports.
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// `host:port` of the relay.
    pub relay: String,
    /// The sender address.
    pub from: String,
    /// An address that gets a copy of every report (PAUSE's modules@perl.org), if any.
    pub admin: Option<String>,
}

/// A mail could not be delivered to the relay.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Network failure.
    #[error("SMTP relay {relay}: {source}")]
    Io {
        /// The relay.
        relay: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The relay refused a command.
    #[error("SMTP relay {relay} answered {answer:?} to {command}")]
    Refused {
        /// The relay.
        relay: String,
        /// The command.
        command: String,
        /// Its answer.
        answer: String,
    },
}

impl MailConfig {
    /// Mails `report` to the author (their address, else `lc(id)@cpan.org`) and the admin copy.
    pub fn send_report(
        &self,
        author: Option<&AuthorRecord>,
        report: &IndexReport,
    ) -> Result<(), MailError> {
        let to = author
            .and_then(|author| author.email.clone())
            .or_else(|| author.map(|author| format!("{}@cpan.org", author.userid.to_lowercase())));
        let mut recipients: Vec<String> = to.into_iter().collect();
        recipients.extend(self.admin.clone());
        if recipients.is_empty() {
            return Ok(());
        }
        self.send(&recipients, &report.subject(), &report.render_text())
    }

    /// Sends one text mail.
    pub fn send(&self, to: &[String], subject: &str, body: &str) -> Result<(), MailError> {
        let io = |source| MailError::Io {
            relay: self.relay.clone(),
            source,
        };
        let stream = TcpStream::connect(&self.relay).map_err(io)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        let mut reader = BufReader::new(stream.try_clone().map_err(io)?);
        let mut writer = stream;
        let expect = |reader: &mut BufReader<TcpStream>, command: &str, code: &str| {
            // Multi-line answers: "250-..." continues, "250 ..." ends.
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).map_err(io)?;
                if line.is_empty() {
                    return Err(MailError::Refused {
                        relay: self.relay.clone(),
                        command: command.to_string(),
                        answer: "connection closed".into(),
                    });
                }
                if line.len() >= 4 && &line[3..4] == "-" {
                    continue;
                }
                if line.starts_with(code) {
                    return Ok(());
                }
                return Err(MailError::Refused {
                    relay: self.relay.clone(),
                    command: command.to_string(),
                    answer: line.trim_end().to_string(),
                });
            }
        };
        expect(&mut reader, "connect", "220")?;
        let say = |writer: &mut TcpStream, line: &str| {
            writer
                .write_all(format!("{line}\r\n").as_bytes())
                .map_err(|source| MailError::Io {
                    relay: self.relay.clone(),
                    source,
                })
        };
        say(&mut writer, "HELO riverpan")?;
        expect(&mut reader, "HELO", "250")?;
        say(&mut writer, &format!("MAIL FROM:<{}>", self.from))?;
        expect(&mut reader, "MAIL FROM", "250")?;
        for recipient in to {
            say(&mut writer, &format!("RCPT TO:<{recipient}>"))?;
            expect(&mut reader, "RCPT TO", "25")?;
        }
        say(&mut writer, "DATA")?;
        expect(&mut reader, "DATA", "354")?;
        let mut message = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
            self.from,
            to.join(", "),
            subject.replace(['\r', '\n'], " ")
        );
        for line in body.lines() {
            // Dot-stuffing: a line starting with "." gets another one.
            if line.starts_with('.') {
                message.push('.');
            }
            message.push_str(line);
            message.push_str("\r\n");
        }
        message.push_str(".\r\n");
        writer.write_all(message.as_bytes()).map_err(io)?;
        expect(&mut reader, "end of DATA", "250")?;
        say(&mut writer, "QUIT")?;
        Ok(())
    }
}
