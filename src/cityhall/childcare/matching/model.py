"""The vocabulary of the matching engine (取組7 保育園入園AIマッチング): what goes in, what comes
out. Plain frozen dataclasses, no Django, so that the engine can be run, tested and
benchmarked alone (docs/childcare.md).

Terms (docs/childcare.md and the reference notes, §1.4):
- an age class (歳児クラス) is the child's age on 1 April of the admission year, 0–5;
- a facility offers seats per age class (募集人数), and may share one pool of seats across
  several age classes (`SeatPool`);
- a child's priority is one total order computed by the childcare app from the points table
  and the tie-break rules staff configure (`Child.priority`: a tuple, smaller = served
  first; it must never depend on the order of the child's wishes);
- a facility-specific bonus b(c,d) (`Bonus`, e.g. 兄弟在園 only at the nursery a sibling
  attends, or 連携施設 for a 小規模保育 graduate at the partner nursery) raises the child's
  score at that one facility only: the child's rank at d is `Child.priority_at(d)`, the
  priority with its first value (the negated score) lowered by the bonus. The bonus, like
  the priority, never depends on the order of the wishes;
- a family's sibling rule says which combinations of places its children accept, including
  the two staggered (別月入所可) rules where a child may be admitted now and a sibling later.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

AGE_CLASSES = (0, 1, 2, 3, 4, 5)
MAX_WISHES = 20


class SiblingRule(StrEnum):
    """How the children of one family who apply together may be placed (兄弟姉妹の希望)."""

    # Each child is placed on their own list as if alone.
    INDEPENDENT = "independent"
    # All in the same facility, or none of them admitted (同一施設のみ・全員一緒).
    SAME_FACILITY_ONLY = "same_facility_only"
    # The same facility preferred, separate facilities accepted (同一施設希望・別施設可).
    SAME_PREFERRED = "same_preferred"
    # Separate facilities accepted, but only if every child is admitted (全員入所が条件).
    ALL_OR_NONE = "all_or_none"
    # As SAME_PREFERRED, and the elder may be admitted alone if the younger is not (上の子のみ可).
    ELDER_MAY_GO_ALONE = "elder_may_go_alone"
    # As SAME_PREFERRED, and the younger may be admitted alone (下の子のみ可).
    YOUNGER_MAY_GO_ALONE = "younger_may_go_alone"
    # 別月入所可 (staggered months): some children may be admitted now and the others wait
    # for a later round. Same facility (同一施設・別月入所可): the children admitted now are all
    # in one facility, and it is one every waiting sibling also wishes (so they can join).
    STAGGERED_SAME_FACILITY = "staggered_same_facility"
    # Separate facilities allowed (別施設可・別月入所可): any of the children may be admitted,
    # anywhere they wish; more admitted first, then the same facility preferred.
    STAGGERED_SEPARATE = "staggered_separate"


@dataclass(frozen=True)
class SeatPool:
    """Seats of one facility shared by several age classes (e.g. 3–5歳児 together: 10)."""

    age_classes: frozenset[int]
    seats: int


@dataclass(frozen=True)
class Facility:
    id: str
    name: str
    # Seats per age class; an age class not listed has none (unless a pool covers it).
    seats: dict[int, int] = field(default_factory=dict)
    pools: tuple[SeatPool, ...] = ()


@dataclass(frozen=True)
class Bonus:
    """Facility-specific bonus points b(c,d): `points` added to the child's score at
    `facility` only. `reason` is a code for the explanation (the childcare app gives the
    points item's code, e.g. "sibling-same"; the generator "sibling_attends" or
    "partner_nursery")."""

    facility: str
    points: int
    reason: str = ""


@dataclass(frozen=True)
class Child:
    id: str
    family_id: str
    age_class: int
    # Facility ids in the order the family wants them, at most MAX_WISHES, no repeats.
    wishes: tuple[str, ...]
    # Smaller sorts first. Built by the childcare app: (-score, tie-break values..., id).
    priority: tuple
    score: int = 0  # 指数 (基準指数 + 調整指数), kept for explanations
    # 転園: the facility the child attends now. A transfer child is never placed anywhere
    # they like less, and keeps their current seat if nothing better is found.
    current_facility: str | None = None
    # Facility-specific bonus points (at most a few per child; several at one facility add).
    bonuses: tuple[Bonus, ...] = ()

    @cached_property
    def _bonus_points(self) -> dict[str, int]:
        points: dict[str, int] = {}
        for bonus in self.bonuses:
            points[bonus.facility] = points.get(bonus.facility, 0) + bonus.points
        return points

    def bonus_at(self, facility: str | None) -> int:
        """The bonus points the child has at `facility` (0 almost always)."""
        if not self.bonuses or facility is None:
            return 0
        return self._bonus_points.get(facility, 0)

    def score_at(self, facility: str | None) -> int:
        return self.score + self.bonus_at(facility)

    def priority_at(self, facility: str | None) -> tuple:
        """The child's priority at one facility, smaller first: `priority` with its first
        value (the negated score) lowered by the bonus there, the rest (tie-breaks, id)
        unchanged. Without a bonus at the facility it is `priority` itself."""
        bonus = self.bonus_at(facility)
        if not bonus:
            return self.priority
        return (self.priority[0] - bonus, *self.priority[1:])


@dataclass(frozen=True)
class Family:
    id: str
    child_ids: tuple[str, ...]  # eldest first
    sibling_rule: SiblingRule = SiblingRule.INDEPENDENT


@dataclass(frozen=True)
class Instance:
    facilities: tuple[Facility, ...]
    children: tuple[Child, ...]
    families: tuple[Family, ...]


@dataclass(frozen=True)
class BlockingCoalition:
    """A family and a combination of places it prefers to what it got, which it could take
    using free seats and seats given to children of lower priority."""

    family_id: str
    places: dict[str, str | None]  # child id -> facility id (None = not admitted)
    displaced: tuple[str, ...] = ()  # children of lower priority who would lose their seat


@dataclass
class Result:
    # child id -> facility id, or None when not admitted (a transfer child who keeps their
    # place is assigned their current facility).
    assignment: dict[str, str | None]
    solver: str  # e.g. "serial-dictatorship", "sorted-da", "cp-sat"
    status: str = "ok"  # "ok", "optimal", "feasible" (time limit hit), "infeasible"
    blocking_coalitions: list[BlockingCoalition] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def placed(self) -> int:
        return sum(1 for facility in self.assignment.values() if facility is not None)
