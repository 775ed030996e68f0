//! [`Ctx`]: what one transition reads (time, seed, definition) and what it
//! writes (events, effects), threaded through the per-state modules.

use serde_json::Value;

use super::effect::{Completion, Effect};
use super::input::TimerId;
use super::state::{Book, ExecInfo, Scope, Timer, TimerPurpose};
use crate::asl::StateMachine;
use crate::history::{EventDetails, EventId, HistoryEvent, HistoryEventType};

/// The working set of one transition.
pub(crate) struct Ctx<'a> {
    pub info: &'a ExecInfo,
    pub machine: &'a StateMachine,
    pub book: &'a mut Book,
    pub now_ms: i64,
    seed: u64,
    draws: u64,
    pub events: Vec<HistoryEvent>,
    pub effects: Vec<Effect>,
    pub completion: Option<Completion>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        info: &'a ExecInfo,
        machine: &'a StateMachine,
        book: &'a mut Book,
        now_ms: i64,
        seed: u64,
    ) -> Ctx<'a> {
        Ctx {
            info,
            machine,
            book,
            now_ms,
            seed,
            draws: 0,
            events: Vec::new(),
            effects: Vec::new(),
            completion: None,
        }
    }

    /// Appends an event to `scope`'s causal chain and returns its id.
    pub fn emit(
        &mut self,
        scope: &mut Scope,
        kind: HistoryEventType,
        details: EventDetails,
    ) -> u64 {
        let id = self.emit_after(scope.last_event, &scope.path, kind, details);
        scope.last_event = id;
        id
    }

    /// Appends an event that follows `previous`, outside any scope's chain.
    pub fn emit_after(
        &mut self,
        previous: u64,
        path: &[u32],
        kind: HistoryEventType,
        details: EventDetails,
    ) -> u64 {
        self.book.last_event += 1;
        let id = self.book.last_event;
        self.events.push(HistoryEvent {
            id: EventId(id),
            previous_event_id: EventId(previous),
            timestamp_ms: self.now_ms,
            kind,
            scope: path.to_vec(),
            details,
        });
        id
    }

    /// The next pseudo-random number of this transition: a pure function of
    /// the recorded seed and how many numbers were drawn before.
    pub fn random_u64(&mut self) -> u64 {
        self.draws += 1;
        splitmix64(
            self.seed
                .wrapping_add(self.draws.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        )
    }

    /// A random number in `[0, 1)`.
    pub fn random_unit(&mut self) -> f64 {
        (self.random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Registers a timer and asks the driver to arm it.
    pub fn start_timer(&mut self, fire_at_ms: i64, purpose: TimerPurpose) -> TimerId {
        let id = TimerId(self.book.next_timer);
        self.book.next_timer += 1;
        self.book.timers.insert(
            id,
            Timer {
                fire_at_ms,
                purpose,
            },
        );
        self.effects.push(Effect::StartTimer { id, fire_at_ms });
        id
    }

    /// Forgets a timer and asks the driver to disarm it.
    pub fn cancel_timer(&mut self, id: TimerId) {
        if self.book.timers.remove(&id).is_some() {
            self.effects.push(Effect::CancelTimer(id));
        }
    }
}

/// Event details naming a state, with its input or output as JSON text.
pub(crate) fn state_details(name: &str) -> EventDetails {
    EventDetails {
        name: Some(name.to_string()),
        ..EventDetails::default()
    }
}

/// JSON text of a value (compact).
pub(crate) fn json_text(value: &Value) -> String {
    value.to_string()
}

/// SplitMix64: a small, well-mixed hash of a 64-bit counter.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
