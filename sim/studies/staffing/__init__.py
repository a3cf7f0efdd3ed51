"""Staffing search: the smallest caseworker FTE per provider that meets compliance targets.

A planner asks "how many caseworkers do we need so that 95 % of first talks are on time?". The
answer must hold with confidence, not just on average, so a candidate staffing passes a target
only if the 95 % confidence bound over replications (the lower bound for ``>=``, the upper bound
for ``<=``) meets the value. An Erlang C (M/M/c) figure is shown beside the answer as a
lower-bound check.

Modules: ``targets`` (what is asked), ``demand`` (what an unlimited run says is needed), ``search``
(the bracketing and bisection), ``erlang`` (the queueing check), ``result`` and ``report`` (what
was found, as text and files). This package's namespace is the public API used by the notebooks.
"""

from sim.studies.staffing.erlang import ErlangCheck, erlang_b, erlang_c, erlang_checks, erlang_servers, p_wait_beyond
from sim.studies.staffing.report import format_result, write_outputs
from sim.studies.staffing.result import Candidate, StaffingResult, TargetStat
from sim.studies.staffing.search import find_staffing, with_capacity
from sim.studies.staffing.targets import Target, parse_target, parse_targets

__all__ = ["Candidate", "ErlangCheck", "StaffingResult", "Target", "TargetStat", "erlang_b", "erlang_c",
           "erlang_checks", "erlang_servers", "find_staffing", "format_result", "p_wait_beyond", "parse_target",
           "parse_targets", "with_capacity", "write_outputs"]
