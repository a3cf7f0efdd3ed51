"""caseload-sim: a SimPy simulation of job-centre caseloads under the Danish employment reform."""

from sim.errors import ParamError
from sim.parameters import load_params

__version__ = "0.1.0"

__all__ = ["ParamError", "load_params", "run", "__version__"]


def run(params=None, replications: int = 1, seed: int = 1, **kwargs):
    """Run `replications` replications of a scenario; see :func:`sim.experiment.run`."""
    from sim.experiment import run as _run

    return _run(params, replications=replications, seed=seed, **kwargs)
