"""Calibrate the national default to a municipality's own figures (``caseload calibrate``).

A planner can read, per target group, from the public jobindsats.dk tables: the citizens in stock,
the yearly inflow or the mean spell length, and the share of spells that end in work. This package
turns those figures into a scenario file that ``extends`` the national default:

1. **Little's law** (``targets``). stock = entries per year × mean spell (in years). Given the stock
   and either of the other two, the third follows; given all three, they must agree (within 20 %),
   otherwise the figures are inconsistent and the error names the group.
2. **Hazards** (``hazards``). The group's baseline hazards keep their shape over spell duration;
   the job hazard and the other hazards are multiplied by two factors solved so that the analytic
   spell distribution has the target mean and the target share ending in work.
3. **Inflows** (``hazards``). External inflow per group = entries per year minus what the other
   groups send in, written as a number into the file (``scenario_file``).
4. **Check run and one correction** (``check``). A first check run measures the gap the analytic
   distribution leaves (talks and offers shorten spells); the baseline targets are corrected by the
   simulated/target ratio and the hazards solved again; a second check run is reported, target
   against simulated with 95 % intervals. Whatever gap remains is printed, not hidden.

The check runs use the rules the figures were observed under (``rules`` figure, default
``pre_reform`` with no exemption) and unlimited capacity. The file written keeps the national
default's rules (the 2027 reform), so running it shows the reform in that municipality.
``procedure`` holds the steps in order; this package's namespace is the public API.
"""

from sim.studies.calibration.check import check_run, compare, corrected, format_comparison, measured
from sim.studies.calibration.figures import Figures, GroupFigures, read_figures
from sim.studies.calibration.hazards import implied_external_inflows, scaled_group, solve_factors
from sim.studies.calibration.procedure import Calibration, calibrate, check_out
from sim.studies.calibration.scenario_file import scenario_dict, to_toml
from sim.studies.calibration.targets import Target, group_target

__all__ = ["Calibration", "Figures", "GroupFigures", "Target", "calibrate", "check_out", "check_run", "compare",
           "corrected", "format_comparison", "group_target", "implied_external_inflows", "measured", "read_figures",
           "scaled_group", "scenario_dict", "solve_factors", "to_toml"]
