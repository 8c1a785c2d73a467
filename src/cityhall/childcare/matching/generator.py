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
  drawn from `RULES` (the non-independent same-month rules and INDEPENDENT); siblings share
  the family score and area, and their wish lists overlap;
- `staggered_share` (default 0.25) of the sibling families then accept different months
  instead: their rule becomes STAGGERED_SAME_FACILITY or STAGGERED_SEPARATE (half each);
- `bonus_share` (default 0: off) of the families have a facility-specific bonus: a sibling
  already attends one of the nurseries on the family's list (+2 there, "sibling_attends"),
  and as many 3歳児 applicants again are 小規模保育 graduates with +3 at a partner nursery on
  their list ("partner_nursery"). The attended nursery is drawn from the family's first
  three wishes (families list it near the top); once drawn, the bonus belongs to the
  facility and the child, and reordering the wishes does not move it.
The staggered rules and the bonuses are drawn from a random stream of their own (seeded by
`seed`), so that everything else in an instance is exactly what it was before these knobs
existed. Runs in well under a second for 3,000 children.

Hard instances (knobs off by default; with the defaults every seed gives the same instance as
before the knobs existed — they draw random numbers only when switched on):
- `three_child_share` (default 0.1): the share of sibling families with three children;
- `rule_weights`: weights for `RULES` (e.g. mostly SAME_FACILITY_ONLY and ALL_OR_NONE);
- `tight_seats` (default 1.0): the seats of the most popular quarter of the facilities in the
  sibling age classes 0–2 are multiplied by it (fewer seats where families compete);
- `gadgets`: that many copies of a small no-stable-matching gadget (a sibling family and two
  children alone on two or three one-seat facilities of their own, `GADGETS`; each has
  exactly one blocking coalition at best, checked by brute force in the tests) are planted
  into the instance. They share nothing with the rest of the instance, so its fewest blocking
  coalitions are exactly `gadgets` when the rest has a stable matching (`hard()` below).
"""

import random
from dataclasses import replace

from .model import AGE_CLASSES, Bonus, Child, Facility, Family, Instance, SeatPool, SiblingRule

AREAS = ("芝", "芝浦", "港南", "麻布", "六本木", "赤坂", "青山", "高輪", "白金", "台場")
AGE_WEIGHTS = (30, 38, 17, 9, 4, 2)
SEAT_WEIGHTS = (4, 6, 6, 5, 4, 4)  # mean seats per facility and age class (before scaling)
PARENT_POINTS = ((20, 70), (18, 10), (16, 8), (14, 5), (10, 4), (8, 3))
ADJUSTMENT = ((0, 70), (1, 12), (2, 8), (3, 4), (-1, 6))
RULES = (SiblingRule.SAME_FACILITY_ONLY, SiblingRule.SAME_PREFERRED, SiblingRule.ALL_OR_NONE,
         SiblingRule.ELDER_MAY_GO_ALONE, SiblingRule.YOUNGER_MAY_GO_ALONE,
         SiblingRule.INDEPENDENT)
STAGGERED_RULES = (SiblingRule.STAGGERED_SAME_FACILITY, SiblingRule.STAGGERED_SEPARATE)
SIBLING_BONUS = 2  # 兄弟在園: a sibling already attends the nursery
PARTNER_BONUS = 3  # 連携施設: a 小規模保育 graduate at the partner nursery


def _weighted(rng: random.Random, table) -> int:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def generate(seed: int, children: int = 3000, facilities: int = 80, wishes: int = 20,
             sibling_share: float = 0.12, transfer_share: float = 0.05,
             pool_share: float = 0.2, seat_ratio: float = 0.75,
             three_child_share: float = 0.1, rule_weights: tuple[float, ...] | None = None,
             tight_seats: float = 1.0, gadgets: int = 0, staggered_share: float = 0.25,
             bonus_share: float = 0.0) -> Instance:
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
    if tight_seats != 1.0:  # the popular quarter: fewer seats in the sibling age classes
        popular = set(sorted(ids, key=lambda f: (-appeal[f], f))[:max(1, facilities // 4)])
        built = [Facility(id=f.id, name=f.name, pools=f.pools, seats={
            age: round(n * tight_seats) if age <= 2 and f.id in popular else n
            for age, n in f.seats.items()}) if f.id in popular else f for f in built]

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
        k = min((3 if rng.random() < three_child_share else 2) if siblings else 1,
                children - len(made))
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
        if k <= 1:
            rule = SiblingRule.INDEPENDENT
        elif rule_weights is None:
            rule = rng.choice(RULES)
        else:
            rule = rng.choices(RULES, rule_weights)[0]
        families.append(Family(id=fam, child_ids=tuple(c.id for c in kids), sibling_rule=rule))
    if staggered_share or bonus_share:
        made, families = _variants(seed, made, families, staggered_share, bonus_share)
    instance = Instance(facilities=tuple(built), children=tuple(made), families=tuple(families))
    return plant(instance, gadgets, seed) if gadgets else instance


def _variants(seed: int, made: list[Child], families: list[Family], staggered_share: float,
              bonus_share: float) -> tuple[list[Child], list[Family]]:
    """Staggered sibling rules and facility-specific bonuses, from a stream of their own."""
    rng = random.Random(f"variants:{seed}")  # noqa: S311 (synthetic data, not security)
    by_id = {child.id: child for child in made}
    changed: list[Family] = []
    for family in families:
        if (len(family.child_ids) > 1 and family.sibling_rule != SiblingRule.INDEPENDENT
                and rng.random() < staggered_share):
            family = replace(family, sibling_rule=rng.choice(STAGGERED_RULES))
        changed.append(family)
        if not bonus_share:
            continue
        kids = [by_id[cid] for cid in family.child_ids]
        listed = sorted({f for kid in kids for f in kid.wishes[:3]})
        if listed and rng.random() < bonus_share:  # a sibling attends one of them
            attended = rng.choice(listed)
            for kid in kids:
                by_id[kid.id] = replace(by_id[kid.id], bonuses=(
                    *by_id[kid.id].bonuses, Bonus(attended, SIBLING_BONUS, "sibling_attends")))
        for kid in kids:
            if kid.age_class == 3 and kid.wishes and rng.random() < min(1.0, 3 * bonus_share):
                partner = rng.choice(sorted(kid.wishes))
                by_id[kid.id] = replace(by_id[kid.id], bonuses=(
                    *by_id[kid.id].bonuses, Bonus(partner, PARTNER_BONUS, "partner_nursery")))
    return [by_id[child.id] for child in made], changed


# Two no-stable-matching gadgets: (facility seats, children (name, wishes, rank, family?),
# the family's children and rule). Ranks are relative inside the gadget (0 = best).
GADGETS = (
    ("AB", (("c1", "AB", 0, True), ("c2", "A", 3, True), ("s1", "AB", 1, False),
            ("s2", "A", 2, False)), SiblingRule.ELDER_MAY_GO_ALONE),
    ("ABC", (("c1", "C", 3, True), ("c2", "CB", 0, True), ("s1", "A", 2, False),
             ("s2", "BC", 1, False)), SiblingRule.ALL_OR_NONE),
)


def plant(instance: Instance, count: int, seed: int = 0) -> Instance:
    """`instance` plus `count` gadgets (alternating `GADGETS`) on facilities of their own,
    each with one seat in one age class. Gadget children's scores lie inside the instance's
    range, so their priorities interleave with everyone else's (it changes nothing: they
    compete only among themselves)."""
    rng = random.Random(seed * 7919 + count)  # noqa: S311 (synthetic data, not security)
    facilities, children, families = (list(instance.facilities), list(instance.children),
                                      list(instance.families))
    for number in range(count):
        letters, members, rule = GADGETS[number % len(GADGETS)]
        age = rng.choice((0, 1, 2))
        prefix = f"G{number:04d}"
        facilities.extend(Facility(id=f"{prefix}{x}", name=f"{prefix}{x}", seats={age: 1})
                          for x in letters)
        base = rng.randrange(30, 42)
        fam = f"{prefix}fam"
        kids = []
        for name, wishes, rank, in_family in members:
            cid = f"{prefix}{name}"
            score = base - rank
            kids.append(Child(id=cid, family_id=fam if in_family else cid, age_class=age,
                              wishes=tuple(f"{prefix}{x}" for x in wishes),
                              priority=(-score, 1, 1, 1, 1, 0, cid), score=score))
        children.extend(kids)
        families.append(Family(id=fam, child_ids=tuple(k.id for k in kids[:2]),
                               sibling_rule=rule))
        families.extend(Family(id=k.id, child_ids=(k.id,)) for k in kids[2:])
    return Instance(facilities=tuple(facilities), children=tuple(children),
                    families=tuple(families))


def hard(seed: int, children: int = 3000, facilities: int = 80, gadgets: int = 20,
         **knobs) -> Instance:
    """The hard preset used by the tests and the bench: 30% sibling families, 40% of them with
    three children, mostly SAME_FACILITY_ONLY / ALL_OR_NONE (no staggered rule unless
    `staggered_share` is given), the popular facilities' 0–2歳児 seats halved, and `gadgets`
    planted no-stable gadgets."""
    settings = dict(sibling_share=0.3, three_child_share=0.4,
                    rule_weights=(4, 1, 4, 1, 1, 0), tight_seats=0.5, gadgets=gadgets,
                    staggered_share=0.0)
    settings.update(knobs)
    return generate(seed, children=children, facilities=facilities, **settings)
