//! The step runner every study shares: it numbers and titles steps from the study's plan,
//! runs each through the journal (a completed step is replayed, never performed again),
//! honours a pause between steps, and reports to the front end.

use meshagents_engine::{Event, Journal};
use serde::Serialize;

use crate::model_server::ModelServer;
use crate::plan::{Plan, Step};
use crate::progress::Progress;
use crate::WorkflowError;

/// Runs a study's steps through the journal and reports each to the user.
pub(crate) struct Runner<'a> {
    pub(crate) journal: Journal,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) plan: Plan,
    pub(crate) run: usize,
    pub(crate) replayed: usize,
    /// The model server the panel steps share (`[panel.server]`), if any.
    pub(crate) server: &'a ModelServer,
}

impl Drop for Runner<'_> {
    /// However the study ends (finished, paused, failed), a model server it started is
    /// stopped while the journal can still record it.
    fn drop(&mut self) {
        self.server.stop(Some(&self.journal), self.progress);
    }
}

impl<'a> Runner<'a> {
    /// A runner for `plan`, after telling readers (`study status`, the TUI), through the
    /// events file, which steps the study (`kind`: `demo` or `study`) has.
    pub(crate) fn start(
        journal: Journal,
        kind: &str,
        plan: Plan,
        progress: &'a dyn Progress,
        server: &'a ModelServer,
    ) -> Result<Self, WorkflowError> {
        journal.event(
            "study/plan",
            &Event::Plan {
                study: kind.to_string(),
                steps: plan.keys().iter().map(|k| k.to_string()).collect(),
            },
        )?;
        Ok(Runner {
            journal,
            progress,
            plan,
            run: 0,
            replayed: 0,
            server,
        })
    }

    /// Stops the model server now (the panel is done): its GPU memory is free for what follows.
    pub(crate) fn stop_model_server(&self) {
        self.server.stop(Some(&self.journal), self.progress);
    }

    /// The step's number and title in this study.
    pub(crate) fn place(&self, step: Step) -> Result<(usize, &'static str), WorkflowError> {
        let index = self.plan.number(step).ok_or_else(|| {
            WorkflowError::Invalid(format!("step {} is not in this study's plan", step.key()))
        })?;
        Ok((index, step.title()))
    }

    /// Reports the step as started, unless a pause was asked for (Ctrl-C): that takes effect
    /// between steps, where everything done is journaled.
    fn begin(&self, step: Step) -> Result<usize, WorkflowError> {
        let (index, title) = self.place(step)?;
        if crate::interrupt::requested() {
            return Err(WorkflowError::Interrupted {
                step: index,
                title: title.to_string(),
            });
        }
        self.progress.step_started(index, self.plan.len(), title);
        Ok(index)
    }

    pub(crate) fn step<Req, T, E>(
        &mut self,
        step: Step,
        request: &Req,
        detail: impl Fn(&T) -> String,
        effect: impl FnOnce(&Journal) -> Result<T, E>,
    ) -> Result<T, WorkflowError>
    where
        Req: Serialize,
        T: Serialize + serde::de::DeserializeOwned,
        E: std::fmt::Display,
    {
        let index = self.begin(step)?;
        let journal = &self.journal;
        let outcome = journal.step(step.key(), request, || effect(journal))?;
        self.finish(step, index, outcome, detail)
    }

    /// A step whose effect journals steps of its own (a Slurm job's submissions, a meeting's
    /// model calls) in the same journal. The effect's own error comes back as it is (a pause
    /// while a job runs or a model call is in flight is still a pause), after the journal has
    /// recorded the step as failed.
    pub(crate) fn step_in<Req, T>(
        &mut self,
        step: Step,
        request: &Req,
        detail: impl Fn(&T) -> String,
        effect: impl FnOnce(&Journal) -> Result<T, WorkflowError>,
    ) -> Result<T, WorkflowError>
    where
        Req: Serialize,
        T: Serialize + serde::de::DeserializeOwned,
    {
        let index = self.begin(step)?;
        let journal = &self.journal;
        let mut failure: Option<WorkflowError> = None;
        let outcome = journal.step(step.key(), request, || {
            effect(journal).map_err(|e| {
                let message = crate::error_text(&e);
                failure = Some(e);
                message
            })
        });
        let outcome = match (outcome, failure) {
            (Ok(outcome), _) => outcome,
            (Err(_), Some(e)) => return Err(e),
            (Err(e), None) => return Err(e.into()),
        };
        self.finish(step, index, outcome, detail)
    }

    fn finish<T>(
        &mut self,
        step: Step,
        index: usize,
        outcome: meshagents_engine::StepOutcome<T>,
        detail: impl Fn(&T) -> String,
    ) -> Result<T, WorkflowError> {
        if outcome.replayed {
            self.replayed += 1;
        } else {
            self.run += 1;
        }
        self.progress.step_finished(
            index,
            self.plan.len(),
            step.title(),
            outcome.replayed,
            &detail(&outcome.value),
        );
        Ok(outcome.value)
    }
}
