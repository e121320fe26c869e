"""Compare AAH amounts with OpenFisca-France (single adult, no earnings, no child, no pension).

Usage: python3 crates/simulation/scripts/compare_openfisca_aah.py [N]
Ages are kept under 62 because OpenFisca ends the 50-79 % AAH at a flat 64 where the law uses the
legal retirement age of the generation. Yearly resources (N-2) are fed as `revenu_assimile_pension`.
"""

import json
import os
import random
import subprocess
import sys

import numpy as np
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_france import FranceTaxBenefitSystem

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
MONTHS = ["2024-06", "2025-02", "2025-06", "2026-01", "2026-06", "2026-11"]
rng = random.Random(7)
cases = [
    {
        "taux": rng.choice([30, 45, 50, 60, 79, 80, 85, 95]),
        "rsdae": rng.random() < 0.6,
        "age": rng.randint(18, 61),
        "ressources": round(rng.uniform(0, 16000), 2) if rng.random() < 0.8 else 0,
        "month": rng.choice(MONTHS),
    }
    for _ in range(N)
]
target = os.environ.get("CARGO_TARGET_DIR", "target")
subprocess.run(["cargo", "build", "--release", "-q", "-p", "guichet_simulation", "--example", "simulate_jsonl"],
               check=True)
lines = "\n".join(
    json.dumps({"taux_incapacite": c["taux"], "rsdae": c["rsdae"], "age": c["age"],
                "ressources_annuelles": c["ressources"], "date": c["month"] + "-15"})
    for c in cases
)
out = subprocess.run([f"{target}/release/examples/simulate_jsonl", "aah"], input=lines, capture_output=True,
                     text=True, check=True)
rust = [json.loads(l) for l in out.stdout.splitlines()]

tbs = FranceTaxBenefitSystem()
of = np.zeros(N)
for month in MONTHS:
    idx = [i for i, c in enumerate(cases) if c["month"] == month]
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
    year_n2 = str(int(month[:4]) - 2)
    sim.set_input("age", month, np.array([cases[i]["age"] for i in idx]))
    sim.set_input("taux_incapacite", month, np.array([cases[i]["taux"] / 100 for i in idx]))
    sim.set_input("aah_restriction_substantielle_durable_acces_emploi", month,
                  np.array([cases[i]["rsdae"] for i in idx]))
    sim.set_input("revenu_assimile_pension", year_n2, np.array([cases[i]["ressources"] for i in idx]))
    v = sim.calculate("aah", month)
    for k, i in enumerate(idx):
        of[i] = v[k]

# --- With ordinary-employment earnings (quarterly evaluation). Only months where the SMIC on the last
# day of the reference quarter (the law, used by Guichet) equals the SMIC of the month (OpenFisca).
EMONTHS = ["2024-06", "2025-02", "2025-06", "2026-08", "2026-11"]
ecases = [
    {"taux": rng.choice([80, 85, 95]), "age": rng.randint(20, 61), "earn": round(rng.uniform(1, 2500), 2),
     "ressources": 0, "month": rng.choice(EMONTHS)}
    for _ in range(N // 2)
]
lines = "\n".join(
    json.dumps({"taux_incapacite": c["taux"], "age": c["age"], "revenus_activite_mensuels": c["earn"],
                "date": c["month"] + "-15"})
    for c in ecases
)
out = subprocess.run([f"{target}/release/examples/simulate_jsonl", "aah"], input=lines, capture_output=True,
                     text=True, check=True)
rust_e = [json.loads(l) for l in out.stdout.splitlines()]
of_e = np.zeros(len(ecases))
from openfisca_core.periods import period as make_period
for month in EMONTHS:
    idx = [i for i, c in enumerate(ecases) if c["month"] == month]
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
    earn = np.array([ecases[i]["earn"] for i in idx])
    sim.set_input("age", month, np.array([ecases[i]["age"] for i in idx]))
    sim.set_input("taux_incapacite", month, np.array([ecases[i]["taux"] / 100 for i in idx]))
    sim.set_input("salaire_imposable", month, earn)
    p = make_period(month)
    for k in (1, 2, 3):
        sim.set_input("salaire_net", str(p.offset(-k)), earn)
    v = sim.calculate("aah", month)
    for k, i in enumerate(idx):
        of_e[i] = v[k]
bad_e = [(c, rust_e[i]["aah"] / 100, round(float(of_e[i]), 2)) for i, c in enumerate(ecases)
         if abs(rust_e[i]["aah"] / 100 - of_e[i]) > 0.01]
print(f"AAH avec revenus d'activité : {len(ecases)} cas, écarts de plus d'un centime : {len(bad_e)}")
for b in bad_e[:10]:
    print("  ", b)

bad = [(c, rust[i]["aah"] / 100, round(float(of[i]), 2)) for i, c in enumerate(cases)
       if abs(rust[i]["aah"] / 100 - of[i]) > 0.01]
print(f"AAH : {N} cas, écarts de plus d'un centime : {len(bad)}")
for b in bad[:15]:
    print("  ", b)
