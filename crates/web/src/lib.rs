//! The web pages: `/if/flow/<slug>/` runs any flow through the executor and renders each
//! challenge as an accessible HTML form (server-side, so it works without JavaScript), plus
//! `/`, cancel and the default-flow redirects.

mod html;
mod pages;
mod render;

use axum::routing::get;
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
        .with_state(state)
}
