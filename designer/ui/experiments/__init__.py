"""The Experiment Manager: hyper-parameter sweeps defined, run, compared and applied."""
