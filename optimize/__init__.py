"""Layer 3: plans chosen by a stochastic program, judged by the simulation."""
