"""Nursery admission matching (保育所入所選考, 取組7): a pure-Python engine with no Django in it,
so that the solver, the verifier and the generator can be tested, benchmarked and reused on
their own. `model.py` is its whole vocabulary; the childcare app turns its database rows into
an `Instance` and stores the `Result`."""
