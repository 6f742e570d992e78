"""Reference values for persona-math's k-means, scaler and cluster metrics.

What it computes, on data/wholesale_customers.csv (UCI "Wholesale customers", 440 rows):
  * log1p of the six spending columns (Fresh, Milk, Grocery, Frozen, Detergents_Paper,
    Delicassen), standardised with StandardScaler; its mean_ and scale_ are recorded;
  * for k = 2..8, KMeans(n_clusters=k, n_init=10, algorithm="lloyd") for random_state
    0..9: every inertia (one random_state is a single draw, and draws differ by up to 2%
    at k = 8, so the Rust test compares like with like: equal restart budgets), and the
    labels of random_state 0;
  * for those random_state=0 labels: silhouette_score, calinski_harabasz_score and
    davies_bouldin_score on the standardised data.
It writes crates/persona-math/tests/fixtures/kmeans_wholesale.json, which
crates/persona-math/tests/kmeans_reference.rs reads. The Rust test does the log1p and the
standardisation itself from the CSV; only scikit-learn's numbers come from here.

Versions used to produce the committed fixture: Python 3 with numpy 2.4.6, scipy 1.17.1,
scikit-learn 1.9.1. The script is deterministic (fixed seeds, one BLAS/OpenMP thread).

Rerun from the repository root:
    /work/pyref/bin/python scripts/reference/kmeans_reference.py
"""

import hashlib
import json
import os
from pathlib import Path

# Single-threaded native code, so that summation order and therefore every bit is reproducible.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.preprocessing import StandardScaler  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "data" / "wholesale_customers.csv"
OUT = ROOT / "crates" / "persona-math" / "tests" / "fixtures" / "kmeans_wholesale.json"
SPEND_COLUMNS = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
KS = range(2, 9)
RANDOM_STATES = range(10)  # must start at 0: the labels come from random_state 0


def load_spending():
    with open(CSV, newline="") as f:
        header = f.readline().strip().split(",")
    cols = [header.index(c) for c in SPEND_COLUMNS]
    return np.loadtxt(CSV, delimiter=",", skiprows=1, usecols=cols, dtype=np.float64)


def fit_kmeans(z, k, random_state):
    km = KMeans(n_clusters=k, n_init=10, random_state=random_state, algorithm="lloyd")
    return km.fit(z)


def clustering_reference(z, k):
    km = fit_kmeans(z, k, 0)
    inertias = [float(km.inertia_)]
    inertias += [float(fit_kmeans(z, k, rs).inertia_) for rs in RANDOM_STATES if rs != 0]
    labels = km.labels_
    return {
        "k": k,
        "inertia_by_random_state": inertias,
        "inertia_best": min(inertias),
        "best_random_state": int(np.argmin(inertias)),
        "labels": [int(x) for x in labels],
        "silhouette": float(silhouette_score(z, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(z, labels)),
        "davies_bouldin": float(davies_bouldin_score(z, labels)),
    }


def main():
    x = np.log1p(load_spending())
    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    fixture = {
        "generated_by": "scripts/reference/kmeans_reference.py",
        "versions": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "data": {
            "file": "data/wholesale_customers.csv",
            "sha256": hashlib.sha256(CSV.read_bytes()).hexdigest(),
            "rows": int(x.shape[0]),
            "columns": SPEND_COLUMNS,
            "transform": "log1p, then StandardScaler",
        },
        "scaler": {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()},
        "kmeans": {
            "n_init": 10,
            "random_states": list(RANDOM_STATES),
            "clusterings": [clustering_reference(z, k) for k in KS],
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
