"""Seeded synthetic instances at Minato scale (for tests and benchmarks; not real data).

`generate(seed, children=3000, facilities=80, wishes=20, sibling_share=0.12, ...)`:
- facilities in ten areas (the Minato districts' names), each with seats per age class
  weighted towards 3–5歳児 (few seats at 1–2歳児, where most of the demand is); about one
  facility in five shares one pool over 3–5歳児 instead of per-class seats for them;
- popularity is clustered: every facility has a Zipf-like appeal, and a child's wishes are
  drawn mostly from their own area and the next ones (weighted by appeal), then anywhere;
- age classes of applicants: 0歳 30%, 1歳 38%, 2歳 17%, 3歳 9%, 4歳 4%, 5歳 2%;
- scores on a Minato-like scale: each parent's 基準指数 from a short table (most 20, full
  time), plus a 調整指数 (0 mostly, sometimes +1…+3 or −1), so many children tie; ties are
  broken by a tie-break key (ひとり親, 生活保護, 障害, 兄弟在園 flags, then 所得割額 ascending),
  then the child id: `priority = (-score, tie-breaks..., income, id)` — never the wishes;
- about `transfer_share` (5%) of children are transfer applicants (転園) at a facility they
  do not wish (their wishes are the places they would rather go);
- `sibling_share` of families apply with 2 (mostly) or 3 children under a sibling rule
  drawn from all the non-independent rules and INDEPENDENT; siblings share the family score
  and area, and their wish lists overlap.
Runs in well under a second for 3,000 children.
"""

import random

from .model import AGE_CLASSES, Child, Facility, Family, Instance, SeatPool, SiblingRule

AREAS = ("芝", "芝浦", "港南", "麻布", "六本木", "赤坂", "青山", "高輪", "白金", "台場")
AGE_WEIGHTS = (30, 38, 17, 9, 4, 2)
SEAT_WEIGHTS = (4, 6, 6, 5, 4, 4)  # mean seats per facility and age class (before scaling)
PARENT_POINTS = ((20, 70), (18, 10), (16, 8), (14, 5), (10, 4), (8, 3))
ADJUSTMENT = ((0, 70), (1, 12), (2, 8), (3, 4), (-1, 6))
RULES = (SiblingRule.SAME_FACILITY_ONLY, SiblingRule.SAME_PREFERRED, SiblingRule.ALL_OR_NONE,
         SiblingRule.ELDER_MAY_GO_ALONE, SiblingRule.YOUNGER_MAY_GO_ALONE,
         SiblingRule.INDEPENDENT)


def _weighted(rng: random.Random, table) -> int:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def generate(seed: int, children: int = 3000, facilities: int = 80, wishes: int = 20,
             sibling_share: float = 0.12, transfer_share: float = 0.05,
             pool_share: float = 0.2, seat_ratio: float = 0.75) -> Instance:
    """`seat_ratio`: vacancies ÷ applicants (below 1: some children are not admitted)."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    # Facilities, their area and appeal, their seats.
    area_of = {}
    appeal = {}
    per_class = [children * seat_ratio * w / sum(SEAT_WEIGHTS) / facilities
                 for w in SEAT_WEIGHTS]
    built: list[Facility] = []
    for number in range(facilities):
        fid = f"F{number:03d}"
        area_of[fid] = number % len(AREAS)
        appeal[fid] = 1.0 / (1 + rng.random() * 9) ** 1.3
        seats = {age: max(0, round(rng.gauss(mean, mean / 3))) for age, mean in
                 zip(AGE_CLASSES, per_class, strict=True)}
        pools: tuple[SeatPool, ...] = ()
        if rng.random() < pool_share:
            shared = seats.pop(3) + seats.pop(4) + seats.pop(5)
            pools = (SeatPool(frozenset((3, 4, 5)), shared),)
        built.append(Facility(id=fid, name=f"{AREAS[area_of[fid]]}保育園{number}",
                              seats=seats, pools=pools))
    ids = [f.id for f in built]

    def wish_list(area: int, count: int) -> tuple[str, ...]:
        weights = [appeal[f] * (6.0 if area_of[f] == area else
                                2.0 if abs(area_of[f] - area) == 1 else 0.4) for f in ids]
        chosen: list[str] = []
        pool, pool_weights = list(ids), weights
        while len(chosen) < min(count, len(ids)):
            pick = rng.choices(range(len(pool)), pool_weights)[0]
            chosen.append(pool.pop(pick))
            pool_weights = pool_weights[:pick] + pool_weights[pick + 1:]
        return tuple(chosen)

    made: list[Child] = []
    families: list[Family] = []
    number = 0
    while len(made) < children:
        fam = f"H{len(families):05d}"
        area = rng.randrange(len(AREAS))
        score = (_weighted(rng, PARENT_POINTS) + _weighted(rng, PARENT_POINTS)
                 + _weighted(rng, ADJUSTMENT))
        flags = tuple(0 if rng.random() < p else 1 for p in (0.06, 0.02, 0.03, 0.05))
        income = rng.randrange(0, 400) * 1000
        siblings = rng.random() < sibling_share
        k = min((3 if rng.random() < 0.1 else 2) if siblings else 1, children - len(made))
        ages = sorted((rng.choices(AGE_CLASSES, AGE_WEIGHTS)[0] for _ in range(k)),
                      reverse=True)
        base = wish_list(area, wishes)
        kids = []
        for age in ages:
            cid = f"C{number:05d}"
            number += 1
            own = list(base)
            if k > 1:  # siblings' lists overlap but are not identical
                for _ in range(rng.randrange(0, 4)):
                    i, j = rng.randrange(len(own)), rng.randrange(len(own))
                    own[i], own[j] = own[j], own[i]
            count = max(1, min(len(own), round(rng.triangular(3, wishes, wishes * 0.6))))
            current = None
            if rng.random() < transfer_share and age > 0:
                current = rng.choice(ids)
                own = [f for f in own if f != current]
            kids.append(Child(
                id=cid, family_id=fam, age_class=age, wishes=tuple(own[:count]),
                priority=(-score, *flags, income, cid), score=score,
                current_facility=current))
        made.extend(kids)
        rule = rng.choice(RULES) if k > 1 else SiblingRule.INDEPENDENT
        families.append(Family(id=fam, child_ids=tuple(c.id for c in kids), sibling_rule=rule))
    return Instance(facilities=tuple(built), children=tuple(made), families=tuple(families))
