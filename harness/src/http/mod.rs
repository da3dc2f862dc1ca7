//! HTTP vocabulary with one definition each: media types, preferences, resource paths.

pub mod media;
pub mod path;
pub mod prefer;

pub use media::MediaType;
pub use path::ResourcePath;
pub use prefer::{Preferences, Return};
