//! `--executor slurm` against a real Slurm (the single-node cluster of `ci/slurm-up.sh`),
//! through the real binary: sharded runs equal local runs byte for byte, failed and
//! cancelled tasks are retried, and a study killed while its array job runs re-attaches to
//! the job on resume instead of submitting another.
//!
//! Without Slurm (`sinfo` missing or not answering) these tests fail in CI (`CI=true`), where
//! `.ci/run` starts Slurm first, and are skipped with a message elsewhere, so that a developer
//! without Slurm can still run the rest of the suite.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use meshagents_engine::Journal;

mod common;
use common::{bin, events, p, stderr};

/// True when Slurm answers here; in CI its absence is a failure.
fn slurm_ready(test: &str) -> bool {
    let answers = Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false);
    if !answers {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: Slurm is not running (sinfo does not answer); CI must start it with ci/slurm-up.sh"
        );
        eprintln!("{test}: skipped: no Slurm here (run `sudo bash ci/slurm-up.sh` to test it)");
    }
    answers
}

/// Cancels the given jobs when a test ends, passing or failing, so no task outlives it.
struct CancelOnDrop(Vec<String>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        for id in &self.0 {
            let _ = Command::new("scancel").arg(id).output();
        }
    }
}

fn simulate(dir: &Path) -> PathBuf {
    let cohort = dir.join("cohort");
    let sim = bin()
        .args([
            "simulate",
            "--n",
            "2000",
            "--seed",
            "8",
            "--out",
            p(&cohort),
        ])
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", stderr(&sim));
    cohort
}

/// The cohort of `simulate` and the table of a local run on it, which a Slurm run must equal.
fn cohort_and_local_table(dir: &Path) -> (PathBuf, PathBuf) {
    let cohort = simulate(dir);
    let local = dir.join("local.csv");
    let o = bin().args(phewas_args(&cohort, &local)).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    (cohort, local)
}

/// The flags that send `phewas` to Slurm in `shards` tasks, polling often.
fn on_slurm(shards: &str) -> [&str; 6] {
    [
        "--executor",
        "slurm",
        "--shards",
        shards,
        "--poll-seconds",
        "0.3",
    ]
}

/// The shard hook under `dir`: a folder of empty files that tell tasks what to do (`fail-T`:
/// fail once, `hold-T`: write the array job's id to `holding-T` and wait until `hold-T` is
/// removed), and the program that obeys them. The hook is a wrapper script the tasks run in
/// place of the binary (through `MESHAGENTS_EXE`, which names the program Slurm tasks run), so
/// the binary itself carries no test code: the wrapper acts on its task
/// (`SLURM_ARRAY_TASK_ID`), then execs the real binary with the task's arguments.
struct Hooks {
    dir: PathBuf,
    program: PathBuf,
}

fn hooks(dir: &Path, files: &[&str]) -> Hooks {
    let hooks = dir.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for file in files {
        std::fs::write(hooks.join(file), "").unwrap();
    }
    let program = dir.join("hooked-meshagents");
    // The wait is bounded, so a test that dies cannot leave a task holding the node for ever;
    // `holding-T` appears whole (written aside, then renamed), so a reader never sees it empty.
    let script = format!(
        r#"#!/bin/bash
hooks='{hooks}'
task="${{SLURM_ARRAY_TASK_ID:-}}"
if [ -n "$task" ] && [ -f "$hooks/fail-$task" ]; then
    rm -f "$hooks/fail-$task"
    echo "test hook: task $task fails once" >&2
    exit 1
fi
if [ -n "$task" ] && [ -f "$hooks/hold-$task" ]; then
    echo "${{SLURM_ARRAY_JOB_ID:-}}" > "$hooks/.holding-$task"
    mv "$hooks/.holding-$task" "$hooks/holding-$task"
    for _ in $(seq 1 6000); do
        [ -f "$hooks/hold-$task" ] || break
        sleep 0.1
    done
fi
exec '{bin}' "$@"
"#,
        hooks = hooks.display(),
        bin = env!("CARGO_BIN_EXE_meshagents"),
    );
    std::fs::write(&program, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    Hooks {
        dir: hooks,
        program,
    }
}

impl Hooks {
    /// The binary with `args`, its Slurm tasks running through the hook.
    fn command<S: AsRef<std::ffi::OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        let mut c = bin();
        c.args(args).env("MESHAGENTS_EXE", &self.program);
        c
    }
}

/// Starts `c` with stdout discarded and stderr kept for the assertions.
fn spawn_quiet(mut c: Command) -> Child {
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The arguments of a `phewas` run on Slurm in `shards` tasks.
fn phewas_on_slurm(cohort: &Path, out: &Path, shards: &str) -> Vec<String> {
    let mut args = phewas_args(cohort, out);
    args.extend(on_slurm(shards).map(String::from));
    args
}

/// The job id a task held by the shard hook wrote into `hooks/holding-T`.
fn held_job(holding: &Path) -> String {
    std::fs::read_to_string(holding).unwrap().trim().to_string()
}

fn phewas_args(cohort: &Path, out: &Path) -> Vec<String> {
    [
        "phewas",
        "--data",
        p(&cohort.join("cohort.parquet")),
        "--dictionary",
        p(&cohort.join("dictionary.csv")),
        "--phenotypes",
        "LVEDV,LVEF,LVM,AAo distensibility",
        "--factors",
        "factor",
        "--covariates",
        "age,sex,height,weight",
        "--out",
        p(out),
    ]
    .map(String::from)
    .to_vec()
}

/// Waits for `file` to appear while `child` runs; panics with the child's output if it ends
/// first. (No clock: the child either gets there or stops.)
fn wait_for_file(child: &mut Child, file: &Path) {
    while !file.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut text = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut text);
            }
            panic!(
                "the run ended ({status}) before {} appeared: {text}",
                file.display()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The journaled submissions of an array job (`key/submit#K` steps), in order.
fn submissions(journal: &Path, key: &str) -> Vec<serde_json::Value> {
    let journal = Journal::open(journal).unwrap();
    journal
        .completed_with_prefix(&format!("{key}/submit#"))
        .unwrap()
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

/// Every job id Slurm knows with a name starting with `prefix` (finished jobs included:
/// ci/slurm-up.sh keeps them listed for an hour).
fn jobs_named(prefix: &str) -> Vec<String> {
    let out = Command::new("squeue")
        .args(["-h", "--states=all", "-o", "%F|%j"])
        .output()
        .unwrap();
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('|'))
        .filter(|(_, name)| name.starts_with(prefix))
        .map(|(id, _)| id.trim().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn sharded_phewas_on_slurm_equals_the_local_run_byte_for_byte() {
    if !slurm_ready("sharded_phewas_on_slurm_equals_the_local_run_byte_for_byte") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cohort, local) = cohort_and_local_table(dir.path());
    let expected = std::fs::read(&local).unwrap();

    for shards in ["1", "3"] {
        let out = dir.path().join(format!("slurm-{shards}.csv"));
        let o = bin()
            .args(phewas_args(&cohort, &out))
            .args(on_slurm(shards))
            .arg("--headless")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(&out).unwrap(),
            expected,
            "{shards} shards on Slurm differ from the local run"
        );
        // One array job of `shards` tasks; every event a JSON line.
        let work = dir.path().join(format!("slurm-{shards}.csv.slurm"));
        let subs = submissions(&work.join("journal"), "phewas/slurm");
        assert_eq!(subs.len(), 1, "{subs:?}");
        assert_eq!(
            subs[0]["tasks"].as_array().unwrap().len(),
            shards.parse::<usize>().unwrap()
        );
        let events = events(&o.stdout);
        assert_eq!(events.last().unwrap()["event"], "phewas_finished");
        // The parts hold raw p only (the correction is done after the merge).
        assert!(work.join("parts/part-0.parquet").is_file());
    }
}

#[test]
fn failed_and_cancelled_tasks_are_retried_and_the_table_is_unchanged() {
    if !slurm_ready("failed_and_cancelled_tasks_are_retried_and_the_table_is_unchanged") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cohort, local) = cohort_and_local_table(dir.path());

    // Task 0 fails on its first attempt; task 2 waits until the test cancels it.
    let hooks = hooks(dir.path(), &["fail-0", "hold-2"]);
    let out = dir.path().join("retried.csv");
    let mut child = spawn_quiet(hooks.command(phewas_on_slurm(&cohort, &out, "3")));
    wait_for_file(&mut child, &hooks.dir.join("holding-2"));
    let job = held_job(&hooks.dir.join("holding-2"));
    assert!(!job.is_empty(), "the held task knows its job id");
    let _cleanup = CancelOnDrop(vec![job.clone()]);
    // Cancel the running task, then let its retry run through.
    let cancel = Command::new("scancel")
        .arg(format!("{job}_2"))
        .output()
        .unwrap();
    assert!(cancel.status.success(), "{}", stderr(&cancel));
    std::fs::remove_file(hooks.dir.join("hold-2")).unwrap();
    let result = child.wait_with_output().unwrap();
    let text = stderr(&result);
    assert!(result.status.success(), "{text}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&local).unwrap(),
        "the retried run differs from the local run"
    );
    assert!(
        text.contains("task 0 of Slurm job") && text.contains("submitting it again"),
        "{text}"
    );
    assert!(text.contains("task 2 of Slurm job"), "{text}");

    // The journal: the first submission had every task; the retries exactly tasks 0 and 2.
    let subs = submissions(
        &dir.path().join("retried.csv.slurm/journal"),
        "phewas/slurm",
    );
    assert!(subs.len() >= 2, "{subs:?}");
    assert_eq!(subs[0]["tasks"], serde_json::json!([0, 1, 2]));
    let mut retried: Vec<u64> = subs[1..]
        .iter()
        .flat_map(|s| s["tasks"].as_array().unwrap().clone())
        .filter_map(|t| t.as_u64())
        .collect();
    retried.sort_unstable();
    assert_eq!(retried, vec![0, 2], "{subs:?}");
    // The failed attempt's log says why.
    let log =
        std::fs::read_to_string(dir.path().join("retried.csv.slurm/logs/task-0.0.log")).unwrap();
    assert!(log.contains("fails once"), "{log}");
}

#[test]
fn a_study_killed_while_its_array_job_runs_reattaches_on_resume() {
    if !slurm_ready("a_study_killed_while_its_array_job_runs_reattaches_on_resume") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cohort = simulate(dir.path());
    let config = |executor: &str| {
        format!(
            "name = \"cluster study\"\ndata = \"{}\"\ndictionary = \"{}\"\nphenotypes = \"LVEDV,LVEF,LVM\"\nfactors = \"factor\"\n{executor}",
            p(&cohort.join("cohort.parquet")),
            p(&cohort.join("dictionary.csv"))
        )
    };
    let local_toml = dir.path().join("local.toml");
    std::fs::write(&local_toml, config("")).unwrap();
    let slurm_toml = dir.path().join("slurm.toml");
    std::fs::write(
        &slurm_toml,
        config("[executor]\nkind = \"slurm\"\nshards = 2\npoll_seconds = 0.3\n"),
    )
    .unwrap();
    let local = dir.path().join("local");
    let o = bin()
        .args(["study", "run", p(&local_toml), "--out", p(&local)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));

    // Both tasks hold until released: the study is surely waiting on its job when killed.
    let hooks = hooks(dir.path(), &["hold-0", "hold-1"]);
    let study = dir.path().join("cluster");
    let run = || hooks.command(["study", "run", p(&slurm_toml), "--out", p(&study)]);
    let mut child = spawn_quiet(run());
    // A task runs only after its job was submitted, and the submission is journaled before
    // the study waits: by the time a task holds, the job id is in the journal (or about to
    // be, which the events file shows).
    let holding = loop {
        if let Some(h) = (0..2)
            .map(|t| hooks.dir.join(format!("holding-{t}")))
            .find(|h| h.exists())
        {
            break h;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the study ended ({status}) before a task ran");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let events = study.join("journal.events.jsonl");
    while !std::fs::read_to_string(&events)
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains("step_completed") && l.contains("phewas/adjusted/slurm/submit#0"))
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let job = held_job(&holding);
    let _cleanup = CancelOnDrop(vec![job.clone()]);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The job outlives the study that submitted it.
    let queued = Command::new("squeue")
        .args(["-h", "-j", &job, "-o", "%T"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&queued.stdout).trim().is_empty(),
        "job {job} should still be in the queue"
    );
    for t in 0..2 {
        let _ = std::fs::remove_file(hooks.dir.join(format!("hold-{t}")));
    }

    let resumed = run().output().unwrap();
    let text = stderr(&resumed);
    assert!(resumed.status.success(), "{text}");
    assert!(text.contains("re-attached, not submitted again"), "{text}");
    assert_eq!(
        std::fs::read(study.join("associations.csv")).unwrap(),
        std::fs::read(local.join("associations.csv")).unwrap(),
        "the resumed cluster study differs from the local study"
    );

    // One submission in the journal, and Slurm knows one job of this study's name.
    let subs = submissions(&study.join("journal"), "phewas/adjusted/slurm");
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(subs[0]["job_id"], serde_json::json!(job));
    let name = subs[0]["job_name"].as_str().unwrap();
    let token = name.trim_end_matches("-0");
    assert_eq!(jobs_named(token), vec![job.clone()], "jobs named {token}*");
    let status = bin()
        .args(["study", "status", p(&study), "--json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "finished");
}

#[test]
fn executor_settings_are_checked_and_errors_name_the_key() {
    // No Slurm needed: these fail before anything is submitted.
    let dir = tempfile::tempdir().unwrap();
    let cohort = simulate(dir.path());
    let study = |executor: &str| {
        let path = dir.path().join("STUDY.toml");
        std::fs::write(
            &path,
            format!(
                "name = \"x\"\ndata = \"{}\"\n[executor]\n{executor}\n",
                p(&cohort.join("cohort.parquet"))
            ),
        )
        .unwrap();
        let o = bin()
            .args(["study", "run", p(&path), "--out", p(&dir.path().join("s"))])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stderr(&o)
    };
    let e = study("kind = \"slurm\"\npartiton = \"short\"");
    assert!(e.contains("partiton") && e.contains("STUDY.toml"), "{e}");
    let e = study("kind = \"pbs\"");
    assert!(e.contains("pbs") && e.contains("kind"), "{e}");
    let e = study("kind = \"slurm\"\nshards = 0");
    assert!(e.contains("executor.shards"), "{e}");

    let out = dir.path().join("part.csv");
    let mut args = phewas_args(&cohort, &out);
    args.extend(["--shard".into(), "3/3".into()]);
    let o = bin().args(&args).output().unwrap();
    assert!(stderr(&o).contains("--shard 3/3"), "{}", stderr(&o));
    let mut args = phewas_args(&cohort, &out);
    args.extend(["--shard".into(), "0/3".into()]);
    let o = bin().args(&args).output().unwrap();
    assert!(stderr(&o).contains("Parquet"), "{}", stderr(&o));
    let mut args = phewas_args(&cohort, &dir.path().join("p.parquet"));
    args.extend(["--shards".into(), "0".into()]);
    let o = bin().args(&args).output().unwrap();
    assert!(stderr(&o).contains("--shards"), "{}", stderr(&o));
}

/// The engine alone: a job whose `sbatch` ran before a crash (so it is in the queue but not in
/// the journal) is found by its name and adopted, not submitted a second time.
#[test]
fn a_submission_made_before_a_crash_is_adopted_by_name() {
    use meshagents_engine::slurm::{run_array, ArrayJob, SlurmOptions};
    if !slurm_ready("a_submission_made_before_a_crash_is_adopted_by_name") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let journal = Journal::open(&dir.path().join("journal")).unwrap();
    let identity = serde_json::json!({ "test": "adopt" });
    // The job-name token, journaled as run_array would have before the crash; unique, since
    // Slurm keeps finished jobs listed for an hour.
    let token = format!(
        "meshagents-adopt-{}-{}",
        std::process::id(),
        dir.path().file_name().unwrap().to_string_lossy()
    );
    journal
        .step("job/name", &identity, || Ok::<_, String>(token.clone()))
        .unwrap();
    let touch = format!("touch {}/out-{{task}}", work.display());
    // "Before the crash": the same job submitted by hand under submission 0's name.
    let script = dir.path().join("by-hand.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntouch {}/out-$SLURM_ARRAY_TASK_ID\n",
            work.display()
        ),
    )
    .unwrap();
    let sbatch = Command::new("sbatch")
        .args([
            "--parsable",
            &format!("--job-name={token}-0"),
            "--array=0-1",
        ])
        .arg("--output=/dev/null")
        .arg(&script)
        .output()
        .unwrap();
    assert!(sbatch.status.success(), "{}", stderr(&sbatch));
    let job_id = String::from_utf8_lossy(&sbatch.stdout).trim().to_string();
    let _cleanup = CancelOnDrop(vec![job_id.clone()]);

    let output = |t: usize| work.join(format!("out-{t}"));
    let job = ArrayJob {
        key: "job",
        identity,
        tasks: 2,
        command: vec!["/bin/sh".into(), "-c".into(), touch],
        work_dir: &work,
        output: &output,
    };
    let options = SlurmOptions {
        poll_seconds: 0.2,
        ..SlurmOptions::default()
    };
    let outcome = run_array(&journal, &job, &options, &|_| {}, &|| false).unwrap();
    assert_eq!(outcome.submissions.len(), 1);
    assert_eq!(outcome.submissions[0].job_id, job_id);
    assert!(!outcome.submissions[0].submitted, "adopted, not submitted");
    assert_eq!(jobs_named(&token), vec![job_id]);
}

/// The engine alone: a task that always fails is retried `max_retries` times, then the job
/// fails with an error naming the task and its log.
#[test]
fn a_task_that_keeps_failing_stops_the_job_after_the_retries() {
    use meshagents_engine::slurm::{
        run_array, ArrayEvent, ArrayJob, SlurmError, SlurmOptions, TaskFailure,
    };
    if !slurm_ready("a_task_that_keeps_failing_stops_the_job_after_the_retries") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let journal = Journal::open(&dir.path().join("journal")).unwrap();
    let output = |t: usize| work.join(format!("out-{t}"));
    let job = ArrayJob {
        key: "doomed",
        identity: serde_json::json!({ "test": "doomed" }),
        tasks: 1,
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            "echo task {task} gives up; exit 3".into(),
        ],
        work_dir: &work,
        output: &output,
    };
    let options = SlurmOptions {
        poll_seconds: 0.2,
        max_retries: 1,
        ..SlurmOptions::default()
    };
    let failures = std::cell::RefCell::new(Vec::new());
    let observe = |e: &ArrayEvent| {
        if let ArrayEvent::TaskFailed { failure, .. } = e {
            failures.borrow_mut().push(failure.state.clone());
        }
    };
    let err = run_array(&journal, &job, &options, &observe, &|| false).unwrap_err();
    let SlurmError::TaskFailed(TaskFailure {
        task,
        attempts,
        log,
        ..
    }) = &err
    else {
        panic!("{err}");
    };
    assert_eq!((*task, *attempts), (0, 2), "{err}");
    assert_eq!(*failures.borrow(), vec!["FAILED", "FAILED"]);
    assert!(err.to_string().contains(&log.display().to_string()));
    assert!(std::fs::read_to_string(log)
        .unwrap()
        .contains("task 0 gives up"));
    let subs = journal.completed_with_prefix("doomed/submit#").unwrap();
    assert_eq!(subs.len(), 2, "the first submission and one retry");
}

#[test]
fn ctrl_c_while_the_job_runs_pauses_and_the_same_command_reattaches() {
    if !slurm_ready("ctrl_c_while_the_job_runs_pauses_and_the_same_command_reattaches") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cohort, local) = cohort_and_local_table(dir.path());

    let hooks = hooks(dir.path(), &["hold-0"]);
    let out = dir.path().join("paused.csv");
    let run = || hooks.command(phewas_on_slurm(&cohort, &out, "2"));
    let mut child = spawn_quiet(run());
    wait_for_file(&mut child, &hooks.dir.join("holding-0"));
    let job = held_job(&hooks.dir.join("holding-0"));
    let _cleanup = CancelOnDrop(vec![job.clone()]);
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let paused = child.wait_with_output().unwrap();
    assert_eq!(paused.status.code(), Some(130), "{}", stderr(&paused));
    assert!(
        stderr(&paused).contains("keep running"),
        "{}",
        stderr(&paused)
    );
    assert!(!out.exists(), "no table before the job is done");

    std::fs::remove_file(hooks.dir.join("hold-0")).unwrap();
    let resumed = run().output().unwrap();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains(&format!("Slurm job {job} (tasks 0,1) is in the journal")),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&local).unwrap());
    let subs = submissions(&dir.path().join("paused.csv.slurm/journal"), "phewas/slurm");
    assert_eq!(subs.len(), 1, "{subs:?}");
}

/// A PheWAS on a UK Biobank extract with a field of one sex: the Slurm tasks get the drop of
/// the sex covariate for that field (a file the controller writes) and their merged table
/// equals the local run's byte for byte.
#[test]
fn a_sharded_phewas_on_an_extract_leaves_sex_out_of_a_field_of_one_sex_like_the_local_run() {
    let test =
        "a_sharded_phewas_on_an_extract_leaves_sex_out_of_a_field_of_one_sex_like_the_local_run";
    if !slurm_ready(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ukb = dir.path().join("ukb");
    let o = bin()
        .args([
            "simulate",
            "--ukb",
            "--n",
            "1500",
            "--seed",
            "6",
            "--out",
            p(&ukb),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let args = |out: &Path| -> Vec<String> {
        [
            "phewas",
            "--data",
            p(&ukb.join("ukb.csv")),
            "--showcase",
            p(&ukb.join("Data_Dictionary_Showcase.tsv")),
            "--codings",
            p(&ukb.join("Codings.tsv")),
            "--dictionary",
            p(&ukb.join("dictionary.csv")),
            "--phenotypes",
            "LVM,LVEF",
            "--factors",
            "factor",
            "--covariates",
            "21003-2.0,31-0.0",
            "--out",
            p(out),
        ]
        .map(String::from)
        .to_vec()
    };
    let local = dir.path().join("local.csv");
    let o = bin().args(args(&local)).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = std::fs::read_to_string(&local).unwrap();
    assert!(
        expected.contains("not adjusted for 31-0.0"),
        "the local run leaves sex out of a field of one sex"
    );
    let sharded = dir.path().join("slurm.csv");
    let o = bin()
        .args(args(&sharded))
        .args(on_slurm("2"))
        .arg("--headless")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir
        .path()
        .join("slurm.csv.slurm/covariate_drops.json")
        .is_file());
    assert_eq!(std::fs::read_to_string(&sharded).unwrap(), expected);
}
