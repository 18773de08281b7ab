//! The route table. Every route is registered together with its access rule, so that no route
//! can exist without a policy: the access-matrix test walks [`Routes::specs`] and tries each
//! route as every role. The rule is enforced here, before the handler runs.

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, on};

use super::{AppError, SharedState};
use crate::platform::policy::Permission;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Someone who gave a right password but has not yet given the second factor.
    PasswordOnly,
    /// A fully signed-in staff member (password and second factor).
    SignedIn,
    /// A fully signed-in staff member whose roles in the current organisation carry this.
    Permission(Permission),
}

/// One registered route.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// The authentication state of a request, as set by the identity layer's middleware.
#[derive(Clone, Debug)]
pub enum AuthState {
    Anonymous,
    /// Password accepted, second factor pending.
    Partial(crate::platform::policy::Actor),
    Full(crate::platform::policy::Actor),
}

/// A router under construction, with the access rule of every route it holds.
pub struct Routes {
    router: Router<SharedState>,
    specs: Vec<RouteSpec>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    pub fn new() -> Routes {
        Routes {
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    /// Registers `handler` for `method` on `path`, callable only as `access` allows.
    pub fn route<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, SharedState>,
        T: 'static,
    {
        let filter = axum::routing::MethodFilter::try_from(method.clone())
            .unwrap_or(axum::routing::MethodFilter::GET);
        let mr: MethodRouter<SharedState> = on(filter, handler).route_layer(middleware::from_fn(
            move |req: Request, next: Next| enforce(access, req, next),
        ));
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, SharedState>,
        T: 'static,
    {
        self.route(Method::GET, path, access, handler)
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, SharedState>,
        T: 'static,
    {
        self.route(Method::POST, path, access, handler)
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.specs.extend(other.specs);
        self
    }

    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    pub fn into_parts(self) -> (Router<SharedState>, Vec<RouteSpec>) {
        (self.router, self.specs)
    }
}

/// Sends a browser to `page` (sign-in or second factor), to come back here afterwards.
fn login_redirect(req: &Request, page: &str) -> Response {
    if req.method() == Method::GET {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        Redirect::to(&format!("{page}?next={next}")).into_response()
    } else {
        AppError::Unauthorized.into_response()
    }
}

async fn enforce(access: Access, req: Request, next: Next) -> Response {
    let auth = req
        .extensions()
        .get::<AuthState>()
        .cloned()
        .unwrap_or(AuthState::Anonymous);
    match (access, &auth) {
        (Access::Public, _) => next.run(req).await,
        (Access::PasswordOnly, AuthState::Partial(_) | AuthState::Full(_)) => next.run(req).await,
        (Access::SignedIn, AuthState::Full(_)) => next.run(req).await,
        (Access::Permission(p), AuthState::Full(actor)) => {
            if actor.can(p) {
                next.run(req).await
            } else {
                AppError::Forbidden.into_response()
            }
        }
        (_, AuthState::Partial(_)) => login_redirect(&req, "/login/mfa"),
        (_, AuthState::Anonymous) => login_redirect(&req, "/login"),
    }
}
