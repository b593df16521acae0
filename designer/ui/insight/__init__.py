"""The Insight room: activations, explanations, robustness and compression views."""
