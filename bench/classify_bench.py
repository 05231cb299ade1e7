"""linfa classifiers (through stats/examples/classify_bench.rs) against scikit-learn on the
same data, in one run. From the repository root:

    CARGO_TARGET_DIR=/var/tmp/mt-h6 cargo build --release -p meshagents-stats --example classify_bench
    CARGO_TARGET_DIR=/var/tmp/mt-h6 /var/tmp/fixtures-venv/bin/python bench/classify_bench.py

Data: a validation-sized problem, n = 2,400 (a training fold of the 3,000-person demo) and
n = 10,000, p = 17 (the 13 expert phenotypes and 4 confounders), 15 % cases, 4 informative
features. Both sides fit standardised data, without class weights, the same model family:
L2 logistic regression with C = 1 (linfa alpha = 1), RBF SVM with C = 1 and gamma = 1 / p,
a Gini tree of depth 5 with at least 5 rows a leaf (ours: CART on ndarray), Gaussian naive
Bayes, and LDA (ours: Fisher direction with a 1e-6
ridge; scikit-learn: the default SVD solver). Each time is the median over REPEATS fits of
fit + score on the training rows, single-threaded on both sides."""

import json
import os
import subprocess
import sys
import tempfile
import time

# One BLAS thread, as the Rust side: set before numpy loads OpenBLAS, which reads it once.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import sklearn
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

TARGET = os.environ.get("CARGO_TARGET_DIR", "target")
EXAMPLE = os.path.join(TARGET, "release", "examples", "classify_bench")
REPEATS = 7


def data(n, p=17, seed=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(int)
    x = rng.normal(100, 15, (n, p))
    x[:, :4] += 15 * 0.6 * y[:, None]
    return x, y


def sklearn_models(p):
    return {
        "logistic": lambda: LogisticRegression(C=1.0, max_iter=200),
        "svm": lambda: SVC(C=1.0, kernel="rbf", gamma=1.0 / p),
        "decision_tree": lambda: DecisionTreeClassifier(max_depth=5, min_samples_leaf=5, random_state=0),
        "gaussian_nb": lambda: GaussianNB(),
        "lda": lambda: LinearDiscriminantAnalysis(),
    }


def score(model, x):
    if hasattr(model, "decision_function"):
        return model.decision_function(x)
    return model.predict_proba(x)[:, 1]


def main():
    rows = []
    for n, which in [(2400, "logistic,svm,decision_tree,gaussian_nb,lda"), (10000, "logistic,decision_tree,gaussian_nb,lda")]:
        x, y = data(n)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "data.csv")
            header = ",".join([f"f{j}" for j in range(x.shape[1])] + ["label"])
            np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt="%.17g")
            out = subprocess.run([EXAMPLE, path, str(REPEATS), which], check=True, capture_output=True, text=True).stdout
        rust = {r["classifier"]: r for r in map(json.loads, out.strip().splitlines())}
        xs = StandardScaler().fit_transform(x)
        for name in which.split(","):
            make = sklearn_models(x.shape[1])[name]
            times = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                m = make().fit(xs, y)
                s = score(m, xs)
                times.append(time.perf_counter() - t0)
            py = float(np.median(times))
            r = rust[name]
            rows.append({"n": n, "classifier": name, "linfa_s": r["median_s"], "sklearn_s": py,
                         "ratio_sklearn_over_linfa": py / r["median_s"],
                         "train_auc_linfa": r["train_auc"], "train_auc_sklearn": roc_auc_score(y, s)})
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    print(f"{'n':>6} {'classifier':<14} {'linfa':>10} {'sklearn':>10} {'sk/linfa':>9} {'AUC linfa':>10} {'AUC sk':>8}")
    for r in rows:
        print(f"{r['n']:>6} {r['classifier']:<14} {r['linfa_s']*1e3:>8.2f}ms {r['sklearn_s']*1e3:>8.2f}ms "
              f"{r['ratio_sklearn_over_linfa']:>9.2f} {r['train_auc_linfa']:>10.4f} {r['train_auc_sklearn']:>8.4f}")
    with open(os.path.join(os.path.dirname(__file__), "classify_results.json"), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
