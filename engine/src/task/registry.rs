//! The table from a Task state's `Resource` to the code that runs it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;

use super::context::TaskContext;
use super::error::TaskResult;

/// The suffix of the callback pattern's resources. A resource with it is
/// looked up without it when no handler has the full name.
pub const WAIT_FOR_TASK_TOKEN_SUFFIX: &str = ".waitForTaskToken";

type AsyncHandler =
    dyn Fn(serde_json::Value, TaskContext) -> BoxFuture<'static, TaskResult> + Send + Sync;
type BlockingHandler = dyn Fn(serde_json::Value, TaskContext) -> TaskResult + Send + Sync;

/// A registered handler, as the runner dispatches it.
#[derive(Clone)]
pub(crate) enum Handler {
    /// Runs as a tokio task.
    Async(Arc<AsyncHandler>),
    /// Runs on the blocking pool.
    Blocking(Arc<BlockingHandler>),
}

/// Task handlers by resource name.
///
/// Registration happens before the registry is given to a
/// [`TaskRunner`](super::TaskRunner); cloning is cheap (one `Arc`), and a
/// registration on a clone does not affect the others (copy on write).
/// Registering a name again replaces the earlier handler.
///
/// Lookup rule: the exact `Resource` first; failing that, a resource ending
/// in [`WAIT_FOR_TASK_TOKEN_SUFFIX`] is looked up without the suffix, so one
/// handler serves both `my:queue` and `my:queue.waitForTaskToken`.
#[derive(Clone, Default)]
pub struct HandlerRegistry {
    handlers: Arc<HashMap<String, Handler>>,
}

impl HandlerRegistry {
    /// An empty registry.
    pub fn new() -> HandlerRegistry {
        HandlerRegistry::default()
    }

    /// Registers an async handler: each invocation runs as its own tokio
    /// task, so it must not block its thread (use
    /// [`register_blocking`](Self::register_blocking) for CPU-bound work).
    pub fn register_async<F, Fut>(&mut self, resource: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(serde_json::Value, TaskContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let boxed: Arc<AsyncHandler> =
            Arc::new(move |input, context| handler(input, context).boxed());
        Arc::make_mut(&mut self.handlers).insert(resource.into(), Handler::Async(boxed));
        self
    }

    /// Registers a blocking handler: each invocation runs on one of the
    /// runner's fixed pool threads and may block it or use the CPU for as
    /// long as it needs (it cannot be interrupted; see
    /// [`TaskRunner`](super::TaskRunner)).
    pub fn register_blocking<F>(&mut self, resource: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(serde_json::Value, TaskContext) -> TaskResult + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.handlers)
            .insert(resource.into(), Handler::Blocking(Arc::new(handler)));
        self
    }

    /// True when [`invoke`](super::TaskRunner::invoke) would find a handler
    /// for `resource` (under the lookup rule above). The runtime can use it
    /// to reject a definition that names an unknown resource at registration.
    pub fn contains(&self, resource: &str) -> bool {
        self.resolve(resource).is_some()
    }

    /// The registered resource names, in no particular order.
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }

    /// The handler for `resource` under the lookup rule.
    pub(crate) fn resolve(&self, resource: &str) -> Option<&Handler> {
        self.handlers.get(resource).or_else(|| {
            resource
                .strip_suffix(WAIT_FOR_TASK_TOKEN_SUFFIX)
                .and_then(|base| self.handlers.get(base))
        })
    }
}

impl fmt::Debug for HandlerRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.resources().collect();
        names.sort_unstable();
        f.debug_struct("HandlerRegistry")
            .field("resources", &names)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_strips_the_callback_suffix_and_clones_copy_on_write() {
        let mut registry = HandlerRegistry::new();
        registry.register_blocking("a:b", |input, _| Ok(input));
        let snapshot = registry.clone();
        registry.register_async("c:d", |input, _| async move { Ok(input) });
        assert!(registry.contains("a:b"));
        assert!(registry.contains("a:b.waitForTaskToken"));
        assert!(!registry.contains("a:b.sync"));
        assert!(registry.contains("c:d"));
        assert!(!snapshot.contains("c:d"));
        assert!(matches!(
            registry.resolve("a:b"),
            Some(Handler::Blocking(_))
        ));
        assert!(matches!(registry.resolve("c:d"), Some(Handler::Async(_))));
    }
}
