//! The web pages: `/if/flow/<slug>/` runs any flow through the executor and renders each
//! challenge as an accessible HTML form (server-side, so it works without JavaScript), plus
//! `/`, cancel and the default-flow redirects.

mod html;
mod pages;
mod render;
mod source_pages;
mod static_files;

use axum::routing::{any, get};
use axum::Router;
use engine::Services;
use std::sync::Arc;

pub struct WebState {
    pub services: Arc<Services>,
    pub trust_proxy: bool,
}

pub fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .route("/", get(pages::root))
        .route("/if/flow/{slug}/", get(pages::flow_get).post(pages::flow_post))
        .route("/flows/-/cancel/", get(pages::cancel))
        .route("/flows/-/default/{designation}/", get(pages::default_flow))
        .route("/if/user/", get(pages::root))
        .route("/source/oauth/login/{slug}/", any(source_pages::login))
        .route("/source/oauth/callback/{slug}/", get(source_pages::callback).post(source_pages::callback))
        .route("/static/authentik/sources/{file}", get(static_files::source_icon))
        .with_state(state)
}
