"""Seats: the capacity constraints of every facility, and the rank a child has at a facility.

A facility's seats form *constraint groups* (d, G, Q): one group ({g}, seats[g]) per age class
listed in `Facility.seats` and one (pool.age_classes, pool.seats) per `SeatPool`. A child of
age class g placed at d uses one seat in every group of d whose age set contains g; an age
class no group of d covers is not offered there. (Class seats and a pool over the same class
both bind: "age 1: 3 seats, 0–2歳児 together: 7".)

Seat release (転園). `Facility.seats` and the pools are the *vacancies* for this round
(募集人数), not counting the seats transfer applicants occupy today. Each transfer child c
currently at ω(c) brings their own seat: every group of ω(c) containing g(c) gets one seat
more (the *effective* capacity). If c stays, c uses that seat; if c moves, the seat is free
for anyone. At their own current facility a transfer child ranks above every other child
(`rank_at`), so nobody can take the seat away from them while they stay; everywhere else the
priority order at that facility applies (the common order, where a child with a bonus at the
facility ranks by their score there: `Child.priority_at`).
"""

from collections import defaultdict
from dataclasses import dataclass

from .model import Child, Instance


@dataclass(frozen=True)
class Group:
    facility: str
    ages: frozenset[int]
    seats: int  # effective: vacancies + the seats of transfer children now there


def rank_at(child: Child, facility: str | None) -> tuple:
    """The child's rank at a facility: smaller is better. Transfer children come first at
    their current facility (they hold a seat there); otherwise the priority at that facility
    (the common priority, raised by a facility-specific bonus there: `Child.priority_at`)."""
    return (0 if child.current_facility == facility else 1, child.priority_at(facility))


class Capacity:
    """The constraint groups of an instance and, per (facility, age class), their ids."""

    def __init__(self, instance: Instance):
        self.groups: list[Group] = []
        index: dict[tuple[str, int], list[int]] = defaultdict(list)
        raw: list[list] = []
        for facility in instance.facilities:
            for age, seats in sorted(facility.seats.items()):
                raw.append([facility.id, frozenset((age,)), max(0, int(seats))])
            for pool in facility.pools:
                raw.append([facility.id, frozenset(pool.age_classes), max(0, int(pool.seats))])
        for gid, (fid, ages, _seats) in enumerate(raw):
            for age in ages:
                index[(fid, age)].append(gid)
        # Seat release: a transfer child's own seat counts in every group covering them.
        for child in instance.children:
            if child.current_facility is None:
                continue
            key = (child.current_facility, child.age_class)
            if key not in index:  # current facility lists no seats for the class: add a group
                raw.append([child.current_facility, frozenset((child.age_class,)), 0])
                index[key].append(len(raw) - 1)
            for gid in index[key]:
                raw[gid][2] += 1
        self.groups = [Group(fid, ages, seats) for fid, ages, seats in raw]
        self.index: dict[tuple[str, int], tuple[int, ...]] = {
            key: tuple(gids) for key, gids in index.items()}

    def offers(self, facility: str, age: int) -> bool:
        return (facility, age) in self.index

    def groups_of(self, facility: str, age: int) -> tuple[int, ...]:
        return self.index.get((facility, age), ())
