"""Compare APA à domicile amounts with OpenFisca-France on the same random cases.

Usage (from the workspace root, with `pip install openfisca-france` in the Python environment):
    python3 crates/simulation/scripts/compare_openfisca_apa.py [N]

Only months where OpenFisca's MTP equals the MTP of 1 January used by the law are compared
(OpenFisca applies the MTP month by month and lacks the 2024-04-01 value): 2024-01..2024-03 and
2026-01..2026-03. Resources are fed to OpenFisca directly (`base_ressources_apa`), as OpenFisca's own
resource formula differs from CASF R232-5. Prints the number of cases, mismatches (> 1 cent), timings
and the speed ratio.
"""

import json
import random
import subprocess
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
MONTHS = ["2024-01", "2024-02", "2024-03", "2026-01", "2026-02", "2026-03"]

rng = random.Random(42)
cases = []
for i in range(N):
    cases.append(
        {
            "gir": rng.randint(1, 4),
            "plan": round(rng.uniform(0, 2500), 2),
            "ressources": round(rng.uniform(0, 5000), 2),
            "couple": rng.random() < 0.3,
            "month": rng.choice(MONTHS),
        }
    )

# --- Guichet (Rust) ---------------------------------------------------------------------------
lines = "\n".join(
    json.dumps(
        {
            "gir": c["gir"],
            "plan": c["plan"],
            "ressources": c["ressources"],
            "couple": c["couple"],
            "date": c["month"] + "-15",
            "age": 80,
        }
    )
    for c in cases
)
subprocess.run(
    ["cargo", "build", "--release", "-q", "-p", "guichet_simulation", "--example", "simulate_jsonl"], check=True
)
import os

target = os.environ.get("CARGO_TARGET_DIR", "target")
t0 = time.perf_counter()
out = subprocess.run(
    [f"{target}/release/examples/simulate_jsonl", "apa"], input=lines, capture_output=True, text=True, check=True
)
t_rust_process = time.perf_counter() - t0
rust = [json.loads(l) for l in out.stdout.splitlines()]
# In-process time reported by the binary: JSON parsing, simulation with explanation, JSON result.
t_rust = float(out.stderr.strip().split(" en ")[-1].split(" ")[0])

# --- OpenFisca ----------------------------------------------------------------------------------
import numpy as np
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_france import FranceTaxBenefitSystem

t0 = time.perf_counter()
tbs = FranceTaxBenefitSystem()
t_load = time.perf_counter() - t0
GIR = tbs.variables["gir"].possible_values

of_apa = np.zeros(N)
of_part = np.zeros(N)
t0 = time.perf_counter()
for month in MONTHS:
    idx = [i for i, c in enumerate(cases) if c["month"] == month]
    if not idx:
        continue
    n = len(idx)
    sb = SimulationBuilder()
    sb.create_entities(tbs)
    ids = [f"p{i}" for i in range(n)]
    sb.declare_person_entity("individu", ids)
    for entity in ("famille", "foyer_fiscal", "menage"):
        sub = sb.declare_entity(entity, [f"{entity}{i}" for i in range(n)])
        role = {"famille": "parent", "foyer_fiscal": "declarant", "menage": "personne_de_reference"}[entity]
        sb.join_with_persons(sub, ids, [role] * n)
    sim = sb.build(tbs)
    sim.set_input("age", month, np.full(n, 80))
    sim.set_input("gir", month, np.array([GIR[f"gir_{cases[i]['gir']}"] for i in idx]))
    sim.set_input("dependance_plan_aide_domicile", month, np.array([cases[i]["plan"] for i in idx]))
    sim.set_input("base_ressources_apa", month, np.array([cases[i]["ressources"] for i in idx]))
    sim.set_input("en_couple", month, np.array([cases[i]["couple"] for i in idx]))
    apa = sim.calculate("apa_domicile", month)
    part = sim.calculate("apa_domicile_participation", month)
    for k, i in enumerate(idx):
        of_apa[i] = apa[k]
        of_part[i] = part[k]
t_of = time.perf_counter() - t0

# One-case latency in OpenFisca (situation building + calculation), the way an API call would run it.
single = []
for _ in range(100):
    t1 = time.perf_counter()
    sb = SimulationBuilder()
    sim = sb.build_from_entities(
        tbs,
        {
            "individus": {"p": {"age": {"2026-01": 82}, "gir": {"2026-01": "gir_2"},
                                "dependance_plan_aide_domicile": {"2026-01": 1500},
                                "base_ressources_apa": {"2026-01": 1800}}},
            "familles": {"f": {"parents": ["p"]}},
            "foyers_fiscaux": {"ff": {"declarants": ["p"]}},
            "menages": {"m": {"personne_de_reference": ["p"]}},
        },
    )
    v = sim.calculate("apa_domicile", "2026-01")
    single.append(time.perf_counter() - t1)
single.sort()
assert abs(float(v[0]) - 1201.61) < 0.01, v

mismatch = []
for i, c in enumerate(cases):
    r_apa = rust[i]["apa"] / 100
    r_part = rust[i]["participation"] / 100
    if abs(r_apa - of_apa[i]) > 0.01 or (r_apa > 0 and abs(r_part - of_part[i]) > 0.01):
        mismatch.append((c, r_part, float(of_part[i]), r_apa, float(of_apa[i])))

print(f"cas : {N}, écarts de plus d'un centime : {len(mismatch)}")
for m in mismatch[:10]:
    print("  ", m)
print(f"Guichet : {t_rust:.3f} s ({N / t_rust:.0f} cas/s, un fil, JSON et explication compris ; {t_rust_process:.3f} s avec le processus et les entrées-sorties)")
print(f"OpenFisca : {t_of:.3f} s de calcul vectorisé numpy + {t_load:.1f} s de chargement ({N / t_of:.0f} cas/s, sans explication)")
print(f"rapport OpenFisca / Guichet (calcul en lot) : {t_of / t_rust:.1f}")
print(f"OpenFisca, un cas (exemple du ticket, 1 201,61 €) : médiane {single[len(single) // 2] * 1e3:.1f} ms")

# One-case latency in Guichet, same machine, same run: the crate's bench example prints the median with
# the explanation (what the simulators show) and for the amounts only (what OpenFisca computes).
subprocess.run(["cargo", "build", "--release", "-q", "-p", "guichet_simulation", "--example", "bench"], check=True)
bench = subprocess.run([f"{target}/release/examples/bench"], capture_output=True, text=True, check=True).stdout
of_one = single[len(single) // 2]
for line in bench.splitlines():
    if line.startswith("Un cas APA"):
        mode = line.split("mesures, ")[1].split(")")[0]
        median_us = float(line.split("médiane ")[1].split(" ")[0])
        print(f"Guichet, un cas ({mode}) : médiane {median_us:.2f} µs ; rapport OpenFisca / Guichet : {of_one * 1e6 / median_us:.0f}")

# --- APA en établissement (single people; resources ≥ 500 € so that OpenFisca's 90 % "reste à vivre"
# cap, not applied by Guichet for lack of a confirmed legal basis, never binds) ------------------------
cases_e = []
for i in range(N // 4):
    gir = rng.randint(1, 4)
    t56 = round(rng.uniform(0, 300), 2)
    tg = round(t56 + rng.uniform(0, 700), 2)
    cases_e.append({"gir": gir, "t56": t56, "tg": tg, "ressources": round(rng.uniform(500, 6000), 2),
                    "month": rng.choice(MONTHS)})
lines = "\n".join(
    json.dumps({"gir": c["gir"], "tarif_gir": c["tg"], "tarif_gir_5_6": c["t56"], "ressources": c["ressources"],
                "date": c["month"] + "-15", "age": 85})
    for c in cases_e
)
out = subprocess.run([f"{target}/release/examples/simulate_jsonl", "apa-etablissement"], input=lines,
                     capture_output=True, text=True, check=True)
rust_e = [json.loads(l) for l in out.stdout.splitlines()]
of_e = np.zeros(len(cases_e))
for month in MONTHS:
    idx = [i for i, c in enumerate(cases_e) if c["month"] == month]
    if not idx:
        continue
    n = len(idx)
    sb = SimulationBuilder()
    sb.create_entities(tbs)
    ids = [f"p{i}" for i in range(n)]
    sb.declare_person_entity("individu", ids)
    for entity in ("famille", "foyer_fiscal", "menage"):
        sub = sb.declare_entity(entity, [f"{entity}{i}" for i in range(n)])
        role = {"famille": "parent", "foyer_fiscal": "declarant", "menage": "personne_de_reference"}[entity]
        sb.join_with_persons(sub, ids, [role] * n)
    sim = sb.build(tbs)
    sim.set_input("age", month, np.full(n, 85))
    sim.set_input("gir", month, np.array([GIR[f"gir_{cases_e[i]['gir']}"] for i in idx]))
    tg = np.array([cases_e[i]["tg"] for i in idx])
    gir12 = np.array([cases_e[i]["gir"] <= 2 for i in idx])
    sim.set_input("dependance_tarif_etablissement_gir_1_2", month, np.where(gir12, tg, 1.0))
    sim.set_input("dependance_tarif_etablissement_gir_3_4", month, np.where(gir12, 1.0, tg))
    sim.set_input("dependance_tarif_etablissement_gir_5_6", month, np.array([cases_e[i]["t56"] for i in idx]))
    sim.set_input("base_ressources_apa", month, np.array([cases_e[i]["ressources"] for i in idx]))
    apa = sim.calculate("apa_etablissement", month)
    for k, i in enumerate(idx):
        of_e[i] = apa[k]
bad = [(c, rust_e[i]["apa"] / 100, float(of_e[i])) for i, c in enumerate(cases_e)
       if abs(rust_e[i]["apa"] / 100 - of_e[i]) > 0.01]
print(f"APA en établissement : {len(cases_e)} cas, écarts de plus d'un centime : {len(bad)}")
for b in bad[:10]:
    print("  ", b)
