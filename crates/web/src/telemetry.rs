//! Logs: human-readable text by default, JSON for log collectors. Levels from `RUST_LOG`.

use actix_web::HttpMessage;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    // Closing the request span (TracingLogger's) writes one line per request with its request id,
    // route, status and duration.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_span_events(FmtSpan::CLOSE);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The request span: one log line per request, without anything a log reader could use or should not
/// know. The route *pattern* is logged (`/dossiers/{id}/etapes/{step}`), never the query string, which
/// carries emailed tokens (`?jeton=`) and searched names (`?recherche=`): whoever reads the log must not be
/// able to take over an account or learn who was looked up. The client address is the peer's, or the one
/// a configured trusted proxy reports (see [`client_ip`]).
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let trusted = request
            .app_data::<actix_web::web::Data<crate::app::AppState>>()
            .map(|s| s.settings.config.trusted_proxies.clone())
            .unwrap_or_default();
        let ip = client_ip(request.peer_addr(), request.headers(), &trusted)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = tracing::field::Empty,
            http.client_ip = %ip,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        // Known after routing: the pattern, or a fixed word for paths that match no route (a client can
        // put anything in those).
        let route = match outcome {
            Ok(res) => res.request().match_pattern().unwrap_or_else(|| "(aucune)".into()),
            Err(_) => "(erreur)".into(),
        };
        span.record("http.route", tracing::field::display(route));
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The client's address: the TCP peer, unless the peer is a configured trusted proxy, in which case the
/// right-most address of `X-Forwarded-For` that is not itself a trusted proxy (the left-most entries are
/// whatever the client wrote). Without trusted proxies the header is ignored: anyone can send it.
pub fn client_ip(
    peer: Option<std::net::SocketAddr>,
    headers: &actix_web::http::header::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_str(xff).unwrap(),
        );
        h
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let peer = Some("127.0.0.1:5000".parse().unwrap());
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let spoofed = headers("203.0.113.99");
        assert_eq!(
            client_ip(peer, &spoofed, &[]),
            Some(proxy),
            "no trusted proxy: the peer"
        );
        assert_eq!(
            client_ip(peer, &spoofed, &[proxy]),
            Some("203.0.113.99".parse().unwrap())
        );
        // The client wrote the first entry; the proxy appended the real one.
        let chain = headers("198.51.100.7, 203.0.113.5");
        assert_eq!(
            client_ip(peer, &chain, &[proxy]),
            Some("203.0.113.5".parse().unwrap())
        );
        let other_peer = Some("192.0.2.1:5000".parse().unwrap());
        assert_eq!(
            client_ip(other_peer, &spoofed, &[proxy]),
            Some("192.0.2.1".parse().unwrap()),
            "a peer that is not the proxy is believed, not its header"
        );
    }
}
