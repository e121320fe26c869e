//! The one place where errors become HTTP statuses and French pages. A failure is logged once, here.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::templates::ErrorPage;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("page not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Forbidden, with the reason shown to the person (a health document outside its service, one's own
    /// dossier in the back office).
    #[error("forbidden: {0}")]
    Denied(&'static str),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("login required")]
    LoginRequired { next: String },
    #[error("too many requests")]
    TooManyRequests,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A body past one of our bounds (parts, text bytes).
    #[error("request too large")]
    TooLarge,
    /// The action is not possible now (a state rule); the message says why, in French.
    #[error("refused: {0}")]
    Refused(String),
    /// A file received while the antivirus was unreachable, not scanned yet: served to nobody.
    #[error("file awaiting its antivirus scan")]
    ScanPending,
    /// A file the antivirus found infected after it was received: deleted, served to nobody.
    #[error("file found infected")]
    Infected,
    /// Someone else changed the record meanwhile.
    #[error("conflict")]
    Conflict,
    /// The database is unreachable or does not answer in time: a 503, "come back later", not a bug.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Seconds a client is told to wait (`Retry-After`) when the database is unavailable.
const RETRY_AFTER_SECS: u32 = 30;

impl From<guichet_db::DbError> for WebError {
    fn from(e: guichet_db::DbError) -> Self {
        if e.is_unavailable() {
            WebError::Unavailable(e.to_string())
        } else {
            WebError::Internal(e.to_string())
        }
    }
}

impl From<guichet_accounts::AccountsError> for WebError {
    fn from(e: guichet_accounts::AccountsError) -> Self {
        use guichet_accounts::AccountsError as A;
        match e {
            A::Throttled { .. } => WebError::TooManyRequests,
            A::UnknownUser => WebError::NotFound,
            A::Deactivated => WebError::Denied(
                "Ce compte a été désactivé par un administrateur. Adressez-vous à votre service ou au service informatique du département.",
            ),
            A::Db(db) => WebError::from(db),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<guichet_usecases::CaseError> for WebError {
    fn from(e: guichet_usecases::CaseError) -> Self {
        use guichet_usecases::CaseError as C;
        match e {
            C::NotFound => WebError::NotFound,
            C::Denied(why) => WebError::Denied(why),
            C::Refused(why) => WebError::Refused(why),
            C::Conflict => WebError::Conflict,
            C::Invalid(list) => WebError::Refused(
                list.into_iter()
                    .map(|i| i.message)
                    .collect::<Vec<_>>()
                    .join(" ; "),
            ),
            C::Db(db) => WebError::from(db),
            C::Internal(cause) => WebError::Internal(cause),
        }
    }
}

impl From<guichet_dossiers::DossierError> for WebError {
    fn from(e: guichet_dossiers::DossierError) -> Self {
        guichet_usecases::CaseError::from(e).into()
    }
}

impl From<guichet_forms::FormsError> for WebError {
    fn from(e: guichet_forms::FormsError) -> Self {
        guichet_usecases::CaseError::from(e).into()
    }
}

/// A file of the data directory that cannot be written or read (an export being written).
impl From<std::io::Error> for WebError {
    fn from(e: std::io::Error) -> Self {
        WebError::Internal(format!("i/o: {e}"))
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

impl WebError {
    pub(crate) fn page(&self) -> (&'static str, &'static str) {
        match self {
            WebError::NotFound => (
                "Page non trouvée",
                "La page que vous cherchez n’existe pas ou a été déplacée. Vérifiez l’adresse, ou revenez à l’accueil.",
            ),
            WebError::Forbidden => (
                "Accès refusé",
                "Vous n’avez pas accès à cette page avec votre compte.",
            ),
            WebError::Csrf => (
                "Formulaire expiré",
                "Ce formulaire a expiré ou n’a pas été envoyé depuis notre site. Revenez à la page précédente, rechargez-la, puis envoyez-le à nouveau : vos réponses déjà enregistrées sont conservées.",
            ),
            WebError::TooManyRequests => (
                "Trop de tentatives",
                "Trop de tentatives. Patientez quelques minutes avant de réessayer.",
            ),
            WebError::BadRequest(_) => (
                "Demande incorrecte",
                "La demande envoyée est incorrecte. Revenez à la page précédente et réessayez.",
            ),
            WebError::TooLarge => (
                "Envoi trop volumineux",
                "Ce formulaire contient trop de données pour être traité. Revenez à la page précédente et envoyez moins de texte ou moins de fichiers à la fois : vos réponses déjà enregistrées sont conservées.",
            ),
            WebError::LoginRequired { .. } => ("Connexion nécessaire", "Connectez-vous pour continuer."),
            WebError::Refused(_) => ("Action impossible", ""),
            WebError::ScanPending => (
                "Document en cours d’analyse",
                "Ce document est en cours d’analyse antivirus : réessayez dans quelques minutes.",
            ),
            WebError::Infected => (
                "Document supprimé",
                "Ce document a été supprimé : un virus a été détecté. Une copie saine peut être envoyée à la place.",
            ),
            WebError::Denied(_) => ("Accès refusé", ""),
            WebError::Conflict => (
                "Le dossier a changé entre-temps",
                "Quelqu’un d’autre vient de modifier ce dossier. Revenez en arrière et rechargez la page pour voir son état actuel.",
            ),
            WebError::Unavailable(_) => (
                "Service momentanément indisponible",
                "Le service est momentanément indisponible. Vos réponses déjà enregistrées sont conservées. Réessayez dans quelques minutes.",
            ),
            WebError::Internal(_) => (
                "Erreur technique",
                "Une erreur technique nous empêche d’afficher cette page. Vos réponses déjà enregistrées sont conservées. Réessayez dans quelques minutes.",
            ),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::Denied(_) | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            WebError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Refused(_) | WebError::Conflict => StatusCode::CONFLICT,
            // 423: this resource is locked for now, and will be available once scanned.
            WebError::ScanPending => StatusCode::LOCKED,
            WebError::Infected => StatusCode::GONE,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::Internal(cause) => tracing::error!(error = %cause, "Request failed"),
            WebError::Unavailable(cause) => tracing::warn!(error = %cause, "Database unavailable"),
            WebError::Csrf => tracing::warn!("CSRF check failed"),
            // The client's doing (an aborted upload, a broken body): not a failure of ours.
            WebError::BadRequest(cause) => tracing::info!(error = %cause, "Client error"),
            WebError::TooLarge => tracing::warn!("Request body past its bounds"),
            _ => {}
        }
        if let WebError::LoginRequired { next } = self {
            let target = format!(
                "/connexion?suite={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        let (title, message) = self.page();
        let message = match self {
            WebError::Refused(why) => why.as_str(),
            WebError::Denied(why) => why,
            _ => message,
        };
        let html = ErrorPage::new(title, message)
            .render()
            .unwrap_or_else(|_| format!("<h1>{title}</h1><p>{message}</p>"));
        let mut response = HttpResponse::build(self.status_code());
        if let WebError::Unavailable(_) = self {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        if matches!(
            self,
            WebError::Csrf | WebError::TooLarge | WebError::BadRequest(_)
        ) {
            // The body may be left unread (refused before it was read, or broken): close the connection
            // rather than let the rest of it be read, or parsed as a next request.
            response.force_close();
        }
        response.content_type(ContentType::html()).body(html)
    }
}

pub type WebResult<T> = Result<T, WebError>;

/// Middleware hook: an error answered by the framework itself (a query string with a field twice, a body
/// that is not the expected JSON or form, a wrong method, a path matching no route's pattern) comes as
/// English plain text or an empty body. People get the French page instead; the JSON API keeps its JSON.
pub fn french_framework_errors<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if html || res.request().path().starts_with("/api/") {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (title, message) = match status {
        StatusCode::NOT_FOUND => WebError::NotFound.page(),
        StatusCode::FORBIDDEN => WebError::Forbidden.page(),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Action impossible",
            "Cette adresse ne s’utilise pas de cette façon. Revenez à la page précédente et utilisez ses boutons et ses liens.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Envoi trop volumineux",
            "Ce que vous avez envoyé est trop volumineux. Revenez à la page précédente : vos réponses déjà enregistrées sont conservées.",
        ),
        s if s.is_server_error() => WebError::Internal(String::new()).page(),
        _ => WebError::BadRequest(String::new()).page(),
    };
    let body = ErrorPage::new(title, message)
        .render()
        .unwrap_or_else(|_| format!("<h1>{title}</h1><p>{message}</p>"));
    let (req, old) = res.into_parts();
    let mut fresh = HttpResponse::build(status);
    // Keep what the framework said about the method and retry time.
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = old.headers().get(&name) {
            fresh.insert_header((name, v.clone()));
        }
    }
    let fresh = fresh.content_type(ContentType::html()).body(body);
    Ok(ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, fresh).map_into_right_body(),
    ))
}
