//! The OpenAPI components that are not a resource's own schemas (action bodies, nested shapes),
//! gathered from the resource modules that define them.

use super::users;
use crate::resource::Component;

pub fn all() -> Vec<Component> {
    let mut out = vec![];
    out.extend(users::components());
    out
}
