"""The peer of `meshagents ukb` for the load benchmark: the same derivation written as an analyst
would in pandas and numpy (the rules of issue 16).

Usage: python bench/ukb_peer.py --data ukb.csv --showcase Data_Dictionary_Showcase.tsv \
           --codings Codings.tsv --out DIR [--instance 2] [--min-cases 20]
Writes DIR/cohort.parquet (eid, then one column per derived variable) and prints the number of
columns written and the time of each phase.

- A field whose Showcase Instances is 1 is taken from the one instance present; otherwise from
  --instance (no fallback); a field with no column there is skipped.
- Integer/Continuous: the mean of the array columns present; Categorical single: the first array
  column with a value; both named FIELD-I.0.
- Categorical multiple: one column FIELD#CODE per non-negative or text code that at least
  --min-cases participants have at the instance: 1 if the code is in any array column; 0 if the
  participant answered (a value other than -1/-3: -7 "none of the above" is an answer), or has
  no value and attended the instance (a value in any column of that instance); missing for a
  participant whose only values are -1/-3, or who has none and did not attend. Binary columns
  are written as nullable int8.
- Date, Time, Text and Compound fields are skipped; columns not named FIELD-I.A pass through.

Vectorised: the CSV is read once by pyarrow's multi-threaded reader, with the Showcase's types (text
codes and dates as strings, everything else float64), into a pandas frame with Arrow dtypes (no
copy, no Python string objects); each multi-valued field becomes (participant, code) pairs from
its columns' non-missing cells, counted with numpy. pd.read_csv(engine="pyarrow") with the same
dtypes was measured first on the 100,000 x 3,000 extract: 1.7x the time and 2.7x the peak memory
(its 1 MB blocks make thousands of chunks per column, then it converts every string to a Python
object), so the reader is called directly with 64 MB blocks.
"""

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

NAME = re.compile(r"^(?:(\d+)-(\d+)\.(\d+)|f\.(\d+)\.(\d+)\.(\d+)|x(\d+)_(\d+)_(\d+))$")
SKIPPED_TYPES = {"Date", "Time", "Text", "Compound"}
NON_ANSWERS = [-1.0, -3.0]  # -7 "None of the above" is an answer


def parse_name(column):
    found = NAME.match(column)
    if not found:
        return None
    return tuple(int(g) for g in found.groups() if g is not None)


def read_showcase(path):
    sc = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False,
                     usecols=["FieldID", "ValueType", "Instances", "Coding"])
    return {int(r.FieldID): (r.ValueType, int(r.Instances or 0), r.Coding)
            for r in sc.itertuples(index=False)}


def text_codings(path):
    codings = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, usecols=["Coding", "Value"])
    numeric = codings["Value"].str.fullmatch(r"-?\d+")
    return set(codings.loc[~numeric, "Coding"])


def code_name(code):
    if isinstance(code, str):
        return code
    return str(int(code)) if float(code).is_integer() else repr(float(code))


def floats(series):
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def expand(block, attended, min_cases, text):
    """(names, int8 matrix, missing mask) of the binary columns of one Categorical multiple field
    at one instance; block: the field's array columns (pandas Series)."""
    n = len(attended)
    rows, values = [], []
    answered = np.zeros(n, bool)
    has_value = np.zeros(n, bool)
    for col in block:
        present = col.dropna()
        idx = present.index.to_numpy()
        vals = present.to_numpy(dtype=object if text else np.float64)
        has_value[idx] = True
        if text:
            answered[idx[~np.isin(vals.astype(str), ["-1", "-3"])]] = True
            keep = ~pd.Series(vals, dtype="string").str.startswith("-").to_numpy(dtype=bool)
        else:
            answered[idx[~np.isin(vals, NON_ANSWERS)]] = True
            keep = vals >= 0
        rows.append(idx[keep])
        values.append(vals[keep])
    rows = np.concatenate(rows)
    values = np.concatenate(values)
    # Only non-answers (do not know, prefer not to answer): missing, attended or not. No
    # value at all: 0 for those who attended the instance, missing for the others.
    missing = (has_value & ~answered) | (~has_value & ~attended)
    if len(rows) == 0:
        return [], None, missing
    code_idx, codes = pd.factorize(values, sort=True)
    k = len(codes)
    pairs = np.unique(rows.astype(np.int64) * k + code_idx)  # a code twice for one person counts once
    prow, pcode = pairs // k, pairs % k
    counts = np.bincount(pcode, minlength=k)
    kept = np.flatnonzero(counts >= min_cases)
    if len(kept) == 0:
        return [], None, missing
    slot = np.full(k, -1)
    slot[kept] = np.arange(len(kept))
    matrix = np.zeros((n, len(kept)), dtype=np.int8, order="F")
    hit = slot[pcode] >= 0
    matrix[prow[hit], slot[pcode[hit]]] = 1
    return [code_name(codes[j]) for j in kept], matrix, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--showcase", required=True)
    ap.add_argument("--codings", required=True)
    ap.add_argument("--out", required=True, help="folder for cohort.parquet")
    ap.add_argument("--instance", type=int, default=2)
    ap.add_argument("--min-cases", type=int, default=20)
    args = ap.parse_args()
    t0 = time.perf_counter()

    showcase = read_showcase(args.showcase)
    text_coded = text_codings(args.codings)
    header = pd.read_csv(args.data, nrows=0).columns
    layout = {}  # field -> instance -> [(array, column)]
    by_instance = {}
    types = {"eid": pa.int64()}
    for column in header:
        parsed = parse_name(column)
        if parsed is None:
            continue
        fid, inst, arr = parsed
        layout.setdefault(fid, {}).setdefault(inst, []).append((arr, column))
        by_instance.setdefault(inst, []).append(column)
        vtype, _, coding = showcase.get(fid, ("", 0, ""))
        as_text = vtype in SKIPPED_TYPES or not vtype or (vtype == "Categorical multiple" and coding in text_coded)
        types[column] = pa.string() if as_text else pa.float64()
    table = pacsv.read_csv(args.data, read_options=pacsv.ReadOptions(block_size=64 << 20),
                           convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
    df = table.to_pandas(types_mapper=pd.ArrowDtype)
    del table
    n = len(df)
    t_read = time.perf_counter()

    attended = {}
    for inst, columns in by_instance.items():
        mask = np.zeros(n, bool)
        for column in columns:
            mask |= df[column].notna().to_numpy()
        attended[inst] = mask

    names, arrays, skipped = ["eid"], [pa.array(df["eid"])], Counter()
    n_single = n_binary = 0
    for column in header:  # columns not in the FIELD-I.A form pass through
        if column != "eid" and parse_name(column) is None:
            names.append(column)
            arrays.append(pa.array(df[column]))
    for fid, instances in layout.items():
        if fid not in showcase:
            skipped["not in the Showcase"] += 1
            continue
        vtype, sc_instances, coding = showcase[fid]
        if vtype in SKIPPED_TYPES:
            skipped[f"{vtype} field"] += 1
            continue
        inst = min(instances) if sc_instances == 1 else args.instance
        if inst not in instances:
            skipped[f"no column at instance {inst}"] += 1
            continue
        columns = [c for _, c in sorted(instances[inst])]
        if vtype in ("Integer", "Continuous"):
            block = np.column_stack([floats(df[c]) for c in columns])
            count = (~np.isnan(block)).sum(axis=1)
            with np.errstate(invalid="ignore"):
                values = np.nansum(block, axis=1) / count  # 0 / 0: missing
        elif vtype == "Categorical single":
            block = np.column_stack([floats(df[c]) for c in columns])
            first = np.argmax(~np.isnan(block), axis=1)  # all missing: column 0, itself missing
            values = block[np.arange(n), first]
        elif vtype == "Categorical multiple":
            text = coding in text_coded
            block = [df[c] for c in columns]
            codes, matrix, missing = expand(block, attended[inst], args.min_cases, text)
            for j, code in enumerate(codes):
                names.append(f"{fid}#{code}")
                arrays.append(pa.array(matrix[:, j], mask=missing))
            n_binary += len(codes)
            continue
        else:
            skipped[f"value type {vtype!r}"] += 1
            continue
        names.append(f"{fid}-{inst}.0")
        arrays.append(pa.array(values, from_pandas=True))
        n_single += 1
    t_derive = time.perf_counter()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), out / "cohort.parquet")
    t_write = time.perf_counter()
    print(f"columns written: {len(names) - 1} ({n_single} single-valued, {n_binary} binary) "
          f"for {n} participants, {len(layout)} fields in the extract")
    for reason, count in sorted(skipped.items()):
        print(f"skipped: {count} fields: {reason}")
    print(f"seconds: read {t_read - t0:.2f}, derive {t_derive - t_read:.2f}, write {t_write - t_derive:.2f}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
