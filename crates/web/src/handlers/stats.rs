//! Statistics for the services, and the public open-data page.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use guichet_dossiers::State;
use guichet_dossiers::stats;
use guichet_types::Role;

use super::ok;
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::session::{CurrentUser, MaybeUser};
use crate::templates::{Layout, OpenDataPage, StatsPage, StatsRow};

fn title_of(state: &AppState, procedure: &str) -> String {
    state
        .procedures
        .get(procedure)
        .map_or_else(|| procedure.to_owned(), |p| p.def.title().to_owned())
}

fn days(a: chrono::NaiveDateTime, b: chrono::NaiveDateTime) -> f64 {
    (b - a).num_minutes() as f64 / (60.0 * 24.0)
}

fn fmt_days(d: f64) -> String {
    format!("{:.0} jours", d.round())
}

pub async fn statistics(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    if !(u.is(Role::Instructeur) || u.is(Role::Admin)) {
        return Err(WebError::Forbidden);
    }
    let scope: Option<Vec<String>> =
        (!u.is(Role::Admin)).then(|| u.services.iter().map(|s| s.code.clone()).collect());
    let procedures: Vec<String> = state.procedures.all().map(|p| p.id().to_owned()).collect();
    let (counts, overdue, times) = state
        .pool
        .run(move |c| {
            let counts = stats::counts_by_state(c, scope.as_deref())?;
            let overdue = stats::overdue(c, scope.as_deref(), guichet_db::now())?;
            let mut times = BTreeMap::new();
            for p in &procedures {
                times.insert(p.clone(), stats::decision_times(c, scope.as_deref(), p)?);
            }
            Ok::<_, WebError>((counts, overdue, times))
        })
        .await?;
    let mut rows: BTreeMap<String, StatsRow> = BTreeMap::new();
    for (p, st, n) in counts {
        let row = rows.entry(p.clone()).or_insert_with(|| StatsRow {
            procedure: title_of(&state, &p),
            ..StatsRow::default()
        });
        match st {
            State::Depose => row.deposes += n,
            State::EnInstruction => row.en_instruction += n,
            State::Decide => row.decides += n,
            State::SansSuite => row.sans_suite += n,
            State::Brouillon => {}
        }
    }
    let mut monthly = Vec::new();
    for (p, list) in &times {
        let all: Vec<f64> = list.iter().map(|(a, b)| days(*a, *b)).collect();
        if let Some((median, p90)) = stats::percentiles(all) {
            let row = rows.entry(p.clone()).or_insert_with(|| StatsRow {
                procedure: title_of(&state, p),
                ..StatsRow::default()
            });
            row.median = fmt_days(median);
            row.p90 = fmt_days(p90);
        }
        let mut by_month: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (a, b) in list {
            by_month
                .entry(b.format("%Y-%m").to_string())
                .or_default()
                .push(days(*a, *b));
        }
        for (month, v) in by_month.into_iter().rev().take(12) {
            let n = v.len();
            if let Some((m, p90)) = stats::percentiles(v) {
                monthly.push((title_of(&state, p), month, n, fmt_days(m), fmt_days(p90)));
            }
        }
    }
    ok(&StatsPage {
        layout: Layout::new(&req, Some(&u), "Statistiques"),
        rows: rows.into_values().collect(),
        overdue,
        monthly,
    })
}

/// Monthly counts, with small cells suppressed.
async fn open_data(state: &web::Data<AppState>) -> WebResult<Vec<(String, String, String, Option<i64>)>> {
    let rows = state
        .pool
        .run(|c| stats::monthly_counts(c).map_err(WebError::from))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(month, p, st, n)| {
            let label = st.parse::<State>().map_or(st.clone(), |s| s.label().to_owned());
            (month, title_of(state, &p), label, stats::publishable(n))
        })
        .collect())
}

pub async fn donnees(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
) -> WebResult<HttpResponse> {
    let rows = open_data(&state).await?;
    ok(&OpenDataPage {
        layout: Layout::new(&req, user.0.as_ref(), "Données ouvertes"),
        rows: rows
            .into_iter()
            .map(|(m, p, s, n)| {
                (
                    // « juin 2026 » to people; the CSV keeps `2026-06` for machines.
                    guichet_documents::french::month(&m),
                    p,
                    s,
                    n.map_or_else(|| "moins de 11".to_owned(), |n| n.to_string()),
                )
            })
            .collect(),
    })
}

pub async fn donnees_csv(state: web::Data<AppState>) -> WebResult<HttpResponse> {
    let rows = open_data(&state).await?;
    let mut out = String::from("mois;procedure;etat;nombre\n");
    for (m, p, s, n) in rows {
        out.push_str(&format!(
            "{m};{p};{s};{}\n",
            n.map_or_else(|| "<11".to_owned(), |n| n.to_string())
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"guichet-donnees.csv\"",
        ))
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(out))
}
