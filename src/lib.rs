//! shoal facade.
