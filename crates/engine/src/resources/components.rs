//! The OpenAPI components that are not a resource's own schemas (action bodies, nested shapes),
//! gathered from the resource modules that define them.

use super::{common, flows, groups, prompts, sources, stages, tokens, users};
use crate::resource::Component;

pub fn all() -> Vec<Component> {
    let mut out = vec![];
    out.extend(common::components());
    out.extend(users::components());
    out.extend(groups::components());
    out.extend(tokens::components());
    out.extend(flows::components());
    out.extend(stages::components());
    out.extend(prompts::components());
    out.extend(sources::oauth::components());
    out
}
