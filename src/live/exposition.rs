//! `--metrics-addr`: the live counters of a load run in the Prometheus
//! text exposition format (version 0.0.4) at `GET /metrics`, from a tiny
//! HTTP/1.0-style responder on the run's tokio runtime (one answer per
//! connection, then close). Only a loopback address is served; the
//! command line refuses any other.

use super::monitor::{Phase, Snapshot};
use std::fmt::Write;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Longest request head read.
const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The address of `--metrics-addr`: loopback only, since the counters
/// describe the service under test and nothing guards the responder; a
/// port alone is on 127.0.0.1.
pub fn metrics_address(text: &str) -> Result<std::net::SocketAddr, String> {
    let address = match text.parse::<u16>() {
        Ok(port) => std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Err(_) => text
            .parse::<std::net::SocketAddr>()
            .map_err(|_| format!("{text:?} is not an address and port such as 127.0.0.1:9464, or a port"))?,
    };
    if !address.ip().is_loopback() {
        return Err(format!(
            "{address}: only a loopback address (127.0.0.1, [::1]) is served; to publish the counters further, put a proxy in front"
        ));
    }
    Ok(address)
}

/// Answers scrapes until the task is dropped.
pub async fn serve(listener: std::net::TcpListener, snapshots: watch::Receiver<Snapshot>) {
    let Ok(listener) = TcpListener::from_std(listener) else { return };
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let snapshot = snapshots.borrow().clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(READ_TIMEOUT, answer(stream, &snapshot)).await;
        });
    }
}

async fn answer(mut stream: TcpStream, snapshot: &Snapshot) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_BYTES {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&head);
    let (status, body) = match line.split_whitespace().take(2).collect::<Vec<_>>()[..] {
        ["GET", "/metrics"] => ("200 OK", exposition(snapshot)),
        _ => ("404 Not Found", "only GET /metrics is served\n".to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// The snapshot in the text exposition format.
pub fn exposition(s: &Snapshot) -> String {
    let counters = [
        ("requests_sent_total", "Requests of the replay handed to the client.", s.sent),
        ("requests_ok_total", "Requests answered 2xx.", s.ok),
        ("requests_http_error_total", "Requests answered with another status (after retries).", s.http_error),
        ("requests_timeout_total", "Requests whose last attempt timed out.", s.timeout),
        ("requests_connection_error_total", "Requests whose last attempt failed to connect.", s.connection_error),
        ("retries_total", "Retries of 429 and 503 answers.", s.retries),
        ("late_starts_total", "Requests sent more than 10 ms after their intended time.", s.late_starts),
    ];
    let mut text = String::new();
    for (name, help, value) in counters {
        metric(&mut text, name, help, "counter", &value.to_string());
    }
    metric(&mut text, "requests_planned", "Requests the replay plans to send.", "gauge", &s.planned.to_string());
    let rate = format!("{}", s.rate_per_sec);
    metric(&mut text, "response_rate_per_second", "Responses per second over the last second.", "gauge", &rate);
    if let Some(ms) = s.response_p99_ms {
        let help = "Response time (from the intended send) p99 so far.";
        metric(&mut text, "response_time_p99_seconds", help, "gauge", &format!("{}", ms / 1e3));
    }
    let _ = writeln!(text, "# HELP unbindsim_phase The phase the load run is in (1 for the current one).");
    let _ = writeln!(text, "# TYPE unbindsim_phase gauge");
    for phase in Phase::ALL {
        let _ = writeln!(text, "unbindsim_phase{{phase=\"{}\"}} {}", phase.name(), u8::from(phase == s.phase));
    }
    text
}

fn metric(text: &mut String, name: &str, help: &str, kind: &str, value: &str) {
    let _ = writeln!(text, "# HELP unbindsim_{name} {help}\n# TYPE unbindsim_{name} {kind}\nunbindsim_{name} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_line_has_a_type_and_a_number() {
        let snapshot =
            Snapshot { phase: Phase::Replay, sent: 7, ok: 6, response_p99_ms: Some(12.5), ..Snapshot::default() };
        let text = exposition(&snapshot);
        assert!(text.contains("unbindsim_requests_sent_total 7\n"), "{text}");
        assert!(text.contains("unbindsim_response_time_p99_seconds 0.0125\n"), "{text}");
        assert!(text.contains("unbindsim_phase{phase=\"replay\"} 1\n"), "{text}");
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            let base = name.split('{').next().unwrap();
            assert!(text.contains(&format!("# TYPE {base} ")), "{line}");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
