//! [`StepError`]: an input the interpreter cannot apply.

/// Why [`super::step`] refused an input. Nothing is recorded; `step`
/// leaves the state unchanged, and so does [`super::step_in_place`] when
/// [`StepError::leaves_state_unchanged`] holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// The input names a scope, state, attempt, timer or token that is no
    /// longer waiting for it (a late task outcome, a cancelled timer, a
    /// duplicate `Continue`). Normal after stops and failures; dropped.
    #[error("{input} input is stale for execution {execution}: {reason}")]
    Stale {
        /// The input's kind.
        input: &'static str,
        /// The execution's name.
        execution: String,
        /// What did not match.
        reason: String,
    },
    /// The execution already ended.
    #[error("execution {execution} has already ended; {input} input refused")]
    Finished {
        /// The input's kind.
        input: &'static str,
        /// The execution's name.
        execution: String,
    },
    /// `Redrive` on an execution that is running, succeeded, or has no
    /// state to restart from.
    #[error("execution {execution} cannot be redriven: {reason}")]
    NotRedrivable {
        /// The execution's name.
        execution: String,
        /// Why.
        reason: String,
    },
    /// The first input of a stream is not `Start`, or `Start` came twice.
    #[error("execution {execution}: {detail}")]
    BadStart {
        /// The execution's name (or id when unknown).
        execution: String,
        /// What is wrong.
        detail: String,
    },
    /// The recorded history does not fit the definition (a state named by
    /// the state is missing): the log or the definition row is damaged.
    #[error("execution {execution}: history does not match its definition: {detail}")]
    Inconsistent {
        /// The execution's name.
        execution: String,
        /// What did not match.
        detail: String,
    },
}

impl StepError {
    /// True when the input was refused before the transition changed
    /// anything, so [`super::step_in_place`] left the state as it was: a
    /// stale input, an ended execution, a refused redrive, a misplaced
    /// `Start`. False for [`StepError::Inconsistent`], which can be found
    /// half-way through a transition.
    pub fn leaves_state_unchanged(&self) -> bool {
        match self {
            StepError::Stale { .. }
            | StepError::Finished { .. }
            | StepError::NotRedrivable { .. }
            | StepError::BadStart { .. } => true,
            StepError::Inconsistent { .. } => false,
        }
    }
}
