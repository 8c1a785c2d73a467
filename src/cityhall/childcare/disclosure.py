"""Disclosure control of a count table with margins (取組23 coverage figures; the practice of
docs reference §6.1: a frequency rule, then secondary suppression so that suppressed cells
cannot be computed back from the totals). Pure Python, no Django.

The table is a matrix of counts (rows × columns) completed with its row totals, column
totals and grand total, i.e. a (R+1) × (C+1) grid whose last row and last column are the
totals. Every row and every column of the grid is one equation (interior cells add up to the
total).

1. Primary suppression (frequency rule): a cell with 0 < n < min_count is hidden; a row (a
   group of people, e.g. a branch office) whose total is 0 < n < min_count is hidden whole,
   zeros too ("none of these three children is overdue" says something about each of them).
   Zeros are otherwise shown (NDB: "0 is allowed").
2. Secondary (complementary) suppression: while some equation has exactly one hidden cell,
   hide one more cell of it: an inner cell before a total, a non-zero before a zero, the
   smallest value first (least information lost), then the first in reading order. This is
   the simple heuristic of sdcTable's SIMPLEHEURISTIC family: no hidden value can be solved
   from one equation; it does not compute an optimal pattern nor a protection interval
   (docs/childcare.md says so).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Protected:
    values: tuple  # the full grid, totals included: values[r][c]
    hidden: tuple  # the same shape: True where the value must not be shown

    def shown(self, r: int, c: int):
        return None if self.hidden[r][c] else self.values[r][c]


def with_margins(matrix: list[list[int]]) -> list[list[int]]:
    """The grid of `matrix` with a total column, and a total row."""
    rows = [[*row, sum(row)] for row in matrix]
    width = len(rows[0]) if rows else 1
    rows.append([sum(row[c] for row in rows) for c in range(width)])
    return rows


def protect(matrix: list[list[int]], *, min_count: int) -> Protected:
    """The grid (with margins) and which cells to hide."""
    grid = with_margins(matrix)
    height, width = len(grid), len(grid[0])
    hidden = [[0 < grid[r][c] < min_count for c in range(width)] for r in range(height)]
    for r in range(height):
        if 0 < grid[r][-1] < min_count:
            hidden[r] = [True] * width
    equations = [[(r, c) for c in range(width)] for r in range(height)] + \
                [[(r, c) for r in range(height)] for c in range(width)]

    def cost(cell):
        r, c = cell
        value = grid[r][c]
        return (r == height - 1 or c == width - 1, value == 0, value, r, c)

    changed = True
    while changed:
        changed = False
        for cells in equations:
            if sum(hidden[r][c] for r, c in cells) != 1:
                continue
            r, c = min((cell for cell in cells if not hidden[cell[0]][cell[1]]), key=cost)
            hidden[r][c] = True
            changed = True
    return Protected(tuple(tuple(row) for row in grid), tuple(tuple(row) for row in hidden))
