"""Load benchmark of issue 16: `meshagents ukb` against a pandas peer (bench/ukb_peer.py) on a
synthetic UK Biobank extract of 100,000 participants x about 3,000 columns with array fields.

Usage (from the repository root, after `cargo build --release`):
    python3 -m venv /var/tmp/ukbbench-venv && /var/tmp/ukbbench-venv/bin/pip install -r bench/requirements.txt
    /var/tmp/ukbbench-venv/bin/python bench/ukb_load.py [--work /var/tmp/ukb-bench] [--n 100000] [--repeat 3]

1. Writes the extract with bench/ukb_extract.py into --work (ukb.csv, Data_Dictionary_Showcase.tsv,
   Codings.tsv), or reuses it when --work/extract.json says it was made with the same --n/--seed.
2. Reads ukb.csv once, untimed, so that both sides start with it in the page cache.
3. Runs each side --repeat times, alternating, as a child process: wall time (median reported)
   and peak RSS from os.wait4 (largest reported):
     peer:       python bench/ukb_peer.py --data ... --showcase ... --codings ... --out WORK/peer-out
     meshagents: meshagents ukb --data ... --showcase ... --codings ... --out WORK/meshagents-out
   The binary is CARGO_TARGET_DIR/release/meshagents (default target/), or --bin. Without it, or
   when it has no `ukb` command, the harness says so and runs the peer only.
4. Compares the two cohort.parquet files: the same columns (FIELD-I.0 and FIELD#CODE), the same
   participants, and per column the same missing cells and values (NaN = missing; a difference
   below 1e-9 relative, from summing array means in another order, is counted apart).
Writes bench/ukb_results.json (or --results) and prints a Markdown table.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
MIB = 1024.0  # ru_maxrss is in KiB on Linux


def ensure_extract(args):
    work = Path(args.work)
    meta_path = work / "extract.json"
    files = ["ukb.csv", "Data_Dictionary_Showcase.tsv", "Codings.tsv"]
    if not args.regenerate and meta_path.exists() and all((work / f).exists() for f in files):
        meta = json.loads(meta_path.read_text())
        if meta.get("n") == args.n and meta.get("seed") == args.seed:
            print(f"reusing the extract in {work} ({meta['columns']} columns, {meta['csv_bytes'] / 2**20:.0f} MiB, "
                  f"made in {meta['seconds']} s)")
            return meta
    print(f"writing the extract ({args.n} participants) into {work} ...", flush=True)
    cmd = [args.python, str(BENCH / "ukb_extract.py"), "--out", str(work), "--n", str(args.n), "--seed", str(args.seed)]
    subprocess.run(cmd, check=True)
    return json.loads(meta_path.read_text())


def warm_cache(path):
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def run_child(cmd, log_stem):
    """One run: (wall seconds, peak RSS MiB of the child, exit code); output kept in log files."""
    with open(f"{log_stem}.out", "w") as out, open(f"{log_stem}.err", "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / MIB, proc.returncode


def meshagents_status(binary):
    """None when `binary ukb` can be run, else the reason it cannot."""
    if not binary.exists():
        return f"{binary} not found (run `cargo build --release`, set CARGO_TARGET_DIR or pass --bin)"
    probe = subprocess.run([str(binary), "ukb", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        first = (probe.stderr.strip().splitlines() or ["(no message)"])[0]
        return f"{binary} has no `ukb` command yet ({first})"
    return None


def to_float(series):
    """(float64 values, count of values that are not numbers)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.astype("float64").to_numpy(), 0
    # A Parquet boolean column with missing values reads as objects (True, False, None).
    if series.dropna().map(type).eq(bool).all():
        return series.map({True: 1.0, False: 0.0}).astype("float64").to_numpy(), 0
    numbers = pd.to_numeric(series.astype("string"), errors="coerce")
    return numbers.astype("float64").to_numpy(), int((numbers.isna() & series.notna()).sum())


def compare(peer_file, ours_file, show=20):
    peer = pd.read_parquet(peer_file)
    ours = pd.read_parquet(ours_file)
    result = {"peer_columns": peer.shape[1] - ("eid" in peer), "meshagents_columns": ours.shape[1] - ("eid" in ours),
              "peer_rows": len(peer), "meshagents_rows": len(ours)}
    only_peer = sorted(set(peer.columns) - set(ours.columns) - {"eid"})
    only_ours = sorted(set(ours.columns) - set(peer.columns) - {"eid"})
    result |= {"only_in_peer": len(only_peer), "only_in_peer_first": only_peer[:50],
               "only_in_meshagents": len(only_ours), "only_in_meshagents_first": only_ours[:50]}
    if "eid" in peer and "eid" in ours:
        peer, ours = peer.set_index("eid"), ours.set_index("eid")
        result["same_participants"] = bool(peer.index.sort_values().equals(ours.index.sort_values()))
        if not result["same_participants"]:
            return result
        ours = ours.reindex(peer.index)
    else:
        result["rows_aligned_by"] = "position (no eid column on one side)"
        if len(peer) != len(ours):
            return result
    common = [c for c in peer.columns if c in ours.columns and c != "eid"]
    exact, close, different = 0, 0, []
    for column in common:
        a, bad_a = to_float(peer[column])
        b, bad_b = to_float(ours[column])
        na_a, na_b = np.isnan(a), np.isnan(b)
        both = ~na_a & ~na_b
        diff = np.abs(a[both] - b[both])
        missing_mismatch = int((na_a != na_b).sum())
        if missing_mismatch == 0 and bad_b == 0 and bad_a == 0 and not diff.any():
            exact += 1
            continue
        rel = diff / np.maximum(1.0, np.abs(a[both]))
        if missing_mismatch == 0 and bad_b == 0 and bad_a == 0 and rel.max() <= 1e-9:
            close += 1
            continue
        wrong = (na_a != na_b) | (np.abs(np.nan_to_num(a) - np.nan_to_num(b)) > 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(a))))
        first = int(np.flatnonzero(wrong)[0]) if wrong.any() else 0
        different.append({
            "column": column, "cells_missing_on_one_side": missing_mismatch,
            "cells_with_other_value": int((rel > 1e-9).sum()), "max_abs_diff": float(diff.max()) if len(diff) else 0.0,
            "not_numbers_meshagents": bad_b, "example_row": str(peer.index[first]),
            "example_peer": None if na_a[first] else float(a[first]),
            "example_meshagents": None if na_b[first] else float(b[first]),
        })
    result |= {"common_columns": len(common), "identical": exact, "within_1e-9_relative": close,
               "different": len(different), "different_first": different[:show]}
    return result


def side_summary(name, cmd, runs):
    walls = [r[0] for r in runs]
    peaks = [r[1] for r in runs]
    return {"side": name, "command": " ".join(cmd), "wall_seconds": walls, "median_wall_seconds": float(np.median(walls)),
            "peak_rss_mib": peaks, "max_peak_rss_mib": float(max(peaks))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", help="folder of the extract and both outputs (default /var/tmp/ukb-bench, "
                    "or /var/tmp/ukb-bench-nN for another --n, so a small test never overwrites the full extract)")
    ap.add_argument("--n", type=int, default=100_000, help="participants (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--regenerate", action="store_true", help="write the extract even if one is there")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (median wall time reported)")
    ap.add_argument("--bin", help="meshagents binary (default CARGO_TARGET_DIR or target, release/meshagents)")
    ap.add_argument("--meshagents-args", default="", help="extra arguments for `meshagents ukb`, e.g. '--threads 2'")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the generator and the peer")
    ap.add_argument("--results", default=str(BENCH / "ukb_results.json"))
    args = ap.parse_args()
    if args.work is None:
        args.work = "/var/tmp/ukb-bench" if args.n == 100_000 else f"/var/tmp/ukb-bench-n{args.n}"

    meta = ensure_extract(args)
    work = Path(args.work)
    data, showcase, codings = work / "ukb.csv", work / "Data_Dictionary_Showcase.tsv", work / "Codings.tsv"
    inputs = ["--data", str(data), "--showcase", str(showcase), "--codings", str(codings)]
    peer_out, ours_out = work / "peer-out", work / "meshagents-out"
    peer_cmd = [args.python, str(BENCH / "ukb_peer.py")] + inputs + ["--out", str(peer_out)]
    binary = Path(args.bin) if args.bin else Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "meshagents"
    ours_cmd = [str(binary), "ukb"] + inputs + ["--out", str(ours_out)] + args.meshagents_args.split()
    unavailable = meshagents_status(binary)
    if unavailable:
        print(f"meshagents side NOT run: {unavailable}; running the peer only", flush=True)

    warm_cache(data)
    sides = [("peer", peer_cmd, peer_out)] + ([] if unavailable else [("meshagents", ours_cmd, ours_out)])
    runs = {name: [] for name, _, _ in sides}
    for i in range(args.repeat):
        for name, cmd, out in sides:
            if out.exists():  # our own output folder from the previous run
                shutil.rmtree(out)
            wall, peak, code = run_child(cmd, str(work / f"{name}.log"))
            if code != 0:
                err = (work / f"{name}.log.err").read_text()
                sys.exit(f"{name} failed (exit {code}): {' '.join(cmd)}\n{err[-3000:]}")
            print(f"{name} run {i + 1}: {wall:.2f} s, peak RSS {peak:.0f} MiB", flush=True)
            runs[name].append((wall, peak))

    peer_stdout = (work / "peer.log.out").read_text()
    written = re.search(r"columns written: (\d+)", peer_stdout)
    results = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "pandas": pd.__version__, "numpy": np.__version__},
        "commit": subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
                                 capture_output=True, text=True).stdout.strip(),
        "extract": meta | {"folder": str(work)},
        "peer": side_summary("peer", peer_cmd, runs["peer"]) | {
            "columns_written": int(written.group(1)) if written else None, "stdout": peer_stdout.strip().splitlines(),
            "phases": (work / "peer.log.err").read_text().strip()},
    }
    if unavailable:
        results["meshagents"] = {"not_run": unavailable}
    else:
        ours = side_summary("meshagents", ours_cmd, runs["meshagents"])
        ours["outputs"] = sorted(p.name for p in ours_out.iterdir())
        results["meshagents"] = ours
        p, m = results["peer"], ours
        results["ratios"] = {"time_peer_over_meshagents": p["median_wall_seconds"] / m["median_wall_seconds"],
                             "peak_memory_peer_over_meshagents": p["max_peak_rss_mib"] / m["max_peak_rss_mib"]}
        ours_file = ours_out / "cohort.parquet"
        if ours_file.exists():
            results["comparison"] = compare(peer_out / "cohort.parquet", ours_file)
        else:
            results["comparison"] = {"error": f"{ours_file} was not written"}
    Path(args.results).write_text(json.dumps(results, indent=1) + "\n")

    print(f"\nextract: {meta['n']:,} participants x {meta['columns'] - 1:,} columns, "
          f"{meta['csv_bytes'] / 2**20:,.0f} MiB CSV; {args.repeat} runs each, median wall, largest peak RSS\n")
    print("| side | wall time | peak RSS | columns written |")
    print("|---|---|---|---|")
    p = results["peer"]
    print(f"| pandas peer | {p['median_wall_seconds']:.2f} s | {p['max_peak_rss_mib']:,.0f} MiB | {p['columns_written']} |")
    if not unavailable:
        m, r, c = results["meshagents"], results["ratios"], results["comparison"]
        print(f"| meshagents ukb | {m['median_wall_seconds']:.2f} s | {m['max_peak_rss_mib']:,.0f} MiB | "
              f"{c.get('meshagents_columns', '?')} |")
        print(f"\nratio (peer / meshagents): time {r['time_peer_over_meshagents']:.1f}x, "
              f"peak memory {r['peak_memory_peer_over_meshagents']:.1f}x")
        print("comparison:", json.dumps({k: v for k, v in c.items() if not k.endswith("_first")}))
        for d in c.get("different_first", []):
            print("  differs:", json.dumps(d))
        if c.get("only_in_peer_first") or c.get("only_in_meshagents_first"):
            print("  only in peer:", c.get("only_in_peer_first", [])[:20])
            print("  only in meshagents:", c.get("only_in_meshagents_first", [])[:20])
    print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()
