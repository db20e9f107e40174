//! CloudFormation and SAM templates.

pub(crate) mod intrinsics;
