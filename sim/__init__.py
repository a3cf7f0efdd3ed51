"""caseload-sim: a SimPy simulation of job-centre caseloads under the Danish employment reform.

This module is the public API only (``load_params``, ``run``, ``ParamError``); nothing inside the
package imports it, so the layers below never depend on their own front door."""

from sim._version import __version__
from sim.experiment.runner import run
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params

__all__ = ["ParamError", "load_params", "run", "__version__"]
