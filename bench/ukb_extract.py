"""Write a synthetic UK Biobank extract in the layouts meshagents reads (issue 16):

    OUT/ukb.csv                        eid + one column per FIELD-INSTANCE.ARRAY
    OUT/Data_Dictionary_Showcase.tsv   the Showcase dictionary (17 columns, exact header)
    OUT/Codings.tsv                    Coding, Value, Meaning

Usage: python bench/ukb_extract.py --out /var/tmp/ukb-bench [--n 100000] [--seed 1]

The mix is modelled on a real extract of about 3,000 columns:
- about 950 single-valued fields: Integer (some with the -1/-3 special values of coding 100291),
  Continuous (some with 2 array columns, as the automated blood pressure readings) and
  Categorical single, at instances 0 and 2; about 200 recorded once (Showcase Instances = 1,
  column at instance 0 only); a few asked only at instance 0 (no instance-2 column);
- Categorical multiple fields at their real array widths: 20001/20002/20003/20004 (6, 34, 48,
  32 arrays x 4 instances), 41270 ICD-10 (250 x 1), 41271 ICD-9 (47 x 1), 41272 OPCS4 (126 x 1)
  with text codes (ICD-9 codes such as 0389 keep their leading zero), the touchscreen fields
  6138, 6145, 6150, 6153 (female), 6154, 6160, 6164, 6177 (male) with -1/-3/-7 answers, and
  family history 20107/20110/20111. Most array columns are empty, as in real data: few people
  have many codes, code frequencies follow a Zipf law;
- a few Date, Time and Text fields, and Showcase rows for fields that are not in the extract.

Participants attend instance 0; a fraction (--attend2) also attends instance 2, and fewer
instances 1 and 3. Seeded and deterministic for a given --n and --seed. Rows are written in
chunks with pyarrow's CSV writer (empty cell = missing), so memory stays small.
"""

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

CHUNK = 10_000
SHOWCASE_HEADER = [
    "Path", "Category", "FieldID", "Field", "Participants", "Items", "Stability", "ValueType",
    "Units", "ItemType", "Strata", "Sexed", "Instances", "Array", "Coding", "Notes", "Link",
]
ACE = "UK Biobank Assessment Centre"
PATHS = {
    100058: f"{ACE} > Touchscreen > Lifestyle and environment > Smoking",
    100051: f"{ACE} > Touchscreen > Lifestyle and environment > Alcohol",
    100054: f"{ACE} > Touchscreen > Lifestyle and environment > Physical activity",
    100052: f"{ACE} > Touchscreen > Lifestyle and environment > Diet",
    100057: f"{ACE} > Touchscreen > Lifestyle and environment > Sleep",
    100044: f"{ACE} > Touchscreen > Health and medical history > Medical conditions",
    100045: f"{ACE} > Touchscreen > Health and medical history > Medication",
    100060: f"{ACE} > Touchscreen > Psychosocial factors > Mental health",
    100061: f"{ACE} > Touchscreen > Psychosocial factors > Social support",
    100063: f"{ACE} > Touchscreen > Sociodemographics > Education",
    100034: f"{ACE} > Touchscreen > Family history",
    100011: f"{ACE} > Physical measures > Blood pressure",
    100010: f"{ACE} > Physical measures > Body size measures",
    100019: f"{ACE} > Physical measures > Hand grip strength",
    100020: f"{ACE} > Physical measures > Spirometry",
    100026: f"{ACE} > Cognitive function > Reaction time",
    100074: f"{ACE} > Verbal interview > Medical conditions",
    100075: f"{ACE} > Verbal interview > Medications",
    100076: f"{ACE} > Verbal interview > Operations",
    100024: f"{ACE} > Recruitment > Reception",
    17518: "Biological samples > Assay results > Blood assays > Blood biochemistry",
    100081: "Biological samples > Assay results > Blood assays > Blood count",
    2002: "Health-related outcomes > Hospital inpatient > Summary Diagnoses",
    2005: "Health-related outcomes > Hospital inpatient > Summary Operations",
    100093: "Health-related outcomes > Death register",
    100094: "Population characteristics > Baseline characteristics",
}
NEG = {-1: "Do not know", -3: "Prefer not to answer", -7: "None of the above"}


@dataclass
class Field:
    fid: int
    title: str
    vtype: str
    instances: list          # instances that have columns in the extract
    sc_instances: int        # the Showcase's Instances
    arrays: int
    coding: int | None
    category: int
    units: str = ""
    sexed: str = "Unisex"
    gen: dict = field(default_factory=dict)
    participants: int = 0
    items: int = 0


def make_codings(rng):
    """Coding id -> list of (value, meaning); values are strings as in Codings.tsv."""
    c = {}
    c[9] = [("0", "Female"), ("1", "Male")]
    c[7] = [("0", "No"), ("1", "Yes")]
    c[100349] = [("1", "Yes"), ("0", "No"), ("-1", NEG[-1]), ("-3", NEG[-3])]
    c[100291] = [("-1", NEG[-1]), ("-3", NEG[-3])]
    c[100402] = [("1", "Daily or almost daily"), ("2", "Three or four times a week"),
                 ("3", "Once or twice a week"), ("4", "One to three times a month"),
                 ("5", "Special occasions only"), ("6", "Never"), ("-3", NEG[-3])]
    c[90] = [("-3", NEG[-3]), ("0", "Never"), ("1", "Previous"), ("2", "Current")]
    c[100508] = [("1", "Excellent"), ("2", "Good"), ("3", "Fair"), ("4", "Poor"),
                 ("-1", NEG[-1]), ("-3", NEG[-3])]
    c[100484] = [("1", "Not at all"), ("2", "Several days"), ("3", "More than half the days"),
                 ("4", "Nearly every day"), ("-1", NEG[-1]), ("-3", NEG[-3])]
    c[100537] = [("1", "Less than once a week"), ("2", "Once a week"), ("3", "2-4 times a week"),
                 ("4", "5-6 times a week"), ("5", "Once or more daily"), ("-1", NEG[-1]),
                 ("-3", NEG[-3])]
    touch = {
        100605: ["Heart attack", "Angina", "Stroke", "High blood pressure"],
        100626: ["Cholesterol lowering medication", "Blood pressure medication", "Insulin"],
        100625: ["Cholesterol lowering medication", "Blood pressure medication", "Insulin",
                 "Hormone replacement therapy", "Oral contraceptive pill or minipill"],
        100628: ["Aspirin", "Ibuprofen (e.g. Nurofen)", "Paracetamol", "Ranitidine (e.g. Zantac)",
                 "Omeprazole (e.g. Zanprol)", "Laxatives (e.g. Dulcolax, Senokot)"],
        100305: ["College or University degree", "A levels/AS levels or equivalent",
                 "O levels/GCSEs or equivalent", "CSEs or equivalent",
                 "NVQ or HND or HNC or equivalent", "Other professional qualifications"],
        100502: ["Serious illness, injury or assault to yourself",
                 "Serious illness, injury or assault of a close relative",
                 "Death of a close relative", "Death of a spouse or partner",
                 "Marital separation/divorce", "Financial difficulties"],
        1010: ["Heart disease", "Stroke", "Lung cancer", "Bowel cancer", "Breast cancer",
               "Chronic bronchitis/emphysema", "High blood pressure", "Diabetes",
               "Alzheimer's disease/dementia", "Parkinson's disease", "Severe depression",
               "Prostate cancer"],
        100688: ["Sports club or gym", "Pub or social club", "Religious group",
                 "Adult education class", "Other group activity"],
        100590: ["Walking for pleasure (not as a means of transport)", "Other exercises",
                 "Strenuous sports", "Light DIY", "Heavy DIY"],
    }
    for cid, meanings in touch.items():
        c[cid] = [(str(i + 1), m) for i, m in enumerate(meanings)]
        c[cid] += [("-7", NEG[-7]), ("-3", NEG[-3])] + ([("-1", NEG[-1])] if cid != 100305 else [])
    # 20002 self-reported non-cancer illness (coding 6): real common codes first.
    real6 = [(1065, "hypertension"), (1111, "asthma"), (1226, "hypothyroidism/myxoedema"),
             (1220, "diabetes"), (1473, "high cholesterol"), (1154, "irritable bowel syndrome"),
             (1465, "osteoarthritis"), (1072, "essential hypertension"), (1286, "depression"),
             (1387, "hayfever/allergic rhinitis"), (1074, "angina"), (1075, "heart attack/myocardial infarction"),
             (1223, "type 2 diabetes"), (1081, "stroke"), (1471, "atrial fibrillation")]
    c[6] = real6 + code_block(rng, range(1066, 1700), {k for k, _ in real6}, 460 - len(real6),
                              "non-cancer illness")
    c[6].append((99999, "unclassifiable"))
    c[3] = code_block(rng, range(1001, 1090), set(), 80, "cancer") + [(99999, "unclassifiable")]
    real4 = [(1140861958, "simvastatin"), (1140868226, "aspirin"), (1140879616, "amlodipine"),
             (1141146234, "atorvastatin"), (1140866738, "atenolol"), (1140884600, "metformin"),
             (1140909674, "cod liver oil product"), (1140860806, "ramipril")]
    c[4] = real4 + code_block(rng, range(1140860000, 1141200000), {k for k, _ in real4}, 2992,
                              "medication") + [(99999, "uncoded")]
    c[5] = code_block(rng, range(1050, 1650), set(), 520, "operation") + [(99999, "unclassifiable")]
    c[19] = text_codes(rng, icd10_code, ["I10", "E119", "K573", "I251", "E785", "J459", "K219",
                                         "Z864", "I489", "N390", "M179", "K802"], 3000, "diagnosis")
    c[87] = text_codes(rng, icd9_code, ["4019", "0389", "25000", "V700", "4140", "2724"], 900,
                       "ICD-9 diagnosis")
    c[240] = text_codes(rng, opcs4_code, ["H229", "Z942", "X403", "Y981", "G451", "W401"], 1600,
                        "procedure")
    for cid in (100001, 100002, 100003):  # codings of no field in the extract
        c[cid] = [(str(i), f"level {i}") for i in range(1, 6)]
    return {k: [(str(v), m) for v, m in vals] for k, vals in c.items()}


def code_block(rng, span, taken, count, what):
    pool = np.array([v for v in span if v not in taken])
    pick = rng.choice(pool, size=count, replace=False)
    return [(int(v), f"{what} {int(v)}") for v in pick]


def icd10_code(rng):
    letter = "ABCDEFGHIJKLMNOPQRSTVWXYZ"[rng.integers(25)]
    code = f"{letter}{rng.integers(100):02d}"
    return code + (str(rng.integers(10)) if rng.random() < 0.8 else "")


def icd9_code(rng):
    r = rng.random()
    if r < 0.1:
        return f"V{rng.integers(100):02d}{rng.integers(10)}"
    if r < 0.15:
        return f"E{rng.integers(800, 1000)}{rng.integers(10)}"
    return f"{rng.integers(1000):03d}{rng.integers(10)}" + (str(rng.integers(10)) if r > 0.9 else "")


def opcs4_code(rng):
    return f"{'ABCDEFGHJKLMNOPQRSTUVWXYZ'[rng.integers(25)]}{rng.integers(1000):03d}"


def text_codes(rng, make, first, count, what):
    codes = list(first)
    seen = set(codes)
    while len(codes) < count:
        code = make(rng)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return [(code, f"{code} {what}") for code in codes]


def make_fields(rng, codings):
    F = []

    def add(*args, **kw):
        F.append(Field(*args, **kw))

    both, four = [0, 2], 4
    add(31, "Sex", "Categorical single", [0], 1, 1, 9, 100094, gen={"miss": 0.0})
    add(34, "Year of birth", "Integer", [0], 1, 1, None, 100094, "years", gen={"mean": 1952, "sd": 8})
    add(21022, "Age at recruitment", "Integer", [0], 1, 1, None, 100094, "years", gen={"mean": 57, "sd": 8})
    add(189, "Townsend deprivation index at recruitment", "Continuous", [0], 1, 1, None, 100094,
        gen={"mean": -1.3, "sd": 3.1, "dp": 5, "miss": 0.001})
    add(21001, "Body mass index (BMI)", "Continuous", both, four, 1, None, 100010, "Kg/m2",
        gen={"mean": 27.4, "sd": 4.8, "dp": 4})
    add(50, "Standing height", "Continuous", both, four, 1, None, 100010, "cm", gen={"mean": 168.4, "sd": 9.3, "dp": 1})
    add(21002, "Weight", "Continuous", both, four, 1, None, 100010, "Kg", gen={"mean": 78.1, "sd": 15.9, "dp": 1})
    add(4079, "Diastolic blood pressure, automated reading", "Integer", both, four, 2, None, 100011,
        "mmHg", gen={"mean": 82, "sd": 10.7})
    add(4080, "Systolic blood pressure, automated reading", "Integer", both, four, 2, None, 100011,
        "mmHg", gen={"mean": 138, "sd": 18.6})
    add(102, "Pulse rate, automated reading", "Integer", both, four, 2, None, 100011, "bpm",
        gen={"mean": 69, "sd": 11.5})
    add(1558, "Alcohol intake frequency.", "Categorical single", both, four, 1, 100402, 100051)
    add(20116, "Smoking status", "Categorical single", both, four, 1, 90, 100058)
    add(2178, "Overall health rating", "Categorical single", both, four, 1, 100508, 100044)
    add(1160, "Sleep duration", "Integer", both, four, 1, 100291, 100057, "hours/day",
        gen={"mean": 7.2, "sd": 1.1, "neg": 0.01})
    add(53, "Date of attending assessment centre", "Date", both, four, 1, None, 100024, gen={"miss": 0.0})
    add(40000, "Date of death", "Date", [0], 2, 1, None, 100093, gen={"miss": 0.96})
    add(3166, "Date and time of blood sample collection", "Time", both, four, 1, None, 100024)

    multi = [
        (20001, "Cancer code, self-reported", 6, 3, 100074, "Unisex", {"p": 0.08, "k": 0.2, "s": 1.2}),
        (20002, "Non-cancer illness code, self-reported", 34, 6, 100074, "Unisex", {"p": 0.62, "k": 1.4, "s": 1.1}),
        (20003, "Treatment/medication code", 48, 4, 100075, "Unisex", {"p": 0.72, "k": 2.6, "s": 1.15}),
        (20004, "Operation code", 32, 5, 100076, "Unisex", {"p": 0.55, "k": 1.2, "s": 1.1}),
        (6150, "Vascular/heart problems diagnosed by doctor", 4, 100605, 100044, "Unisex", {"none": 0.7}),
        (6177, "Medication for cholesterol, blood pressure or diabetes", 3, 100626, 100045, "Male", {"none": 0.62}),
        (6153, "Medication for cholesterol, blood pressure, diabetes, or take exogenous hormones", 4,
         100625, 100045, "Female", {"none": 0.6}),
        (6154, "Medication for pain relief, constipation, heartburn", 6, 100628, 100045, "Unisex", {"none": 0.45}),
        (6138, "Qualifications", 6, 100305, 100063, "Unisex", {"none": 0.15}),
        (6145, "Illness, injury, bereavement, stress in last 2 years", 6, 100502, 100060, "Unisex", {"none": 0.5}),
        (6160, "Leisure/social activities", 5, 100688, 100061, "Unisex", {"none": 0.3}),
        (6164, "Types of physical activity in last 4 weeks", 5, 100590, 100054, "Unisex", {"none": 0.05}),
        (20107, "Illnesses of father", 10, 1010, 100034, "Unisex", {"none": 0.3}),
        (20110, "Illnesses of mother", 11, 1010, 100034, "Unisex", {"none": 0.3}),
        (20111, "Illnesses of siblings", 12, 1010, 100034, "Unisex", {"none": 0.45}),
    ]
    for fid, title, arrays, coding, cat, sexed, gen in multi:
        add(fid, title, "Categorical multiple", [0, 1, 2, 3], 4, arrays, coding, cat, sexed=sexed, gen=gen)
    add(41270, "Diagnoses - ICD10", "Categorical multiple", [0], 1, 250, 19, 2002,
        gen={"p": 0.55, "lognorm": (1.4, 1.0), "s": 1.15})
    add(41271, "Diagnoses - ICD9", "Categorical multiple", [0], 1, 47, 87, 2002,
        gen={"p": 0.06, "k": 1.0, "s": 1.0})
    add(41272, "Operative procedures - OPCS4", "Categorical multiple", [0], 1, 126, 240, 2005,
        gen={"p": 0.5, "lognorm": (1.0, 0.9), "s": 1.1})

    # Synthetic fields at realistic-looking ids not used above.
    used = {f.fid for f in F}
    pool = np.array([i for i in range(1000, 30000) if i not in used])
    ids = iter(rng.choice(pool, size=3200, replace=False).tolist())
    singles_cats = [100349, 100402, 100508, 100484, 100537, 7]
    cats = [k for k in PATHS if k not in (2002, 2005, 100093, 100094)]

    def synthetic(vtype, inst, sc_inst, arrays, prefix):
        cat = int(rng.choice(cats))
        fid = next(ids)
        gen = {"miss": float(rng.choice([rng.uniform(0.0, 0.08), rng.uniform(0.2, 0.9)], p=[0.8, 0.2]))}
        coding, units = None, ""
        if vtype == "Integer":
            gen |= {"mean": float(rng.uniform(0, 40)), "sd": float(rng.uniform(0.5, 8))}
            if rng.random() < 0.3:
                coding, gen["neg"] = 100291, 0.02
        elif vtype == "Continuous":
            gen |= {"mean": float(abs(rng.normal(0, 50))), "sd": float(rng.uniform(0.05, 20)),
                    "dp": int(rng.integers(1, 6))}
            units = str(rng.choice(["mmol/L", "umol/L", "g/L", "ms", "s", "L", "kg", "%"]))
        else:
            coding = int(rng.choice(singles_cats))
        add(fid, f"{prefix} {fid}", vtype, inst, sc_inst, arrays, coding, cat, units, gen=gen)

    kinds = ["Integer", "Continuous", "Categorical single"]
    for _ in range(703):
        synthetic(str(rng.choice(kinds, p=[0.25, 0.45, 0.3])), both, four, 1, "Measurement")
    for _ in range(190):
        synthetic(str(rng.choice(kinds, p=[0.2, 0.6, 0.2])), [0], 1, 1, "Baseline measure")
    for _ in range(36):
        synthetic("Continuous", both, four, 2, "Repeated reading")
    for _ in range(4):
        synthetic("Categorical single", both, four, 2, "Repeated answer")
    for _ in range(8):  # asked at baseline only: no instance-2 column, so skipped at instance 2
        synthetic(str(rng.choice(kinds)), [0], four, 1, "Baseline question")
    for inst, sc in ((both, four), (both, four), ([0], 1)):
        add(next(ids), "Free-text answer", "Text", inst, sc, 1, None, int(rng.choice(cats)), gen={"miss": 0.7})
    for _ in range(3):
        add(next(ids), "Date of first report", "Date", [0], 1, 1, None, int(rng.choice(cats)), gen={"miss": 0.8})

    # Showcase rows for fields that are not in this extract (a real dictionary lists every field).
    absent = []
    for _ in range(2000):
        vt = str(rng.choice(["Integer", "Continuous", "Categorical single", "Categorical multiple",
                             "Date", "Text", "Compound"], p=[0.2, 0.4, 0.25, 0.05, 0.04, 0.04, 0.02]))
        coding = int(rng.choice(singles_cats)) if vt.startswith("Categorical") else None
        absent.append(Field(next(ids), "Field not in this extract", vt, [], int(rng.choice([1, 2, 4])),
                            int(rng.choice([1, 1, 1, 4])), coding, int(rng.choice(cats))))
    return F, absent


def columns_of(f):
    return [f"{f.fid}-{i}.{a}" for i in f.instances for a in range(f.arrays)]


def single_values(rng, f, codings, rows_ok, m):
    """One array column of a single-valued field: (values, present mask)."""
    g = f.gen
    present = rows_ok & (rng.random(m) >= g.get("miss", 0.03))
    if f.vtype == "Integer":
        vals = np.rint(rng.normal(g["mean"], g["sd"], m)).astype(np.int64)
        if g.get("neg"):
            r = rng.random(m)
            vals[r < g["neg"]] = -1
            vals[r < g["neg"] / 4] = -3
        return pa.array(vals, mask=~present)
    if f.vtype == "Continuous":
        vals = np.round(rng.normal(g["mean"], g["sd"], m), g["dp"])
        return pa.array(vals, mask=~present)
    if f.vtype == "Categorical single":
        codes = np.array([int(v) for v, _ in codings[f.coding]])
        weights = np.where(codes < 0, 0.02, 1.0) * rng.uniform(0.2, 1.0, len(codes))
        vals = rng.choice(codes, size=m, p=weights / weights.sum())
        return pa.array(vals, mask=~present)
    if f.vtype == "Date":
        days = rng.integers(0, 14 * 365, m)
        text = (np.datetime64("2006-03-13") + days.astype("timedelta64[D]")).astype(str)
        return pa.array(text, mask=~present)
    if f.vtype == "Time":
        secs = rng.integers(0, 14 * 365 * 86400, m)
        text = (np.datetime64("2006-03-13T08:00:00") + secs.astype("timedelta64[s]")).astype(str)
        return pa.array(text, mask=~present)
    phrases = np.array(["retired", "teacher, secondary school", "none", "see notes",
                        "shift work; nights", "n/a"])
    return pa.array(phrases[rng.integers(0, len(phrases), m)], mask=~present)


def multi_values(rng, f, codings, eligible, weights_of):
    """The array columns of a Categorical multiple field at one instance, for rows `eligible`
    (attended, right sex). Returns arrays of code indices (-1 = empty), shape (arrays, m)."""
    g = f.gen
    m = len(eligible)
    codes = codings[f.coding]
    out = np.full((f.arrays, m), -1, dtype=np.int64)
    asked = eligible & (rng.random(m) >= 0.01)
    k = np.zeros(m, dtype=np.int64)
    if "none" in g:  # touchscreen: every answer is codes, or -7 / -3 / -1 alone
        value_idx = {v: i for i, (v, _) in enumerate(codes)}
        positive = np.array([i for i, (v, _) in enumerate(codes) if int(v) > 0])
        r = rng.random(m)
        only_neg = asked & (r < g["none"] + 0.02)
        out[0, only_neg] = value_idx["-7"]
        out[0, only_neg & (r >= g["none"])] = value_idx["-3"]
        if "-1" in value_idx:
            out[0, only_neg & (r >= g["none"] + 0.01)] = value_idx["-1"]
        takes = asked & ~only_neg
        k[takes] = np.minimum(1 + rng.geometric(0.6, takes.sum()) - 1, len(positive))
        draw = lambda size: positive[rng.integers(0, len(positive), size)]  # noqa: E731
    else:
        takes = asked & (rng.random(m) < g["p"])
        n_take = int(takes.sum())
        if "lognorm" in g:
            mu, sigma = g["lognorm"]
            k[takes] = np.ceil(np.exp(rng.normal(mu, sigma, n_take))).astype(np.int64)
        else:
            k[takes] = 1 + rng.geometric(1 / (1 + g["k"]), n_take) - 1
        k = np.minimum(k, f.arrays)
        w = weights_of(f)
        draw = lambda size: rng.choice(len(w), size=size, p=w)  # noqa: E731
    pid = np.repeat(np.arange(m), k)
    idx = draw(len(pid))
    # One code once per participant (as in real data), in a random order across the arrays.
    keep = np.unique(pid * len(codes) + idx, return_index=True)[1]
    pid, idx = pid[keep], idx[keep]
    order = np.lexsort((rng.random(len(pid)), pid))
    pid, idx = pid[order], idx[order]
    start = np.searchsorted(pid, pid, side="left")
    pos = np.arange(len(pid)) - start
    filled = out[0] >= 0  # a touchscreen negative answer is already in array 0
    pos = pos + filled[pid]
    ok = pos < f.arrays
    out[pos[ok], pid[ok]] = idx[ok]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder to write (created if needed)")
    ap.add_argument("--n", type=int, default=100_000, help="participants (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attend2", type=float, default=0.8,
                    help="share of participants who attended instance 2, the imaging visit (default 0.8)")
    args = ap.parse_args()
    start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(args.seed)
    codings = make_codings(rng)
    fields, absent = make_fields(rng, codings)
    n = args.n
    eids = np.sort(rng.choice(np.arange(1_000_000, 6_030_000), size=n, replace=False))
    male = rng.random(n) < 0.46
    attend = {0: np.ones(n, bool), 2: rng.random(n) < args.attend2}
    attend[1] = rng.random(n) < 0.1
    attend[3] = attend[2] & (rng.random(n) < 0.1)
    weight_cache = {}

    def weights_of(f):
        if f.coding not in weight_cache:
            c = len(codings[f.coding])
            w = 1.0 / np.arange(1, c + 1) ** f.gen.get("s", 1.0)
            weight_cache[f.coding] = w / w.sum()
        return weight_cache[f.coding]

    names = ["eid"] + [c for f in fields for c in columns_of(f)]
    code_arrays = {f.coding: pa.array([v for v, _ in codings[f.coding]]) for f in fields
                   if f.vtype == "Categorical multiple"}
    # Numeric codings are written as integers; text ones (ICD-10, ICD-9, OPCS4) as strings.
    int_codes = {cid: np.array([int(v) for v, _ in codings[cid]]) for cid in code_arrays
                 if all(v.lstrip("-").isdigit() for v, _ in codings[cid])}
    seen = {f.fid: np.zeros(n, bool) for f in fields}
    with open(out / "ukb.csv", "wb") as sink:
        sink.write((",".join(names) + "\n").encode())
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            m = hi - lo
            crng = np.random.default_rng([args.seed, lo])
            cols = [pa.array(eids[lo:hi])]
            for f in fields:
                sex_ok = np.ones(m, bool) if f.sexed == "Unisex" else (male[lo:hi] == (f.sexed == "Male"))
                for inst in f.instances:
                    rows_ok = attend[inst][lo:hi] & sex_ok
                    if f.vtype == "Categorical multiple":
                        block = multi_values(crng, f, codings, rows_ok, weights_of)
                        values = int_codes.get(f.coding)
                        for a in range(f.arrays):
                            idx = block[a]
                            present = idx >= 0
                            f.items += int(present.sum())
                            seen[f.fid][lo:hi] |= present
                            if values is not None:
                                cols.append(pa.array(values[np.maximum(idx, 0)], mask=~present))
                            else:
                                cols.append(code_arrays[f.coding].take(pa.array(idx, mask=~present)))
                        continue
                    prev = None
                    for a in range(f.arrays):
                        ok = rows_ok
                        if prev is not None:  # a second reading: mostly with the first, rarely alone
                            ok = rows_ok & np.where(prev, crng.random(m) < 0.97, crng.random(m) < 0.02)
                        col = single_values(crng, f, codings, ok, m)
                        if f.fid == 31:  # the sex the Sexed fields follow
                            col = pa.array(male[lo:hi].astype(np.int64))
                        present = ~np.asarray(col.is_null())
                        prev = present
                        f.items += int(present.sum())
                        seen[f.fid][lo:hi] |= present
                        cols.append(col)
            table = pa.Table.from_arrays(cols, names=names)
            pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    for f in fields:
        f.participants = int(seen[f.fid].sum())

    with open(out / "Data_Dictionary_Showcase.tsv", "w") as fh:
        fh.write("\t".join(SHOWCASE_HEADER) + "\n")
        rows = fields + absent
        for f in sorted(rows, key=lambda f: f.fid):
            strata = "Primary" if f.vtype != "Compound" else "Auxiliary"
            item_type = "Data" if f.vtype != "Compound" else "Bulk"
            notes = f"{f.title}. Synthetic field written by bench/ukb_extract.py"
            fh.write("\t".join([
                PATHS[f.category], str(f.category), str(f.fid), f.title, str(f.participants),
                str(f.items), "Complete", f.vtype, f.units, item_type, strata, f.sexed,
                str(f.sc_instances), str(f.arrays), "" if f.coding is None else str(f.coding), notes,
                f"http://biobank.ndph.ox.ac.uk/showcase/field.cgi?id={f.fid}",
            ]) + "\n")
    with open(out / "Codings.tsv", "w") as fh:
        fh.write("Coding\tValue\tMeaning\n")
        for cid in sorted(codings):
            for value, meaning in codings[cid]:
                fh.write(f"{cid}\t{value}\t{meaning}\n")
    seconds = time.perf_counter() - start
    meta = {"n": n, "seed": args.seed, "attend2": args.attend2, "columns": len(names),
            "fields": len(fields), "showcase_rows": len(fields) + len(absent),
            "csv_bytes": (out / "ukb.csv").stat().st_size, "seconds": round(seconds, 1)}
    (out / "extract.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
