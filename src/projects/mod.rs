//! Individual projects: written by the implementing body with the territorial social services,
//! evaluated by the lead entity (capofila), with budgets, expenses and project editions.

pub mod api;
pub mod entities;
pub mod ops;
pub mod pages;
pub mod rules;
pub mod store;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

/// What other areas may ask about projects (their published queries).
pub use store::all as all_projects;
/// What the deadline engine reads: projects before the lead entity, and their steps.
pub use store::{for_evaluation, transitions};

/// The projects written for a case: id, the Italian day it was written and its status code,
/// newest first. What the case page lists; opening one is decided by the project page.
pub async fn of_case(
    db: &impl sea_orm::ConnectionTrait,
    case_id: i32,
) -> Result<Vec<(i32, chrono::NaiveDate, String)>, sea_orm::DbErr> {
    Ok(store::of_case(db, case_id)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.id,
                crate::platform::time::rome_date(p.created_at),
                p.status,
            )
        })
        .collect())
}

pub fn routes() -> Routes {
    let projects = Access::Permission(Permission::Projects);
    let budgets = Access::Permission(Permission::ProjectBudgets);
    Routes::new()
        .get("/projects", projects, pages::list)
        .get("/projects/new", projects, pages::new_form)
        .post("/projects", projects, pages::create)
        .get("/projects/{id}", projects, pages::show)
        .post(
            "/projects/{id}/interventions",
            projects,
            pages::add_intervention,
        )
        .post("/projects/{id}/status", projects, pages::change_status)
        .post("/interventions/{id}", projects, pages::change_intervention)
        .post("/interventions/{id}/expenses", projects, pages::add_expense)
        .get("/editions", Access::SignedIn, pages::editions)
        .post(
            "/editions",
            Access::Permission(Permission::ManageEditions),
            pages::add_edition,
        )
        .get("/editions/{id}/budget", budgets, pages::budget_page)
        .get("/editions/{id}/budget.csv", budgets, pages::budget_csv)
        .get("/editions/{id}/budget.xlsx", budgets, pages::budget_xlsx)
}
