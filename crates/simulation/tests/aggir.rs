//! Cross-check of `parameters/apa/aggir.toml` against an independent transcription of the algorithm: the
//! DREES program GIRCALC2.SAS (enquête HID 1999, « conforme à l'algorithme publié au J.O. du 30/04/97 »),
//! whose weights are copied below as they appear in that program. Every one of the 3^8 combinations of
//! the eight weighted variables must get the same rank and GIR from both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use guichet_simulation::Parameters;
use guichet_simulation::aggir::{self, Grid, Modality};

/// Per group: C weights, B weights (cohérence, orientation, toilette, habillage, alimentation, élimination,
/// transferts, déplacements intérieur), thresholds (min score, rank). GIRCALC2.SAS, groups A to H.
/// C weights, B weights, thresholds of one group.
type Group = ([i32; 8], [i32; 8], &'static [(i32, u8)]);

const SAS: [Group; 8] = [
    (
        [2000, 1200, 40, 40, 60, 100, 800, 200],
        [0, 0, 16, 16, 20, 16, 120, 32],
        &[(4380, 1), (4140, 2), (3390, 3)],
    ),
    (
        [1500, 1200, 40, 40, 60, 100, 800, -80],
        [320, 120, 16, 16, 0, 16, 120, -40],
        &[(2016, 4)],
    ),
    (
        [0, 0, 40, 40, 60, 160, 1000, 400],
        [0, 0, 16, 16, 20, 20, 200, 40],
        &[(1700, 5), (1432, 6)],
    ),
    (
        [0, 0, 0, 0, 2000, 400, 2000, 200],
        [0, 0, 0, 0, 200, 200, 200, 0],
        &[(2400, 7)],
    ),
    (
        [400, 400, 400, 400, 400, 800, 800, 200],
        [0, 0, 100, 100, 100, 100, 100, 0],
        &[(1200, 8)],
    ),
    (
        [200, 200, 500, 500, 500, 500, 500, 200],
        [100, 100, 100, 100, 100, 100, 100, 0],
        &[(800, 9)],
    ),
    (
        [150, 150, 300, 300, 500, 500, 400, 200],
        [0, 0, 200, 200, 200, 200, 200, 100],
        &[(650, 10)],
    ),
    (
        [0, 0, 3000, 3000, 3000, 3000, 1000, 1000],
        [0, 0, 2000, 2000, 2000, 2000, 2000, 1000],
        &[(4000, 11), (2000, 12), (i32::MIN, 13)],
    ),
];

fn sas_rank(modalities: &[Modality; 8]) -> u8 {
    for (c, b, thresholds) in SAS {
        let score: i32 = modalities
            .iter()
            .enumerate()
            .map(|(i, m)| match m {
                Modality::A => 0,
                Modality::B => b[i],
                Modality::C => c[i],
            })
            .sum();
        if let Some((_, rank)) = thresholds.iter().find(|(min, _)| score >= *min) {
            return *rank;
        }
    }
    unreachable!("group H takes every score")
}

fn sas_gir(rank: u8) -> u8 {
    match rank {
        1 => 1,
        2..=7 => 2,
        8 | 9 => 3,
        10 | 11 => 4,
        12 => 5,
        _ => 6,
    }
}

#[test]
fn every_grid_gets_the_rank_and_gir_of_the_drees_program() {
    let p = Parameters::load().unwrap();
    let weighted = &aggir::variables()[..8];
    let mut checked = 0;
    for n in 0..3usize.pow(8) {
        let mut modalities = [Modality::A; 8];
        let mut rest = n;
        for m in &mut modalities {
            *m = Modality::ALL[rest % 3];
            rest /= 3;
        }
        let mut grid = Grid::default();
        for (v, m) in weighted.iter().zip(modalities) {
            // Same letter in every sub-variable: AA, BB(B), CC combine to that letter under every rule.
            for (key, _) in v.sub {
                aggir::set(&mut grid, key, m).unwrap();
            }
        }
        aggir::set(&mut grid, "deplacements_exterieur", Modality::B).unwrap();
        aggir::set(&mut grid, "alerter", Modality::C).unwrap();
        let r = aggir::compute(&p, &grid).unwrap();
        let rank = sas_rank(&modalities);
        assert_eq!((r.rank, r.gir), (rank, sas_gir(rank)), "{modalities:?}");
        checked += 1;
    }
    assert_eq!(checked, 6561);
}
