"""Side-by-side benchmark of `meshagents phewas` against numpy and statsmodels.

Usage (from the repository root, after `cargo build --release`):
    python3 -m venv /var/tmp/bench-venv && /var/tmp/bench-venv/bin/pip install -r bench/requirements.txt
    /var/tmp/bench-venv/bin/python bench/phewas_bench.py [--n 40000] [--factors 1000] [--work /var/tmp/phewas-bench] [--repeat 3]

What it runs, in one go, on one simulated cohort:
  1. linear, 82 imaging phenotypes x every non-categorical factor, 5 covariates:
     meshagents vs a vectorised numpy implementation of the same exact model (phenotypes that
     share a missingness pattern solved together with one lstsq per factor and pattern);
  2. the same model in a statsmodels OLS loop on a sample of pairs (time per regression);
  3. logistic, 82 phenotypes x 30 binary factors: meshagents vs a statsmodels Logit loop on a
     sample of pairs (time per regression).
Numbers from both sides are compared, so the speed is for the same answers. Every timed side
except numpy (one run of about a minute) runs --repeat times and reports its median, which
keeps a noisy shared machine from deciding a ratio.
Prints a Markdown table and writes bench/results.json.
"""

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parent.parent
COVARIATES = ["age", "sex", "height", "weight", "dbp"]


def binary_path():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = target / "release" / "meshagents"
    if not path.exists():
        sys.exit(f"{path} not found: run `cargo build --release` first (or set CARGO_TARGET_DIR)")
    return str(path)


def run_timed(cmd, repeat):
    """Median wall time over `repeat` runs, the largest peak RSS (KiB) of a child process, and
    the median of its own fitting time (the `fitted and corrected seconds=` line of `-v`: the
    models and the multiple-testing correction with the data in memory, as the statsmodels
    loop has them)."""
    walls, peaks, fits = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd + ["-v"], capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
        peaks.append(int(proc.stderr.strip().splitlines()[-1]))
        plain = re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr)
        found = re.search(r"fitted and corrected seconds=([0-9.e+-]+)", plain)
        if not found:
            sys.exit(f"no fitting time in the output of {' '.join(cmd)}:\n{plain}")
        fits.append(float(found.group(1)))
    return float(np.median(walls)), max(peaks), float(np.median(fits))


def per_regression(loop, pairs, repeat):
    """Median over `repeat` runs of a loop's time per regression; the loop's last answers."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answers = loop(pairs)
        times.append((time.perf_counter() - start) / len(pairs))
    return float(np.median(times)), answers


def load(work):
    data = pd.read_parquet(work / "cohort" / "cohort.parquet")
    dictionary = pd.read_csv(work / "cohort" / "dictionary.csv", keep_default_na=False)
    # The same cleaning as meshagents: negative codes of coded fields are missing.
    for _, e in dictionary.iterrows():
        if e["role"] in ("factor", "covariate", "disease") and e["value_type"] != "continuous":
            col = data[e["column"]].astype(float)
            data[e["column"]] = col.where(~(col < 0))
    return data, dictionary


def numpy_linear(data, phenotypes, factors):
    """Exact OLS phenotype ~ 1 + factor + covariates on complete rows, all pairs."""
    Y = data[phenotypes].to_numpy(float)
    C = data[COVARIATES].to_numpy(float)
    cov_ok = ~np.isnan(C).any(axis=1)
    masks = {}
    for j in range(Y.shape[1]):
        key = (~np.isnan(Y[:, j]) & cov_ok).tobytes()
        masks.setdefault(key, []).append(j)
    groups = [(np.frombuffer(k, dtype=bool), js) for k, js in masks.items()]
    beta = np.full((len(factors), len(phenotypes)), np.nan)
    se = np.full_like(beta, np.nan)
    for f, name in enumerate(factors):
        x = data[name].to_numpy(float)
        for mask, js in groups:
            rows = mask & ~np.isnan(x)
            X = np.column_stack([np.ones(rows.sum()), x[rows], C[rows]])
            Yg = Y[rows][:, js]
            coef, rss, rank, _ = np.linalg.lstsq(X, Yg, rcond=None)
            if rank < X.shape[1]:
                continue
            df = X.shape[0] - X.shape[1]
            xtx_inv = np.linalg.inv(X.T @ X)
            resid = Yg - X @ coef
            sigma2 = (resid * resid).sum(axis=0) / df
            beta[f, js] = coef[1]
            se[f, js] = np.sqrt(sigma2 * xtx_inv[1, 1])
    return beta, se


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40000)
    parser.add_argument("--factors", type=int, default=1000)
    parser.add_argument("--work", default="/var/tmp/phewas-bench")
    parser.add_argument("--ols-sample", type=int, default=300)
    parser.add_argument("--logit-sample", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each timed side except numpy (median reported); numpy runs once")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    exe = binary_path()
    results = {"n": args.n, "repeat": args.repeat, "factors_simulated": args.factors, "machine": platform.processor() or platform.machine(),
               "cores": os.cpu_count(), "numpy": np.__version__, "statsmodels": statsmodels.__version__,
               "blas": [{k: i.get(k) for k in ("internal_api", "num_threads", "version")} for i in threadpool_info()]}

    cohort = work / "cohort"
    if not (cohort / "cohort.parquet").exists():
        subprocess.run([exe, "simulate", "--n", str(args.n), "--factors", str(args.factors), "--seed", "1", "--out", str(cohort)], check=True)
    data, dictionary = load(work)
    numeric = dictionary[(dictionary.role == "factor") & (dictionary.value_type != "categorical")]["column"].tolist()
    phenotypes = dictionary[dictionary.role == "imaging"]["column"].tolist()
    factor_list = work / "linear_factors.txt"
    factor_list.write_text("\n".join(numeric) + "\n")

    # 1. meshagents, linear.
    out = work / "meshagents_linear.csv"
    common = ["--data", str(cohort / "cohort.parquet"), "--dictionary", str(cohort / "dictionary.csv"),
              "--phenotypes", "imaging", "--covariates", ",".join(COVARIATES), "--transform", "none"]
    wall, rss, fit_s = run_timed([exe, "phewas", *common, "--factors", f"@{factor_list}", "--model", "linear", "--out", str(out)], args.repeat)
    ours = pd.read_csv(out)
    ours = ours[ours.status == "ok"]
    tested = sorted(set(ours.factor))
    pairs = len(ours)
    numeric_bytes = data[phenotypes + COVARIATES + tested].to_numpy(float).nbytes
    results["linear"] = {"pairs": pairs, "factors": len(tested), "meshagents_s": wall, "meshagents_fit_s": fit_s,
                         "meshagents_peak_mib": rss / 1024,
                         "numeric_data_mib": numeric_bytes / 2**20}

    # 1b. numpy on the same factors (those meshagents kept after cleaning).
    start = time.perf_counter()
    beta, se = numpy_linear(data, phenotypes, tested)
    numpy_s = time.perf_counter() - start
    ref = pd.DataFrame({"phenotype": np.tile(phenotypes, len(tested)), "factor": np.repeat(tested, len(phenotypes)),
                        "beta_np": beta.ravel(), "se_np": se.ravel()})
    merged = ours.merge(ref, on=["phenotype", "factor"])
    rel = (np.abs(merged.beta - merged.beta_np) / np.abs(merged.beta_np)).max()
    results["linear"].update({"numpy_s": numpy_s, "speedup_vs_numpy": numpy_s / wall, "max_rel_diff_beta_vs_numpy": float(rel)})

    # 2. statsmodels OLS loop on a sample of pairs.
    rng = np.random.default_rng(7)
    sample = merged.sample(n=min(args.ols_sample, len(merged)), random_state=7)

    def ols_loop(pairs):
        diffs = []
        for _, r in pairs.iterrows():
            frame = data[[r.phenotype, r.factor] + COVARIATES].dropna()
            fit = sm.OLS(frame[r.phenotype], sm.add_constant(frame[[r.factor] + COVARIATES])).fit()
            diffs.append(abs(fit.params[r.factor] - r.beta) / abs(fit.params[r.factor]))
        return diffs

    sm_per, diffs = per_regression(ols_loop, sample, args.repeat)
    ours_per = wall / pairs
    ours_fit_per = fit_s / pairs
    results["ols_loop"] = {"sampled_pairs": len(sample), "statsmodels_ms_per_regression": sm_per * 1e3,
                           "meshagents_ms_per_regression": ours_per * 1e3, "speedup": sm_per / ours_per,
                           "meshagents_in_memory_ms_per_regression": ours_fit_per * 1e3,
                           "speedup_in_memory": sm_per / ours_fit_per,
                           "max_rel_diff_beta": float(max(diffs))}

    # 3. logistic: 30 binary factors.
    binary = dictionary[(dictionary.role == "factor") & (dictionary.value_type == "binary")]["column"].tolist()
    kept_binary = [b for b in binary if data[b].notna().mean() > 0.1 and data[b].value_counts(normalize=True).max() < 0.95][:30]
    blist = work / "binary_factors.txt"
    blist.write_text("\n".join(kept_binary) + "\n")
    out = work / "meshagents_logistic.csv"
    wall_l, rss_l, fit_l = run_timed([exe, "phewas", *common, "--factors", f"@{blist}", "--out", str(out)], args.repeat)
    ours_l = pd.read_csv(out)
    ok_l = ours_l[(ours_l.status == "ok")]
    sample = ok_l[ok_l.model == "logistic"].sample(n=min(args.logit_sample, len(ok_l)), random_state=7)

    def logit_loop(pairs):
        diffs = []
        for _, r in pairs.iterrows():
            frame = data[[r.phenotype, r.factor] + COVARIATES].dropna()
            fit = sm.Logit(frame[r.factor], sm.add_constant(frame[[r.phenotype] + COVARIATES])).fit(disp=0)
            diffs.append(abs(fit.params[r.phenotype] - r.beta) / abs(fit.params[r.phenotype]))
        return diffs

    sm_per, diffs = per_regression(logit_loop, sample, args.repeat)
    ours_per = wall_l / len(ok_l)
    ours_fit_per = fit_l / len(ok_l)
    results["logistic"] = {"pairs": len(ok_l), "factors": len(kept_binary), "meshagents_s": wall_l,
                           "meshagents_fit_s": fit_l, "meshagents_in_memory_ms_per_regression": ours_fit_per * 1e3,
                           "speedup_in_memory": sm_per / ours_fit_per,
                           "meshagents_peak_mib": rss_l / 1024, "sampled_pairs": len(sample),
                           "statsmodels_ms_per_regression": sm_per * 1e3, "meshagents_ms_per_regression": ours_per * 1e3,
                           "speedup": sm_per / ours_per, "max_rel_diff_beta": float(max(diffs))}

    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    L, O, G = results["linear"], results["ols_loop"], results["logistic"]
    print(f"| workload | meshagents | peer | ratio | agreement |")
    print(f"|---|---|---|---|---|")
    print(f"| linear, {L['pairs']} pairs (82 x {L['factors']}), n = {args.n}, end to end | {L['meshagents_s']:.2f} s (peak {L['meshagents_peak_mib']:.0f} MiB; numeric data {L['numeric_data_mib']:.0f} MiB) | numpy {L['numpy_s']:.2f} s | {L['speedup_vs_numpy']:.1f}x | max rel. diff beta {L['max_rel_diff_beta_vs_numpy']:.1e} |")
    print(f"| linear, per regression, end to end | {O['meshagents_ms_per_regression']:.4f} ms | statsmodels OLS {O['statsmodels_ms_per_regression']:.2f} ms | {O['speedup']:.0f}x | max rel. diff beta {O['max_rel_diff_beta']:.1e} |")
    print(f"| linear, per regression, data in memory | {O['meshagents_in_memory_ms_per_regression']:.4f} ms ({L['meshagents_fit_s']:.2f} s) | statsmodels OLS {O['statsmodels_ms_per_regression']:.2f} ms | {O['speedup_in_memory']:.0f}x | |")
    print(f"| logistic, {G['pairs']} pairs (82 x {G['factors']}), per regression, end to end | {G['meshagents_ms_per_regression']:.3f} ms ({G['meshagents_s']:.2f} s total, Wald + LR; peak {G['meshagents_peak_mib']:.0f} MiB) | statsmodels Logit {G['statsmodels_ms_per_regression']:.2f} ms (Wald only) | {G['speedup']:.0f}x | max rel. diff beta {G['max_rel_diff_beta']:.1e} |")
    print(f"| logistic, per regression, data in memory | {G['meshagents_in_memory_ms_per_regression']:.3f} ms ({G['meshagents_fit_s']:.2f} s) | statsmodels Logit {G['statsmodels_ms_per_regression']:.2f} ms | {G['speedup_in_memory']:.0f}x | |")


if __name__ == "__main__":
    main()
