//! Array jobs on Slurm as journaled activities.
//!
//! [`run_array`] runs the `tasks` tasks of one command line as a Slurm array job and returns
//! when every task has written its output file. Each submission is an engine step: its
//! `sbatch` runs inside the step and the job id is journaled (and flushed) before any waiting,
//! so a controller that is killed and started again finds its job in the journal and watches
//! it instead of submitting again. Tasks that fail (a non-zero exit, a cancellation, a time or
//! memory limit, a node failure) are submitted again, alone, up to a retry limit.
//!
//! What a task does is opaque here: a command line and an output file per task. A task
//! counts as done when its output exists, so the task must create it atomically (write
//! elsewhere, then rename). Job states come from `squeue`; when Slurm has already forgotten a
//! job (after `MinJobAge`), from `sacct` if accounting is on, else from the output file alone.
//!
//! Closing the window between `sbatch` and the journal: every submission has a job name
//! derived from a journaled random token and the submission's number. A submission step that
//! is performed again after a crash first asks Slurm for a job of that name and adopts it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::journal::Journal;
use crate::EngineError;

/// How jobs are submitted: the `sbatch` options and the watching policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlurmOptions {
    pub partition: Option<String>,
    pub account: Option<String>,
    /// `--time`, e.g. `01:00:00`.
    pub time: Option<String>,
    /// `--mem` per task, e.g. `8G`.
    pub mem: Option<String>,
    pub cpus_per_task: Option<u32>,
    /// Passed to `sbatch` as they are, after the options above.
    pub sbatch_args: Vec<String>,
    /// How many times a failed task is submitted again before the job fails.
    pub max_retries: u32,
    /// Seconds between two looks at the queue.
    pub poll_seconds: f64,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            partition: None,
            account: None,
            time: None,
            mem: None,
            cpus_per_task: None,
            sbatch_args: Vec::new(),
            max_retries: 2,
            poll_seconds: 5.0,
        }
    }
}

/// One array job: `tasks` runs of `command`, each writing `output(task)`.
pub struct ArrayJob<'a> {
    /// Prefix of the job's journal keys (e.g. `phewas/adjusted/slurm`).
    pub key: &'a str,
    /// What the tasks compute; part of every submission's request, so a changed job is a
    /// non-determinism error instead of a silent re-attachment to the old one.
    pub identity: serde_json::Value,
    pub tasks: usize,
    /// The argv of a task; `{task}` inside an argument stands for the task's index. Use an
    /// absolute path for the program: tasks run on other machines, in `work_dir`.
    pub command: Vec<String>,
    /// Holds the task script and `logs/`; the tasks' working directory.
    pub work_dir: &'a Path,
    /// The file a task writes when it succeeds.
    pub output: &'a dyn Fn(usize) -> PathBuf,
}

/// A journaled submission: the result of a `…/submit#K` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub job_id: String,
    pub job_name: String,
    pub tasks: Vec<usize>,
    /// False when the step found its job already in the queue (submitted before a crash).
    pub submitted: bool,
}

// The event type lives with the other events (a file cycle otherwise: journal -> event ->
// slurm -> journal); its old path stays.
pub use crate::event::{ArrayEvent, TaskFailure};

/// The outcome of a finished array job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrayOutcome {
    pub submissions: Vec<Submission>,
}

#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot run `{program}`: {message} (is Slurm installed and on PATH?)")]
    Command { program: String, message: String },
    #[error("`{command}` failed: {message}")]
    Rejected { command: String, message: String },
    #[error("task {} of the array failed {} time(s) (last: job {}, {}); see {}", .0.task, .0.attempts, .0.job_id, .0.state, .0.log.display())]
    TaskFailed(TaskFailure),
    #[error("stopped watching job(s) {}; they keep running, and running the same command again re-attaches to them", job_ids.join(", "))]
    Stopped { job_ids: Vec<String> },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

/// Looks this many times in a row for a task that left the queue without its output before
/// calling it failed: a shared file system may show a renamed file late.
const GRACE_POLLS: u32 = 3;

/// Runs `job` to completion (or re-attaches to it), resubmitting failed tasks. `stop` is
/// asked between looks at the queue: when it says yes, the watcher returns
/// [`SlurmError::Stopped`] and leaves the job running.
pub fn run_array(
    journal: &Journal,
    job: &ArrayJob,
    options: &SlurmOptions,
    observe: &dyn Fn(&ArrayEvent),
    stop: &dyn Fn() -> bool,
) -> Result<ArrayOutcome, SlurmError> {
    let file_error = |path: &Path, e: std::io::Error| SlurmError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(job.work_dir.join("logs"))
        .map_err(|e| file_error(&job.work_dir.join("logs"), e))?;
    let script = job.work_dir.join("task.sh");
    let script_text = task_script(&job.command);
    std::fs::write(&script, &script_text).map_err(|e| file_error(&script, e))?;

    // A random token, journaled once, names this job's submissions in the queue.
    let token: String = journal
        .step(&format!("{}/name", job.key), &job.identity, || {
            Ok::<_, String>(random_token(job.work_dir))
        })?
        .value;

    // Every submission already journaled (a restart re-attaches to all of them).
    let mut submissions: Vec<Submission> = Vec::new();
    for (key, value) in journal.completed_with_prefix(&format!("{}/submit#", job.key))? {
        let submission: Submission =
            serde_json::from_value(value).map_err(|e| EngineError::Codec {
                step: key,
                message: e.to_string(),
            })?;
        observe(&ArrayEvent::Submitted {
            job_id: submission.job_id.clone(),
            tasks: submission.tasks.clone(),
            number: submissions.len(),
            reattached: true,
        });
        submissions.push(submission);
    }
    let submit = |number: usize, tasks: Vec<usize>| -> Result<Submission, SlurmError> {
        let name = format!("{token}-{number}");
        let request = serde_json::json!({
            "identity": job.identity,
            "tasks": tasks,
            "job_name": name,
            "script": crate::record::sha256_hex(script_text.as_bytes()),
        });
        let mut failure: Option<SlurmError> = None;
        let outcome = journal.step(&format!("{}/submit#{number}", job.key), &request, || {
            submit_array(job, options, &script, &name, &tasks, number).map_err(|e| {
                let text = e.to_string();
                failure = Some(e);
                text
            })
        });
        match (outcome, failure) {
            (_, Some(e)) => Err(e),
            (Ok(o), None) => {
                observe(&ArrayEvent::Submitted {
                    job_id: o.value.job_id.clone(),
                    tasks: o.value.tasks.clone(),
                    number,
                    // Replayed from the journal, or found in the queue under its name after a
                    // crash between sbatch and the journal: either way, not submitted again.
                    reattached: o.replayed || !o.value.submitted,
                });
                Ok(o.value)
            }
            (Err(e), None) => Err(e.into()),
        }
    };
    if submissions.is_empty() {
        submissions.push(submit(0, (0..job.tasks).collect())?);
    }

    let mut queue = Queue::default();
    let mut missing_polls = vec![0u32; job.tasks];
    loop {
        if stop() {
            return Err(SlurmError::Stopped {
                job_ids: active_jobs(&submissions, job, &queue),
            });
        }
        // The latest submission of each task, and how many times it was submitted.
        let mut latest: Vec<Option<(&Submission, u32)>> = vec![None; job.tasks];
        for s in &submissions {
            for &t in &s.tasks {
                if let Some(slot) = latest.get_mut(t) {
                    let attempts = slot.map(|(_, a)| a).unwrap_or(0) + 1;
                    *slot = Some((s, attempts));
                }
            }
        }
        let job_ids: Vec<String> = {
            let mut ids: Vec<String> = Vec::new();
            for (t, l) in latest.iter().enumerate() {
                if let Some((s, _)) = l {
                    if !(job.output)(t).is_file() && !ids.contains(&s.job_id) {
                        ids.push(s.job_id.clone());
                    }
                }
            }
            ids
        };
        queue.refresh(&job_ids)?;
        let (mut done, mut running, mut pending) = (0, 0, 0);
        let mut failed: Vec<(usize, String, u32, String)> = Vec::new();
        for (t, l) in latest.iter().enumerate() {
            let Some((s, attempts)) = l else {
                // Cannot happen: submission 0 has every task. Submit it to be safe.
                failed.push((t, "never submitted".into(), 0, String::new()));
                continue;
            };
            if (job.output)(t).is_file() {
                done += 1;
                continue;
            }
            match queue.state(&s.job_id, t) {
                Some(state) if is_pending(&state) => pending += 1,
                Some(state) if is_active(&state) => running += 1,
                Some(state) if state != "COMPLETED" => {
                    failed.push((t, state, *attempts, s.job_id.clone()));
                }
                // Completed without its output, or gone from the queue: look again a few
                // times (a shared file system can show the output late), then ask sacct.
                other => {
                    missing_polls[t] += 1;
                    if missing_polls[t] >= GRACE_POLLS {
                        let state = other
                            .map(|s| format!("{s} without writing its output"))
                            .or_else(|| queue.sacct_state(&s.job_id, t))
                            .unwrap_or_else(|| "left the queue without writing its output".into());
                        failed.push((t, state, *attempts, s.job_id.clone()));
                    } else {
                        running += 1;
                    }
                }
            }
        }
        observe(&ArrayEvent::Progress {
            done,
            running,
            pending,
            tasks: job.tasks,
        });
        if done == job.tasks {
            return Ok(ArrayOutcome { submissions });
        }
        if !failed.is_empty() {
            let mut again = Vec::new();
            for (task, state, attempts, job_id) in failed {
                let retrying = attempts <= options.max_retries;
                let log = log_path(job.work_dir, submissions.len().saturating_sub(1), task);
                let log = submissions
                    .iter()
                    .rposition(|s| s.job_id == job_id)
                    .map(|n| log_path(job.work_dir, n, task))
                    .unwrap_or(log);
                let failure = TaskFailure {
                    task,
                    job_id,
                    state,
                    attempts,
                    log,
                };
                observe(&ArrayEvent::TaskFailed {
                    failure: failure.clone(),
                    retrying,
                });
                if !retrying {
                    // Give up: the other tasks' work is wasted now, so free the nodes.
                    for id in active_jobs(&submissions, job, &queue) {
                        let _ = Command::new("scancel").arg(&id).output();
                    }
                    return Err(SlurmError::TaskFailed(failure));
                }
                missing_polls[task] = 0;
                again.push(task);
            }
            let number = submissions.len();
            submissions.push(submit(number, again)?);
            continue;
        }
        std::thread::sleep(Duration::from_secs_f64(options.poll_seconds.max(0.1)));
    }
}

/// The log file of `task` in submission `number`.
pub fn log_path(work_dir: &Path, number: usize, task: usize) -> PathBuf {
    work_dir
        .join("logs")
        .join(format!("task-{task}.{number}.log"))
}

/// The submissions whose tasks may still be in the queue.
fn active_jobs(submissions: &[Submission], job: &ArrayJob, queue: &Queue) -> Vec<String> {
    let mut ids = Vec::new();
    for s in submissions {
        let busy = s.tasks.iter().any(|&t| {
            !(job.output)(t).is_file()
                && queue
                    .state(&s.job_id, t)
                    .is_none_or(|state| is_active(&state))
        });
        if busy && !ids.contains(&s.job_id) {
            ids.push(s.job_id.clone());
        }
    }
    ids
}

fn is_pending(state: &str) -> bool {
    matches!(
        state,
        "PENDING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED"
    )
}

/// States in which a task may still write its output.
fn is_active(state: &str) -> bool {
    is_pending(state)
        || matches!(
            state,
            "RUNNING"
                | "CONFIGURING"
                | "COMPLETING"
                | "SUSPENDED"
                | "RESIZING"
                | "SIGNALING"
                | "STAGE_OUT"
                | "STOPPED"
                | "RESV_DEL_HOLD"
        )
}

/// The batch script of every task: `exec` of the command, with `{task}` as the array index.
fn task_script(command: &[String]) -> String {
    let quoted: Vec<String> = command
        .iter()
        .map(|arg| {
            arg.split("{task}")
                .map(|piece| format!("'{}'", piece.replace('\'', r"'\''")))
                .collect::<Vec<_>>()
                .join("\"${SLURM_ARRAY_TASK_ID}\"")
        })
        .collect();
    format!(
        "#!/bin/bash\n# One task of a meshagents array job (task = $SLURM_ARRAY_TASK_ID). Written by\n# meshagents; every submission and resubmission of the job runs this same file.\nexec {}\n",
        quoted.join(" ")
    )
}

/// A name nobody else's job has: time, process and directory, hashed.
fn random_token(work_dir: &Path) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!("{nanos}/{}/{}", std::process::id(), work_dir.display());
    let hash = crate::record::sha256_hex(seed.as_bytes());
    format!("meshagents-{}", &hash[..12])
}

fn run(program: &str, args: &[String]) -> Result<std::process::Output, SlurmError> {
    Command::new(program)
        .args(args)
        .output()
        .map_err(|e| SlurmError::Command {
            program: program.into(),
            message: e.to_string(),
        })
}

/// Submits `tasks` of the array as job `name`, or adopts a job of that name already in the
/// queue (submitted by this step before a crash).
fn submit_array(
    job: &ArrayJob,
    options: &SlurmOptions,
    script: &Path,
    name: &str,
    tasks: &[usize],
    number: usize,
) -> Result<Submission, SlurmError> {
    let existing = run(
        "squeue",
        &[
            "-h".into(),
            "--states=all".into(),
            format!("--name={name}"),
            "-o".into(),
            "%F".into(),
        ],
    )?;
    if existing.status.success() {
        if let Some(id) = String::from_utf8_lossy(&existing.stdout)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
        {
            return Ok(Submission {
                job_id: id.to_string(),
                job_name: name.into(),
                tasks: tasks.to_vec(),
                submitted: false,
            });
        }
    }
    // A task is submitted only when its output is missing, so an old output is stale.
    for &t in tasks {
        let output = (job.output)(t);
        if output.is_file() {
            std::fs::remove_file(&output).map_err(|e| SlurmError::File {
                path: output.clone(),
                message: e.to_string(),
            })?;
        }
    }
    let mut args = vec![
        "--parsable".to_string(),
        format!("--job-name={name}"),
        format!("--array={}", array_spec(tasks)),
        format!(
            "--output={}",
            job.work_dir
                .join("logs")
                .join(format!("task-%a.{number}.log"))
                .display()
        ),
        format!("--chdir={}", job.work_dir.display()),
    ];
    let mut push = |flag: &str, value: &Option<String>| {
        if let Some(v) = value {
            args.push(format!("--{flag}={v}"));
        }
    };
    push("partition", &options.partition);
    push("account", &options.account);
    push("time", &options.time);
    push("mem", &options.mem);
    push(
        "cpus-per-task",
        &options.cpus_per_task.map(|c| c.to_string()),
    );
    args.extend(options.sbatch_args.iter().cloned());
    args.push(script.display().to_string());
    let output = run("sbatch", &args)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // --parsable prints `jobid` or `jobid;cluster`.
    let id = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if !output.status.success() || id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(SlurmError::Rejected {
            command: format!("sbatch {}", args.join(" ")),
            message: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stderr).trim(),
                stdout.trim()
            ),
        });
    }
    Ok(Submission {
        job_id: id,
        job_name: name.into(),
        tasks: tasks.to_vec(),
        submitted: true,
    })
}

/// `0-3,7,9-10`: sbatch's `--array` list for the given task indices.
pub fn array_spec(tasks: &[usize]) -> String {
    let mut sorted = tasks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            sorted[i].to_string()
        } else {
            format!("{}-{}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// What `squeue` last said about the watched jobs' tasks.
#[derive(Default)]
struct Queue {
    states: std::collections::HashMap<(String, usize), String>,
    /// Whether `sacct` answers here (it does not without accounting storage).
    sacct: Option<bool>,
    failures: u32,
}

/// Consecutive failed `squeue` calls after which watching stops with an error.
const MAX_QUEUE_FAILURES: u32 = 30;

impl Queue {
    fn refresh(&mut self, job_ids: &[String]) -> Result<(), SlurmError> {
        self.states.clear();
        for id in job_ids {
            let args: Vec<String> = ["-h", "-r", "--states=all", "-j", id, "-o", "%F|%K|%T"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let output = run("squeue", &args)?;
            if !output.status.success() {
                let message = String::from_utf8_lossy(&output.stderr).trim().to_string();
                // A job Slurm has forgotten (older than MinJobAge): its tasks are not listed.
                if message.contains("Invalid job id") {
                    continue;
                }
                self.failures += 1;
                if self.failures >= MAX_QUEUE_FAILURES {
                    return Err(SlurmError::Rejected {
                        command: format!("squeue {}", args.join(" ")),
                        message: format!("{message} ({} times in a row)", self.failures),
                    });
                }
                tracing::warn!(%message, "squeue failed; looking again at the next poll");
                continue;
            }
            self.failures = 0;
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                let fields: Vec<&str> = line.trim().split('|').collect();
                if let [job, task, state] = fields[..] {
                    if let Ok(task) = task.parse::<usize>() {
                        // `CANCELLED by 0` and the like: the first word is the state.
                        let state = state.split_whitespace().next().unwrap_or_default();
                        self.states
                            .insert((job.to_string(), task), state.to_string());
                    }
                }
            }
        }
        Ok(())
    }

    fn state(&self, job_id: &str, task: usize) -> Option<String> {
        self.states.get(&(job_id.to_string(), task)).cloned()
    }

    /// The final state of a task from accounting, when `sacct` works here.
    fn sacct_state(&mut self, job_id: &str, task: usize) -> Option<String> {
        if self.sacct == Some(false) {
            return None;
        }
        let output = Command::new("sacct")
            .args(["-n", "-X", "-P", "-o", "State", "-j"])
            .arg(format!("{job_id}_{task}"))
            .output()
            .ok();
        let output_failed = !output.as_ref().is_some_and(|o| o.status.success());
        let state = output
            .filter(|o| o.status.success())
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .and_then(|l| l.split_whitespace().next())
                    .map(str::to_string)
            })
            .filter(|s| !s.is_empty());
        // Without accounting storage sacct fails every time: stop asking.
        if output_failed {
            self.sacct = Some(false);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_lists_are_compact_ranges() {
        assert_eq!(array_spec(&[0, 1, 2, 3]), "0-3");
        assert_eq!(array_spec(&[7, 0, 1, 9, 10, 3]), "0-1,3,7,9-10");
        assert_eq!(array_spec(&[5]), "5");
    }

    #[test]
    fn the_task_script_quotes_arguments_and_substitutes_the_index() {
        let script = task_script(&[
            "/opt/bin/tool".into(),
            "--name".into(),
            "it's here".into(),
            "--out".into(),
            "/w/parts/part-{task}.parquet".into(),
        ]);
        assert!(script.contains(
            r#"exec '/opt/bin/tool' '--name' 'it'\''s here' '--out' '/w/parts/part-'"${SLURM_ARRAY_TASK_ID}"'.parquet'"#
        ), "{script}");
    }
}
