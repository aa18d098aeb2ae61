"""Layer 2: hazard sampling, the SimPy county model, replications and metrics."""

from sim.network import CountyNetwork, build_network
from sim.records import SimulationResult
from sim.runner import simulate

__all__ = ["CountyNetwork", "SimulationResult", "build_network", "simulate"]
