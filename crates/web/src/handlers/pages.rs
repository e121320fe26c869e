//! Public pages: home, legal notice, accessibility statement, health check, 404.

use actix_web::{HttpRequest, HttpResponse, web};
use guichet_simulation::Aid;

use super::{ok, render};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::session::MaybeUser;
use crate::templates::{AccessibilityPage, Card, ErrorPage, HomePage, Layout, LegalPage};

fn card(title: &str, summary: &str, cerfa: &str, href: Option<&str>) -> Card {
    Card {
        title: title.into(),
        summary: summary.into(),
        cerfa: cerfa.into(),
        href: href.map(Into::into),
    }
}

pub async fn home(req: HttpRequest, user: MaybeUser) -> WebResult<HttpResponse> {
    let procedures = vec![
        card(
            "Allocation personnalisée d’autonomie (APA) à domicile",
            "Pour les personnes de 60 ans et plus qui ont besoin d’aide pour les gestes de la vie quotidienne.",
            "Cerfa 16301*01",
            Some("/demarches/apa"),
        ),
        card(
            "Demande à la MDPH",
            "AAH, RQTH, carte mobilité inclusion, PCH, orientation : une seule demande pour les droits liés au handicap.",
            "Cerfa 15692*01",
            Some("/demarches/mdph"),
        ),
        card(
            "Prestation de compensation du handicap (PCH)",
            "Aide humaine, aides techniques, aménagement du logement ou du véhicule, aide animalière.",
            "Cerfa 15692*01 (partie PCH)",
            Some("/demarches/pch"),
        ),
        card(
            "Forfait Améthyste",
            "Transports en Île-de-France à tarif réduit pour les personnes âgées ou handicapées.",
            "",
            Some("/demarches/amethyste"),
        ),
    ];
    // The same names and sentences as /simulateurs.
    let simulators = [Aid::Apa, Aid::Pch, Aid::Aah, Aid::Amethyste]
        .into_iter()
        .map(|aid| {
            let href = format!("/simulateurs/{aid}");
            card(
                super::simulateurs::name(aid),
                super::simulateurs::summary(aid),
                "",
                Some(href.as_str()),
            )
        })
        .collect();
    ok(&HomePage {
        layout: Layout::new(&req, user.0.as_ref(), "Accueil"),
        procedures,
        simulators,
    })
}

pub async fn legal(req: HttpRequest, state: web::Data<AppState>, user: MaybeUser) -> WebResult<HttpResponse> {
    let retention = crate::retention::policies(state.procedures.all().map(|p| &*p.def))
        .iter()
        .map(|p| {
            format!(
                "{} : un brouillon est supprimé après {} sans modification (un courriel vous prévient un mois avant) ; une demande décidée est conservée {} après la décision, puis supprimée.",
                p.title,
                count(p.draft_months, "mois", "mois"),
                count(p.decided_years, "an", "ans"),
            )
        })
        .collect();
    ok(&LegalPage {
        layout: Layout::new(&req, user.0.as_ref(), "Mentions légales"),
        identity: state.identity.get(),
        m: state.settings.config.mentions.clone(),
        retention,
    })
}

/// `1 an`, `5 ans`: the noun agrees with the number.
fn count(n: u32, one: &str, many: &str) -> String {
    if n <= 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

pub async fn accessibility(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
) -> WebResult<HttpResponse> {
    let m = state.settings.config.mentions.clone();
    ok(&AccessibilityPage {
        layout: Layout::new(&req, user.0.as_ref(), "Déclaration d’accessibilité"),
        identity: state.identity.get(),
        conformity: m.conformity().label(),
        statement_date: m.statement_date_words(),
        audit_date: m.audit_date_words(),
        audit_rate: m.audit_rate_words(),
        technologies: m.technologies_or_default(),
        site: state.settings.public_url.clone(),
        m,
    })
}

pub async fn not_found(req: HttpRequest) -> WebResult<HttpResponse> {
    let mut page = ErrorPage::new(
        "Page non trouvée",
        "La page que vous cherchez n’existe pas ou a été déplacée. Vérifiez l’adresse, ou revenez à l’accueil.",
    );
    page.layout = Layout::new(&req, None, "Page non trouvée");
    render(actix_web::http::StatusCode::NOT_FOUND, &page)
}

/// Liveness and database reachability, for load balancers and monitoring.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let db = state
        .pool
        .run(|c| guichet_db::ping(c).map_err(WebError::from))
        .await;
    match db {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "Health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "error", "database": "unreachable"}))
        }
    }
}
