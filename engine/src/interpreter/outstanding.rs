//! What a replayed execution still waits for: the effects to perform again
//! after a restart.

use super::effect::Effect;
use super::state::{ExecutionState, Phase, Scope};

impl ExecutionState {
    /// The effects whose results are not recorded yet, for a driver that
    /// rebuilt this state by replay: states waiting for `Continue`, task
    /// attempts without a recorded outcome (run again with the same
    /// idempotency key: at-least-once), and every armed timer at its
    /// absolute fire time (one that came due while down fires at once).
    pub fn outstanding_effects(&self) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.completion.is_some() {
            return effects;
        }
        collect(&self.root, &mut effects);
        for (id, timer) in &self.book.timers {
            effects.push(Effect::StartTimer {
                id: *id,
                fire_at_ms: timer.fire_at_ms,
            });
        }
        effects
    }
}

fn collect(scope: &Scope, effects: &mut Vec<Effect>) {
    let Some(current) = scope.current.as_ref() else {
        return;
    };
    match &current.phase {
        Phase::Entered => effects.push(Effect::Continue(scope.path.clone())),
        Phase::Task(task) => effects.push(Effect::ScheduleTask(task.spec.clone())),
        Phase::Backoff(_) | Phase::Wait(_) => {}
        Phase::MapRun(spec) => effects.push(Effect::StartMapRun(spec.clone())),
        Phase::FanOut(fan_out) => {
            for child in fan_out.running.values() {
                collect(child, effects);
            }
        }
    }
}
