//! Every resource of the API, described once, and the registry that lists them.

pub mod bindings;
pub mod common;
pub mod flows;
pub mod groups;
pub mod invitations;
pub mod sources;
pub mod prompts;
pub mod referrers;
pub mod stages;
pub mod tokens;
pub mod components;
pub mod users;

use crate::resource::Resource;
use std::sync::Arc;

/// All resources, in the order their routes are matched (longer paths first where they nest).
pub struct Registry {
    pub resources: Vec<Arc<Resource>>,
}

impl Registry {
    pub fn build() -> Registry {
        let mut resources: Vec<Arc<Resource>> = vec![
            Arc::new(users::resource()),
            Arc::new(groups::resource()),
            Arc::new(tokens::resource()),
            Arc::new(flows::resource()),
            Arc::new(bindings::resource()),
            Arc::new(stages::all_resource()),
            Arc::new(invitations::resource()),
            Arc::new(sources::all_resource()),
            Arc::new(sources::connections::all_resource()),
            Arc::new(sources::connections::oauth_resource()),
            Arc::new(prompts::resource()),
        ];
        resources.extend(sources::kinds().into_iter().map(|k| Arc::new((k.resource)())));
        resources.extend(stages::kinds().into_iter().map(|k| Arc::new((k.resource)())));
        // Longest path first, so `/stages/prompt/prompts/` wins over a shorter prefix.
        resources.sort_by_key(|r| std::cmp::Reverse(r.path.len()));
        Registry { resources }
    }

    /// The concrete resource of a blueprint model name (`authentik_flows.flow`).
    pub fn by_model(&self, model: &str) -> Option<Arc<Resource>> {
        self.resources
            .iter()
            .find(|r| r.polymorphic.is_none() && format!("{}.{}", r.meta.app_label, r.meta.model_name) == model)
            .cloned()
    }

    /// The resource whose path prefixes `path`, with the rest split into segments.
    pub fn route<'p>(&self, path: &'p str) -> Option<(Arc<Resource>, Vec<&'p str>)> {
        for r in &self.resources {
            if let Some(rest) = path.strip_prefix(r.path) {
                let segs: Vec<&str> = if rest.is_empty() { vec![] } else { rest.trim_end_matches('/').split('/').collect() };
                return Some((r.clone(), segs));
            }
        }
        None
    }
}
